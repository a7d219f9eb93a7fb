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

from ragtune.answerability import curve
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
    "quoted_rate": "answers replaced by the source sentence that best matches the question (serve.quote_below)",
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


def score(q: Question, answer: Answer, seconds: float, not_found: Sequence[str]) -> dict:
    """Per-question scores; a metric that does not apply to the question is None. `not_found`: the phrases."""
    refused = any(M.is_refusal(answer.text, phrase) for phrase in not_found)
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
        "quoted_rate": float(answer.quoted),
        "latency_s": seconds,
        "completion_tokens": answer.usage.completion_tokens,
        "refusal_score": answer.refusal_score,
        "uncovered": answer.uncovered,
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


SCORES = {"coverage": "uncovered", "refusal_score": "refusal_score"}  # answerability score -> its per-answer field


def refusal_curves(rows: list[dict], thresholds: dict[str, float | None]) -> dict:
    """The refusal trade-off on the eval set, per answerability score (ragtune/answerability.py): refusal recall on
    unanswerable questions against the answer rate on answerable ones at every threshold, and the served one.
    The refusal score exists only for answers that reached the model (not those the coverage gate declined)."""
    out = {}
    for name, field in SCORES.items():
        scored = [r for r in rows if r[field] is not None]
        scores, unanswerable = [r[field] for r in scored], [not r["answerable"] for r in scored]
        out[name] = {"threshold": thresholds.get(name), "questions": len(scored),
                     "points": curve(scores, unanswerable) if scored else []}  # fmt: skip
    return out


def chart(path, curves: dict) -> None:
    """refusal_curve.png: refusal recall against answer rate per score, the served thresholds marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for name, refusal in curves.items():
        points = refusal["points"]
        if not points:
            continue
        line = ax.plot([p["answer_rate"] for p in points], [p["refusal_recall"] for p in points], "-", label=name)[0]
        if refusal["threshold"] is not None:
            served_point = min(points, key=lambda p: abs(p["threshold"] - refusal["threshold"]))
            ax.plot([served_point["answer_rate"]], [served_point["refusal_recall"]], "o", color=line.get_color(),
                    label=f"{name} served ({refusal['threshold']:.3f})")  # fmt: skip
    ax.axvline(0.9, color="grey", lw=0.8, ls=":")
    ax.axhline(0.8, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("answer rate on answerable questions")
    ax.set_ylabel("refusal recall on unanswerable questions")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title("answerability thresholds: the trade-off")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def curve_markdown(curves: dict) -> list[str]:
    lines = ["### Answerability thresholds: refusal recall against answer rate (`refusal_curve.png`)", ""]
    for name, refusal in curves.items():
        lines += [f"{name} ({refusal['questions']} questions scored):", "", *_curve_table(refusal)]
    return lines


def _curve_table(refusal: dict) -> list[str]:
    """A few points of the curve (answer rate 1.0, 0.95, 0.9, 0.8 and the served threshold) as a table."""
    points = refusal["points"]
    if not points:
        return ["No scores: the generator does not report them (remote generator).", ""]
    lines = ["| threshold | refusal recall (unanswerable) | answer rate (answerable) |", "|---|---|---|"]
    chosen = {}
    for floor in (1.0, 0.95, 0.9, 0.8):
        fits = [p for p in points if p["answer_rate"] >= floor]
        if fits:
            best = max(fits, key=lambda p: (p["refusal_recall"], p["answer_rate"]))
            chosen[best["threshold"]] = best
    if refusal["threshold"] is not None:
        served_point = min(points, key=lambda p: abs(p["threshold"] - refusal["threshold"]))
        chosen[served_point["threshold"]] = {**served_point, "served": True}
    for t in sorted(chosen):
        p = chosen[t]
        mark = " (served)" if p.get("served") else ""
        lines.append(f"| {p['threshold']:.4f}{mark} | {p['refusal_recall']:.3f} | {p['answer_rate']:.3f} |")
    return [*lines, ""]


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
