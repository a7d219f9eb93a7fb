"""Load time and generation speed of the configured generator on this machine (one JSON line).

Prefill and decode tokens/s with a ~500-token prompt, single request and a batch of 4 (decode is
bound by reading the weights each step, so batching is the first lever). Run: `python bench/generation_speed.py`.
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

from finetune.models import load_generator  # noqa: E402
from rag.config import load_config  # noqa: E402
from rag.prompt import build_messages, render_prompt  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--new-tokens", type=int, default=32)
    args = parser.parse_args()
    cfg = load_config("config.yaml", args.overrides)
    began = time.perf_counter()
    model, tok = load_generator(cfg.model.generator, cfg.model.models_dir, cfg.model.device)
    load_s = time.perf_counter() - began
    context = " ".join(["Nhân viên chính thức được nghỉ phép năm mười bốn ngày làm việc mỗi năm."] * 30)
    prompt = render_prompt(tok, build_messages("Nghỉ phép năm bao nhiêu ngày?", system_prompt=context))
    prompt_tokens = len(tok(prompt, add_special_tokens=False)["input_ids"])
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False).to(model.device)
    with torch.inference_mode():
        model(**ids)  # warm-up
        began = time.perf_counter()
        model(**ids)
        prefill_s = time.perf_counter() - began
    figures = {"model": cfg.model.generator, "device": str(model.device), "load_s": round(load_s, 2),
               "prompt_tokens": prompt_tokens, "prefill_tok_s": round(prompt_tokens / prefill_s, 1)}
    for batch in (1, 4):
        inputs = tok([prompt] * batch, return_tensors="pt", add_special_tokens=False).to(model.device)

        def timed(new_tokens: int, inputs=inputs) -> float:
            began = time.perf_counter()
            model.generate(**inputs, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                           pad_token_id=tok.pad_token_id)
            return time.perf_counter() - began

        # decode rate = the extra tokens over the extra time, so the prefill cancels out
        extra_s = timed(args.new_tokens) - timed(1)
        figures[f"decode_tok_s_batch{batch}"] = round(batch * (args.new_tokens - 1) / extra_s, 1)
    figures["batch4_vs_batch1"] = round(figures["decode_tok_s_batch4"] / figures["decode_tok_s_batch1"], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
