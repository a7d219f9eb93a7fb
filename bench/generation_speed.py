"""Prefill and decode speed of the generator as ragtune serves it, against llama.cpp on the same machine (one JSON line).

Three peers get the same ~530-token prompt, greedy, in the same run:
- `ragtune`: the serve engine as configured (`model.inference_dtype`, `model.decode_weights`, the documents'
  output vocabulary when the index is there), one request alone and batches of 4 and 8; prompt-lookup
  guesses off, since this prompt repeats one sentence and would flatter them (bench/decode_levers.py
  measures them on eval prompts);
- `transformers`: the library's `generate` on the same weights in the inference dtype (what the engine
  replaced);
- `llama_cpp`: llama-cpp-python on the packaged Q4_K_M GGUF the default model comes from, one request, with
  as many threads as torch uses.
As in the server, the main thread computes single-threaded and each peer runs on a compute thread of its own
(ragtune/hardware.py); llama.cpp runs last.
Prefill is one forward over the prompt (the last position's logits only); decode rate = the extra tokens
over the extra time between a 1-token and an N-token answer, so the prefill cancels out.
Run: `python bench/generation_speed.py [--new-tokens N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from ragtune.config import load_config  # noqa: E402
from ragtune.hardware import compute_threads, on_compute_thread, single_threaded_main  # noqa: E402
from ragtune.models import PACKAGED, packaged_gguf  # noqa: E402
from ragtune.prompt import build_messages, render_prompt  # noqa: E402
from ragtune.serve import kernels  # noqa: E402
from ragtune.serve.engine import Engine  # noqa: E402
from ragtune.serve.generator import load_configured  # noqa: E402


def rate(tokens: int, timed) -> float:
    """Decode tokens/s of `timed(n)` (seconds for an n-token answer), prefill cancelled out."""
    timed(2), timed(2)  # warm-up; the engine learns the shared prompt prefix from the second request and caches it
    return round((tokens - 1) / (timed(tokens) - timed(1)), 1)


def prefill_rate(model, ids) -> float:
    with torch.inference_mode():
        model(**ids, logits_to_keep=1)  # warm-up
        began = time.perf_counter()
        model(**ids, logits_to_keep=1)  # what the engine's prefill computes: the last position's logits only
        return round(ids["input_ids"].shape[1] / (time.perf_counter() - began), 1)


def ragtune_figures(lm, vocab, prompt: str, new_tokens: int) -> dict:
    """Called on the main thread: the prefill runs on a compute thread that has ended before any engine starts."""
    model, tok = lm.model, lm.tokenizer
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False)
    figures = {"prefill_tok_s": on_compute_thread(prefill_rate, model, ids)}
    for batch in (1, 4, 8):
        engine = Engine(model, tok, [], max_batch=batch, batch_window_ms=50, vocab=vocab)  # no stop ids: exactly n tokens

        def timed(n: int, batch=batch, engine=engine) -> float:
            async def run():
                reqs = [engine.submit(prompt, n, 0.0) for _ in range(batch)]
                return await asyncio.gather(*(engine.complete(r) for r in reqs))

            began = time.perf_counter()
            done = asyncio.run(run())
            assert all(c.completion_tokens == n for c in done)
            return time.perf_counter() - began

        try:
            figures[f"decode_tok_s_batch{batch}"] = round(batch * rate(new_tokens, timed), 1)
        finally:
            engine.close()
    return figures


def transformers_figures(lm, prompt: str, new_tokens: int) -> dict:
    model, tok = lm.model, lm.tokenizer
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False)

    def timed(n: int) -> float:
        began = time.perf_counter()
        with torch.inference_mode():
            model.generate(**ids, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=tok.pad_token_id)
        return time.perf_counter() - began

    return {"decode_tok_s_batch1": rate(new_tokens, timed)}


def llama_cpp_figures(gguf: Path, prompt: str, new_tokens: int, threads: int) -> dict:
    from llama_cpp import Llama

    began = time.perf_counter()
    llm = Llama(model_path=str(gguf), n_ctx=2048, n_batch=1024, n_threads=threads, n_threads_batch=threads, verbose=False)
    load_s = time.perf_counter() - began
    ids = llm.tokenize(prompt.encode(), add_bos=False, special=True)  # the template writes <bos> itself
    llm.eval(ids)  # warm-up
    llm.reset()
    began = time.perf_counter()
    llm.eval(ids)
    prefill_s = time.perf_counter() - began

    def timed(n: int) -> float:
        llm.reset()  # no reuse of the previous run's cache
        began = time.perf_counter()
        for i, _ in enumerate(llm.generate(ids, temp=0.0, top_k=1)):
            if i + 1 == n:
                break
        return time.perf_counter() - began

    return {"gguf": gguf.name, "threads": threads, "load_s": round(load_s, 2), "prompt_tokens": len(ids),
            "prefill_tok_s": round(len(ids) / prefill_s, 1), "decode_tok_s_batch1": rate(new_tokens, timed)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--new-tokens", type=int, default=48)
    args = parser.parse_args()
    cfg = load_config("config.yaml", args.overrides)
    threads = compute_threads()
    single_threaded_main()  # as the server does: the engine's thread alone computes with every core
    began = time.perf_counter()
    lm = load_configured(cfg)
    load_s = time.perf_counter() - began
    vocab = None
    if cfg.serve.output_vocab == "documents" and (cfg.index.output_dir / "CURRENT").exists():
        from ragtune.rag.retrieve import build_retriever
        from ragtune.serve.services import Services

        vocab = Services(cfg, lm, build_retriever(cfg)).output_vocab()
    context = " ".join(["Nhân viên chính thức được nghỉ phép năm mười bốn ngày làm việc mỗi năm."] * 30)
    prompt = render_prompt(lm.tokenizer, build_messages("Nghỉ phép năm bao nhiêu ngày?", system_prompt=context))
    out: dict = {"model": cfg.model.generator, "device": str(lm.model.device), "threads": threads,
                 "inference_dtype": str(lm.model.dtype).removeprefix("torch."), "int8_decode": lm.int8,
                 "c_kernels": kernels.enabled(), "output_vocab": int(len(vocab.ids)) if vocab is not None else "full",
                 "prompt_tokens": len(lm.tokenizer(prompt, add_special_tokens=False)["input_ids"])}  # fmt: skip
    out["ragtune"] = {"load_s": round(load_s, 2), **ragtune_figures(lm, vocab, prompt, args.new_tokens)}
    plain = load_configured(cfg.model_copy(update={"model": cfg.model.model_copy(update={"decode_weights": "dtype"})}))
    out["transformers"] = on_compute_thread(transformers_figures, plain, prompt, args.new_tokens)
    if cfg.model.generator in PACKAGED:
        out["llama_cpp"] = llama_cpp_figures(packaged_gguf(cfg.model.generator, cfg.model.models_dir), prompt, args.new_tokens, threads)
        ours, peer = out["ragtune"], out["llama_cpp"]
        out["ragtune_vs_llama_cpp"] = {"prefill": round(ours["prefill_tok_s"] / peer["prefill_tok_s"], 2),
                                       "decode_batch1": round(ours["decode_tok_s_batch1"] / peer["decode_tok_s_batch1"], 2)}  # fmt: skip
    out["ragtune_vs_transformers_decode_batch1"] = round(out["ragtune"]["decode_tok_s_batch1"] / out["transformers"]["decode_tok_s_batch1"], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
