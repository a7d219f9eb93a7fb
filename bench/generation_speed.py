"""Load time and generation speed of the configured generator on this machine (one JSON line).

Prefill and decode tokens/s with a ~500-token prompt, single request and batches of 4 and 8 (decode is
bound by reading the weights each step, so batching is the first lever), in the configured
`model.inference_dtype` and in fp32 as its peer; the configured dtype once more with the attention serve
and eval use (`sdpa_packed_decode`: no `enable_gqa` when decoding without a mask, as here where the rows of
a batch are equal). Run: `python bench/generation_speed.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from ragtune.config import load_config  # noqa: E402
from ragtune.hardware import precision_dtype  # noqa: E402
from ragtune.models import load_generator, pick_device  # noqa: E402
from ragtune.prompt import build_messages, render_prompt  # noqa: E402
from ragtune.serve.attention import packed_decode_attention


def measure(model, tok, prompt: str, new_tokens: int) -> dict:
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False).to(model.device)
    with torch.inference_mode():
        model(**ids, logits_to_keep=1)  # warm-up
        began = time.perf_counter()
        model(**ids, logits_to_keep=1)  # what generate's prefill computes: the last position's logits only
        prefill_s = time.perf_counter() - began
    figures = {"prefill_s": round(prefill_s, 3), "prefill_tok_s": round(ids["input_ids"].shape[1] / prefill_s, 1)}
    for batch in (1, 4, 8):
        inputs = tok([prompt] * batch, return_tensors="pt", add_special_tokens=False).to(model.device)

        def timed(n: int, inputs=inputs) -> float:
            began = time.perf_counter()
            model.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=tok.pad_token_id)
            return time.perf_counter() - began

        # decode rate = the extra tokens over the extra time, so the prefill cancels out
        extra_s = timed(new_tokens) - timed(1)
        figures[f"decode_tok_s_batch{batch}"] = round(batch * (new_tokens - 1) / extra_s, 1)
    figures["batch8_vs_batch1"] = round(figures["decode_tok_s_batch8"] / figures["decode_tok_s_batch1"], 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--new-tokens", type=int, default=32)
    args = parser.parse_args()
    cfg = load_config("config.yaml", args.overrides)
    device = pick_device(cfg.model.device)
    chosen = precision_dtype(cfg.model.inference_dtype, device)
    out: dict = {"model": cfg.model.generator, "device": device, "inference_dtype": str(chosen).removeprefix("torch.")}
    for dtype in dict.fromkeys([chosen, torch.float32]):  # the configured dtype, and fp32 as its peer
        began = time.perf_counter()
        model, tok = load_generator(cfg.model.generator, cfg.model.models_dir, device, dtype=dtype)
        load_s = time.perf_counter() - began
        context = " ".join(["Nhân viên chính thức được nghỉ phép năm mười bốn ngày làm việc mỗi năm."] * 30)
        prompt = render_prompt(tok, build_messages("Nghỉ phép năm bao nhiêu ngày?", system_prompt=context))
        out["prompt_tokens"] = len(tok(prompt, add_special_tokens=False)["input_ids"])
        out[str(dtype).removeprefix("torch.")] = {"load_s": round(load_s, 2), **measure(model, tok, prompt, args.new_tokens)}
        if dtype == chosen:
            packed = measure(packed_decode_attention(model), tok, prompt, args.new_tokens)
            out["packed_decode"] = {k: v for k, v in packed.items() if k.startswith("decode")}
            out["packed_decode_vs_library"] = {f"batch{b}": round(packed[f"decode_tok_s_batch{b}"] / out[str(dtype).removeprefix("torch.")][f"decode_tok_s_batch{b}"], 2)
                                               for b in (1, 4, 8)}  # fmt: skip
    if chosen != torch.float32:
        fast, base = out[str(chosen).removeprefix("torch.")], out["float32"]
        out["speedup_vs_fp32"] = {"prefill": round(base["prefill_s"] / fast["prefill_s"], 2),
                                  "decode_batch1": round(fast["decode_tok_s_batch1"] / base["decode_tok_s_batch1"], 2)}  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
