"""`ragtune eval` (`make eval`): the served system on every question, and base vs base+RAG vs fine-tuned vs
fine-tuned+RAG on a seeded sample.

The served system (evaluation/served.py) answers every question through the server's own pipeline and
is scored on what a user checks: fact accuracy, gold-section citation, refusal recall, false refusals,
latency. The four-way comparison uses the same questions, decoding and retrieval for the four systems
(raw generation, no guard or verification) and adds the overlap metrics (ROUGE-L, BLEU, faithfulness),
which reward copying the context and are kept for comparison only. Means come with 95% bootstrap
intervals; the report goes to artifacts/eval/ (json, md, png).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from ragtune.artifacts import ADAPTER_RECORD, replace_dir, staging_dir, write_json
from ragtune.cli import run_stage
from ragtune.config import config_to_dict
from ragtune.evaluation import metrics as M
from ragtune.evaluation import served
from ragtune.finetune.data import Question, read_questions
from ragtune.finetune.generation import generate_batch
from ragtune.hardware import compute_threads, on_compute_thread, precision_dtype, single_threaded_main
from ragtune.models import ModelNotFound, load_generator, pick_device
from ragtune.prompt import build_messages, check_prompt_format, render_prompt, stop_token_ids
from ragtune.rag.retrieve import build_retriever
from ragtune.serve.attention import packed_decode_attention
from ragtune.serve.generator import load_configured
from ragtune.serve.pipeline import AnswerOptions

log = logging.getLogger("eval")
SYSTEMS = ("base", "base+rag", "finetuned", "finetuned+rag")
HEADLINE = ("fact_accuracy", "gold_section_citation", "refusal_accuracy")
METRICS = (
    "fact_accuracy", "gold_section_citation", "refusal_accuracy", "refusal_recall", "answer_rate",
    "rouge_l", "token_f1", "exact_match", "citation_precision", "citation_recall", "citation_f1",
    "language_adherence", "faithfulness", "completion_tokens", "latency_s",
)  # fmt: skip


def score_answer(q: Question, answer: str, sources: list[tuple[str, str]], context: str, not_found: str) -> dict:
    """Per-question metrics; `sources` are the (doc_id, heading) of the prompt's passages [1], [2], ...
    Fact accuracy and gold-section citation are None where the question has no facts or section."""
    source_ids = [doc for doc, _ in sources]
    precision, recall = M.citation_scores(answer, source_ids, q.sources if q.answerable else ())
    return {
        "fact_accuracy": M.facts_correct(answer, q.facts) if q.answerable and q.facts else None,
        "gold_section_citation": M.gold_section_cited(answer, sources, q.sources, q.section) if q.answerable and q.section else None,
        "rouge_l": M.rouge_l(answer, q.reference),
        "token_f1": M.token_f1(answer, q.reference),
        "exact_match": M.exact_match(answer, q.reference),
        "citation_precision": precision,
        "citation_recall": recall,
        "citation_f1": M.f1(precision, recall),
        "refused": float(M.is_refusal(answer, not_found)),
        "answerable": float(q.answerable),
        "language_adherence": M.language_adherence(q.question, answer),
        "faithfulness": M.faithfulness(answer, context) if context else 0.0,
    }


def _refusal_balanced(rows: list[dict]) -> float:
    return M.balanced_refusal_accuracy([bool(r["refused"]) for r in rows], [bool(r["answerable"]) for r in rows])


def summarise(per_question: dict[str, list[dict]]) -> dict[str, dict]:
    """Means per system; refusal accuracy is balanced over answerable and unanswerable questions."""
    summary = {}
    for system, rows in per_question.items():
        means = {}
        for m in METRICS:
            values = [r[m] for r in rows if r.get(m) is not None]
            if m in rows[0]:
                means[m] = sum(values) / len(values) if values else 0.0
        unanswerable = [r for r in rows if not r["answerable"]]
        answerable = [r for r in rows if r["answerable"]]
        means["refusal_recall"] = sum(r["refused"] for r in unanswerable) / max(len(unanswerable), 1)
        means["answer_rate"] = sum(1 - r["refused"] for r in answerable) / max(len(answerable), 1)
        means["refusal_accuracy"] = _refusal_balanced(rows)
        cis = {m: M.bootstrap_ci([r[m] for r in rows if r[m] is not None]) for m in (*HEADLINE, "rouge_l") if m != "refusal_accuracy"}
        cis["refusal_accuracy"] = M.bootstrap_ci(rows, statistic=_refusal_balanced)
        summary[system] = {"mean": means, "ci95": cis}
    return summary


def write_markdown(path: Path, summary: dict, extra: dict, served_lines: list[str]) -> None:
    lower_is_better = {"latency_s", "completion_tokens"}
    lines = [
        "# ragtune evaluation",
        "",
        *served_lines,
        "## Four systems on a seeded sample (raw generation: no guard or verification)",
        "",
        f"{extra['questions']} questions ({extra['answerable']} answerable) from `{extra['eval_set']}`; "
        f"retrieval top-{extra['top_k']}: Recall@{extra['top_k']} {extra['retrieval']['recall']:.3f}, "
        f"MRR {extra['retrieval']['mrr']:.3f}; BLEU per system below. Winner per metric in **bold**; "
        "headline metrics show the 95% bootstrap interval.",
        "",
        "| metric | " + " | ".join(SYSTEMS) + " |",
        "|---" * (len(SYSTEMS) + 1) + "|",
    ]
    for m in (*METRICS, "bleu"):
        values = {s: summary[s]["mean"][m] if m != "bleu" else summary[s]["bleu"] for s in SYSTEMS}
        best = (min if m in lower_is_better else max)(values.values())
        cells = []
        for s in SYSTEMS:
            cell = f"{values[s]:.3f}"
            if m in summary[s]["ci95"]:
                lo, hi = summary[s]["ci95"][m]
                cell += f" [{lo:.2f}, {hi:.2f}]"
            cells.append(f"**{cell}**" if values[s] == best else cell)
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += ["", extra["verdict"], ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_chart(path: Path, summary: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = ("fact_accuracy", "gold_section_citation", "refusal_recall", "answer_rate", "citation_f1", "rouge_l")
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(SYSTEMS)
    for i, s in enumerate(SYSTEMS):
        xs = [j + i * width for j in range(len(shown))]
        ax.bar(xs, [summary[s]["mean"][m] for m in shown], width, label=s)
    ax.set_xticks([j + width * (len(SYSTEMS) - 1) / 2 for j in range(len(shown))], shown)
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean over questions")
    ax.set_title("ragtune: base vs RAG vs fine-tuned vs fine-tuned + RAG")
    ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def verdict(summary: dict) -> str:
    winners = {m: max(SYSTEMS, key=lambda s: summary[s]["mean"][m]) for m in HEADLINE}
    lost = [m for m, w in winners.items() if w != "finetuned+rag"]
    if not lost:
        return "fine-tuned + RAG is first on fact accuracy, gold-section citation and refusal accuracy."
    return "fine-tuned + RAG is NOT first on: " + ", ".join(f"{m} (winner: {winners[m]})" for m in lost) + "."


def main(argv: list[str] | None = None) -> int:
    """`python -m ragtune.evaluation` = `ragtune eval`."""
    return run_stage("eval", argv)


def run(cfg, embedder=None) -> int:
    """`ragtune eval`; `embedder` replaces the configured one (tests plug a fake in through this seam).

    The main thread computes single-threaded and the generation runs on compute threads, as in the server, so
    the served system's latencies are the server's (ragtune/hardware.py)."""
    single_threaded_main()
    try:
        return _run(cfg, embedder)
    finally:
        torch.set_num_threads(compute_threads())


def _run(cfg, embedder) -> int:
    # --- setup -------------------------------------------------------------------------------
    ev, mc = cfg.eval, cfg.model
    every_question = read_questions(ev.questions)
    questions = every_question
    if ev.limit and ev.limit < len(questions):
        questions = random.Random(0).sample(questions, ev.limit)
    adapter_dir = cfg.finetune.output_dir
    if not (adapter_dir / ADAPTER_RECORD).exists():
        raise ModelNotFound(f"no adapter at {adapter_dir}; run `ragtune finetune` (make finetune) first, or set finetune.output_dir")
    retriever = build_retriever(cfg, embedder=embedder)
    base, tokenizer = load_generator(mc.generator, mc.models_dir, mc.device, dtype=precision_dtype(mc.inference_dtype, pick_device(mc.device)))
    record = json.loads((adapter_dir / ADAPTER_RECORD).read_text(encoding="utf-8"))
    check_prompt_format(record["prompt_format"], tokenizer, mc.system_prompt)
    from peft import PeftModel

    model = PeftModel.from_pretrained(packed_decode_attention(base), adapter_dir).eval()
    stops = stop_token_ids(tokenizer)

    # --- retrieve once, shared by both RAG systems ----------------------------------------------
    hits = [retriever.search(q.question, cfg.serve.top_k, min_share=cfg.serve.min_relative_score) for q in questions]
    retrieved_docs = [list(dict.fromkeys(h.chunk.doc_id for h in hs)) for hs in hits]
    answerable = [i for i, q in enumerate(questions) if q.answerable]
    retrieval = {
        "recall": sum(M.recall_at_k(retrieved_docs[i], questions[i].sources, cfg.serve.top_k) for i in answerable) / max(len(answerable), 1),
        "mrr": sum(M.mrr_at_k(retrieved_docs[i], questions[i].sources, cfg.serve.top_k) for i in answerable) / max(len(answerable), 1),
    }

    # --- generate and score --------------------------------------------------------------------
    per_question, answers = on_compute_thread(_four_way, cfg, model, tokenizer, stops, questions, hits)

    # --- the served system, on every question ------------------------------------------------------
    del model, base  # the four-way model; the served one is loaded as the server loads it
    served_rows, thresholds = served_run(cfg, retriever, every_question)
    served_summary = served.summarise(served_rows)
    refusal = served.refusal_curves(served_rows, thresholds)

    # --- report --------------------------------------------------------------------------------
    summary = summarise(per_question)
    for system in SYSTEMS:
        summary[system]["bleu"] = M.bleu(answers[system], [q.reference for q in questions])
    extra = {
        "eval_set": str(ev.questions),
        "questions": len(questions),
        "answerable": len(answerable),
        "top_k": cfg.serve.top_k,
        "retrieval": retrieval,
        "index_version": retriever.version,
        "adapter": str(adapter_dir),
    }
    extra["verdict"] = verdict(summary)
    staging = staging_dir(ev.output_dir)
    write_json(
        staging / "report.json",
        {
            "served": {"summary": served_summary, "clients": ev.served_clients, "refusal_curve": refusal, "answers": served_rows},
            "summary": summary,
            **extra,
            "config": {"model": config_to_dict(mc), "eval": config_to_dict(ev)},
            "answers": [
                {"question": q.question, "reference": q.reference, **{s: answers[s][i] for s in SYSTEMS}}
                for i, q in enumerate(questions)
            ],
        },
    )
    served_lines = served.markdown(served_summary, ev.served_clients) + served.curve_markdown(refusal)
    write_markdown(staging / "report.md", summary, extra, served_lines)
    write_chart(staging / "report.png", summary)
    served.chart(staging / "refusal_curve.png", refusal)
    replace_dir(staging, ev.output_dir)
    print((ev.output_dir / "report.md").read_text(encoding="utf-8"))
    return 0


def _four_way(cfg, model, tokenizer, stops, questions, hits) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
    """Every question generated and scored by the four systems (run on a compute thread): the scored rows and
    the answer texts of each system."""
    ev, mc = cfg.eval, cfg.model
    per_question: dict[str, list[dict]] = {}
    answers: dict[str, list[str]] = {}
    bar = tqdm(total=len(SYSTEMS) * len(questions), desc="eval", unit="answer")
    for system in SYSTEMS:
        use_rag = system.endswith("+rag")
        prompts = []
        for q, hs in zip(questions, hits, strict=True):
            passages = [h.passage() for h in hs] if use_rag else []
            prompts.append(render_prompt(tokenizer, build_messages(q.question, passages, (), mc.system_prompt)))
        rows: list[dict] = [{}] * len(prompts)
        texts = [""] * len(prompts)
        # similar lengths batched together: less padding in prefill
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        for start in range(0, len(order), ev.batch_size):
            batch = order[start : start + ev.batch_size]
            began = time.perf_counter()
            if system.startswith("base"):
                with model.disable_adapter():
                    completions = generate_batch(model, tokenizer, [prompts[i] for i in batch], ev.max_new_tokens, stops)
            else:
                completions = generate_batch(model, tokenizer, [prompts[i] for i in batch], ev.max_new_tokens, stops)
            per_answer_s = (time.perf_counter() - began) / len(batch)
            for i, c in zip(batch, completions, strict=True):
                sources = [(h.chunk.doc_id, h.chunk.heading) for h in hits[i]] if use_rag else []
                context = "\n".join(h.chunk.text for h in hits[i]) if use_rag else ""
                row = score_answer(questions[i], c.text, sources, context, mc.not_found_phrase)
                row.update(completion_tokens=c.completion_tokens, latency_s=per_answer_s)
                rows[i], texts[i] = row, c.text
            bar.update(len(batch))
        per_question[system], answers[system] = rows, texts
    bar.close()
    return per_question, answers


def served_run(cfg, retriever, questions: list[Question]) -> tuple[list[dict], dict[str, float | None]]:
    """Every question through the answer pipeline of `ragtune serve`, on the model the server would load;
    the scored rows and the answerability thresholds the pipeline applied."""
    from ragtune.serve.metrics import Metrics
    from ragtune.serve.services import Services

    mc = cfg.model
    lm = load_configured(cfg)
    services = Services(cfg, lm, retriever)
    services.start(Metrics())
    options = AnswerOptions(cfg.serve.top_k, cfg.serve.max_new_tokens, cfg.serve.temperature)
    try:
        answered = asyncio.run(served.answer_all(services.pipeline, questions, options, cfg.eval.served_clients))
    finally:
        services.engine.close()
    phrases = (mc.not_found_phrase, mc.not_found_phrase_en)
    rows = [served.score(q, a, seconds, phrases) for q, (a, seconds) in zip(questions, answered, strict=True)]
    return rows, {"coverage": services.pipeline.coverage_threshold, "refusal_score": services.pipeline.refusal_threshold}


if __name__ == "__main__":
    sys.exit(main())
