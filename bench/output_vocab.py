"""The served engine with the full LM head vs the output vocabulary of the documents (serve/vocab.py), one JSON line.

Both answer the same eval questions as the server prompts them (retrieved passages, greedy, up to 64 new
tokens), at 1 and at 8 concurrent requests, one after the other in the same run. Reported: completion
tokens/s of each (prefill included, as a client sees it), the ratio, and how many answers are identical.
Run: `python bench/output_vocab.py [--questions N]`.
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
from ragtune.finetune.data import read_questions  # noqa: E402
from ragtune.prompt import build_messages, render_prompt  # noqa: E402
from ragtune.rag.retrieve import build_retriever  # noqa: E402
from ragtune.serve.engine import Engine  # noqa: E402
from ragtune.serve.generator import load_for_serving  # noqa: E402
from ragtune.serve.services import Services  # noqa: E402


def answer_all(lm, prompts: list[str], vocab, concurrency: int) -> tuple[list[str], float, int]:
    engine = Engine(lm.model, lm.tokenizer, lm.stop_ids, max_batch=concurrency, vocab=vocab)

    async def run():
        gate = asyncio.Semaphore(concurrency)

        async def one(prompt):
            async with gate:
                return await engine.complete(engine.submit(prompt, 64, 0.0))

        return await asyncio.gather(*(one(p) for p in prompts))

    began = time.perf_counter()
    try:
        done = asyncio.run(run())
    finally:
        engine.close()
    return [c.text for c in done], time.perf_counter() - began, sum(c.completion_tokens for c in done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--questions", type=int, default=24)
    args = parser.parse_args()
    cfg = load_config("config.yaml", args.overrides)
    torch.set_num_threads(os.cpu_count() or 1)
    mc = cfg.model
    lm = load_for_serving(mc.generator, mc.models_dir, cfg.finetune.output_dir, cfg.finetune.merged_dir, mc.device,
                          mc.system_prompt, mc.inference_dtype)  # fmt: skip
    retriever = build_retriever(cfg)
    questions = [q for q in read_questions(cfg.eval.questions)][: args.questions]
    prompts = [render_prompt(lm.tokenizer, build_messages(q.question, [h.passage() for h in retriever.search(
        q.question, cfg.serve.top_k, min_share=cfg.serve.min_relative_score)], [], mc.system_prompt)) for q in questions]  # fmt: skip
    began = time.perf_counter()
    vocab = Services(cfg.model_copy(update={"serve": cfg.serve.model_copy(update={"output_vocab": "documents"})}), lm,
                     retriever).output_vocab()  # fmt: skip
    result = {"model": mc.generator, "questions": len(prompts), "vocab_tokens": int(len(vocab.ids)), "vocab_size": vocab.size,
              "vocab_build_s": round(time.perf_counter() - began, 2)}  # fmt: skip
    for concurrency in (1, 8):
        full, full_s, full_tokens = answer_all(lm, prompts, None, concurrency)
        ours, ours_s, ours_tokens = answer_all(lm, prompts, vocab, concurrency)
        result[f"concurrency{concurrency}"] = {
            "full_tok_s": round(full_tokens / full_s, 1), "documents_tok_s": round(ours_tokens / ours_s, 1),
            "speed_ratio": round((ours_tokens / ours_s) / (full_tokens / full_s), 2),
            "identical_answers": sum(a == b for a, b in zip(full, ours, strict=True)),
        }  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
