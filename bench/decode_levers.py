"""The served engine with each decoding lever added in turn, on the same eval prompts (one JSON line).

Levers (issue #19), each on top of the one before: the full LM head in the inference dtype (the baseline);
the documents' output vocabulary (serve/vocab.py); int8 decode weights (serve/quant.py); prompt-lookup guesses
(serve/speculate.py); ragtune's C kernels (serve/kernels.c; every lever before it runs on torch's operations). Every configuration answers the same eval questions as the server prompts them
(retrieved passages, greedy, the server's answer cap), one client at a time and at 8 concurrent requests,
interleaved, `--repeats` times. Reported per configuration: completion tokens/s (prefill included, as a
client sees it), answer latency p50 at one client, the speed ratio to the configuration before it and to the
baseline (mean and range over repeats), and how many answers equal the baseline's and the previous one's.
Run: `python bench/decode_levers.py [--questions N] [--repeats R] [--tokens K]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from ragtune.config import load_config  # noqa: E402
from ragtune.finetune.data import read_questions  # noqa: E402
from ragtune.hardware import single_threaded_main  # noqa: E402
from ragtune.prompt import build_messages, render_prompt  # noqa: E402
from ragtune.rag.retrieve import build_retriever  # noqa: E402
from ragtune.serve import kernels  # noqa: E402
from ragtune.serve.engine import Engine  # noqa: E402
from ragtune.serve.generator import load_configured  # noqa: E402
from ragtune.serve.services import Services  # noqa: E402


def answer_all(lm, prompts: list[str], vocab, speculate: int, c_kernels: bool, concurrency: int, max_new_tokens: int) -> dict:
    kernels.enable("auto" if c_kernels else "torch")
    engine = Engine(lm.model, lm.tokenizer, lm.stop_ids, max_batch=concurrency, vocab=vocab, speculate=speculate)

    async def run():
        gate = asyncio.Semaphore(concurrency)

        async def one(prompt):
            async with gate:
                began = time.perf_counter()
                done = await engine.complete(engine.submit(prompt, max_new_tokens, 0.0))
                return done, time.perf_counter() - began

        return await asyncio.gather(*(one(p) for p in prompts))

    began = time.perf_counter()
    try:
        done = asyncio.run(run())
    finally:
        engine.close()
    seconds = time.perf_counter() - began
    return {"texts": [c.text for c, _ in done], "tok_s": sum(c.completion_tokens for c, _ in done) / seconds,
            "p50_s": statistics.median(s for _, s in done), "kept": (engine.accepted, engine.drafted)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--questions", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=None, help="guessed tokens per forward (default: serve.speculate_tokens)")
    args = parser.parse_args()
    cfg = load_config("config.yaml", args.overrides)
    k = args.tokens if args.tokens is not None else cfg.serve.speculate_tokens
    single_threaded_main()  # as the server does: each engine's thread alone computes with every core
    documents = cfg.serve.model_copy(update={"output_vocab": "documents"})
    plain = load_configured(cfg.model_copy(update={"model": cfg.model.model_copy(update={"decode_weights": "dtype"})}))
    int8 = load_configured(cfg.model_copy(update={"model": cfg.model.model_copy(update={"decode_weights": "int8"})}))
    retriever = build_retriever(cfg)
    questions = read_questions(cfg.eval.questions)[: args.questions]
    prompts = [render_prompt(plain.tokenizer, build_messages(q.question, [h.passage() for h in retriever.search(
        q.question, cfg.serve.top_k, min_share=cfg.serve.min_relative_score)], [], cfg.model.system_prompt)) for q in questions]  # fmt: skip
    vocab = Services(cfg.model_copy(update={"serve": documents}), plain, retriever).output_vocab()
    vocab8 = Services(cfg.model_copy(update={"serve": documents}), int8, retriever).output_vocab()
    levers = {"baseline": (plain, None, 0, False), "output_vocab": (plain, vocab, 0, False), "int8": (int8, vocab8, 0, False),
              "speculate": (int8, vocab8, k, False), "c_kernels": (int8, vocab8, k, True)}  # fmt: skip
    result: dict = {"model": cfg.model.generator, "questions": len(prompts), "max_new_tokens": cfg.serve.max_new_tokens,
                    "vocab_tokens": int(len(vocab.ids)), "speculate_tokens": k, "repeats": args.repeats}  # fmt: skip
    for concurrency in (1, 8):
        runs: dict[str, list[dict]] = {name: [] for name in levers}
        for _ in range(args.repeats):
            for name, (lm, head, guesses, c_kernels) in levers.items():
                runs[name].append(answer_all(lm, prompts, head, guesses, c_kernels, concurrency, cfg.serve.max_new_tokens))
        level, before = {}, None
        for name, done in runs.items():
            rates = [r["tok_s"] for r in done]
            row = {"tok_s": round(statistics.mean(rates), 1), "answer_p50_s": round(statistics.mean(r["p50_s"] for r in done), 2)}
            for peer in dict.fromkeys(["baseline", before]):
                if peer and peer != name:
                    ratios = [a / b["tok_s"] for a, b in zip(rates, runs[peer], strict=True)]
                    row[f"vs_{peer}"] = {"ratio": round(statistics.mean(ratios), 2), "range": [round(min(ratios), 2), round(max(ratios), 2)],
                                         "same_answers": sum(a == b for a, b in zip(done[-1]["texts"], runs[peer][-1]["texts"], strict=True))}  # fmt: skip
            if levers[name][2] and done[-1]["kept"][1]:  # guesses on
                row["kept_share"] = round(done[-1]["kept"][0] / done[-1]["kept"][1], 2)
            level[name], before = row, name
        result[f"concurrency{concurrency}"] = level
    print(json.dumps(result))


if __name__ == "__main__":
    main()
