"""The shipped system as a user meets it: every eval question through the answer pipeline `ragtune serve` runs.

Same model artifact (merged if present), same engine, retrieval, gate, guard, verification and citation
clean-up as the server, so what is measured is what users get. Scored on what a user checks: is the fact
right (every `facts` entry stated), is the cited source the one that says it (a `[n]` at the gold
section), does it decline when the documents do not hold the answer, and how long it took.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from tqdm import tqdm

from ragtune.evaluation import metrics as M
from ragtune.finetune.data import Question
from ragtune.serve.pipeline import Answer, AnswerOptions, AnswerPipeline

# name -> which questions it is measured on
SERVED_METRICS = {
    "fact_accuracy": "answerable questions with facts: every fact stated",
    "gold_section_citation": "answerable questions with a section: a [n] points at the gold section",
    "refusal_recall": "unanswerable questions answered with the not-found phrase",
    "false_refusal_rate": "answerable questions answered with the not-found phrase",
    "verified_rate": "answers whose every number was in the passage it cited, as generated",
}


async def answer_all(pipeline: AnswerPipeline, questions: Sequence[Question], options: AnswerOptions,
                     clients: int) -> list[tuple[Answer, float]]:  # fmt: skip
    """(answer, seconds) per question, `clients` questions in flight at a time, in question order."""
    gate = asyncio.Semaphore(clients)
    bar = tqdm(total=len(questions), desc="served", unit="answer")

    async def one(q: Question) -> tuple[Answer, float]:
        async with gate:
            began = time.perf_counter()
            answer = await pipeline.answer(q.question, [], options)
            bar.update()
            return answer, time.perf_counter() - began

    try:
        return list(await asyncio.gather(*(one(q) for q in questions)))
    finally:
        bar.close()


def score(q: Question, answer: Answer, seconds: float, not_found: str) -> dict:
    """Per-question scores; a metric that does not apply to the question is None."""
    refused = M.is_refusal(answer.text, not_found)
    sources = [(s.doc_id, s.heading) for s in answer.sources]
    return {
        "question": q.question,
        "answer": answer.text,
        "answerable": q.answerable,
        "fact_accuracy": M.facts_correct(answer.text, q.facts) if q.answerable and q.facts else None,
        "gold_section_citation": (M.gold_section_cited(answer.text, sources, q.sources, q.section)
                                  if q.answerable and q.section else None),  # fmt: skip
        "refusal_recall": float(refused) if not q.answerable else None,
        "false_refusal_rate": float(refused) if q.answerable else None,
        "verified_rate": float(answer.verified),
        "latency_s": seconds,
        "completion_tokens": answer.usage.completion_tokens,
        "sources": [f"{doc} | {heading}" for doc, heading in sources],
    }


def summarise(rows: list[dict]) -> dict:
    """Each metric's mean over the questions it applies to, with its 95% bootstrap interval and count."""
    out: dict = {}
    for name in SERVED_METRICS:
        values = [r[name] for r in rows if r[name] is not None]
        mean = sum(values) / len(values) if values else 0.0
        out[name] = {"mean": mean, "ci95": M.bootstrap_ci(values), "n": len(values)}
    latencies = sorted(r["latency_s"] for r in rows)
    out["latency_s"] = {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95), "n": len(latencies)}
    return out


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def markdown(summary: dict, clients: int) -> list[str]:
    lines = [
        f"## The served system (fine-tuned + RAG as `ragtune serve` answers, {clients} client at a time)",
        "",
        "| metric | value | 95% interval | questions | what |",
        "|---|---|---|---|---|",
    ]
    for name, what in SERVED_METRICS.items():
        m = summary[name]
        lines.append(f"| {name} | {m['mean']:.3f} | [{m['ci95'][0]:.2f}, {m['ci95'][1]:.2f}] | {m['n']} | {what} |")
    lat = summary["latency_s"]
    lines.append(f"| latency_s | p50 {lat['p50']:.2f}, p95 {lat['p95']:.2f} | | {lat['n']} | seconds per answer |")
    return [*lines, ""]
