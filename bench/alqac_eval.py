"""ALQAC external check: retrieval Recall@5 on the shipped statutes and answer accuracy, base+RAG vs fine-tuned+RAG.

Reads the ALQAC 2025 true/false and multiple-choice questions from ../shared/evaldata (never copied
into the repository), retrieves from the live index exactly as /ask does, and parses Đúng/Sai or
A–D from the generated answer. Needs `make index` and `make finetune` first. One JSON line.

    python bench/alqac_eval.py [--limit 60] [--k 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peft import PeftModel  # noqa: E402

from ragtune.config import load_config  # noqa: E402
from ragtune.evaluation.metrics import is_refusal  # noqa: E402
from ragtune.finetune.generation import generate_batch  # noqa: E402
from ragtune.hardware import precision_dtype  # noqa: E402
from ragtune.models import load_generator, pick_device  # noqa: E402
from ragtune.prompt import build_messages, render_prompt, stop_token_ids  # noqa: E402
from ragtune.rag.retrieve import build_retriever  # noqa: E402

QUESTIONS = ROOT.parent / "shared" / "evaldata" / "alqac_vi_legal" / "alqac25_train.json"
sys.path.insert(0, str(ROOT / "corpora"))
from build_laws import slugify  # noqa: E402  the same slug the shipped law files are named by


def gold_hit(hit, article: dict) -> bool:
    c = hit.chunk
    if c.doc_id != f"laws/{slugify(article['law_id'])}.md":
        return False
    return re.search(rf"> Điều {re.escape(article['article_id'])}(\.|$)", c.heading) is not None


def ask_text(row: dict) -> str:
    if row["question_type"] == "Đúng/Sai":
        return f"{row['text']} Hãy trả lời Đúng hoặc Sai."
    choices = "\n".join(f"{k}. {v}" for k, v in row["choices"].items())
    return f"{row['text']}\n{choices}\nHãy chọn một đáp án A, B, C hoặc D."


def parse_answer(text: str, kind: str) -> str | None:
    if kind == "Đúng/Sai":
        m = re.search(r"\b(đúng|sai)\b", text.lower())
        return m.group(1).capitalize() if m else None
    m = re.search(r"(?:^|[\s(:])([ABCD])(?:[.):\s]|$)", text)
    return m.group(1) if m else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    args = parser.parse_args()
    if not QUESTIONS.exists():
        print(json.dumps({"skipped": f"{QUESTIONS} not found"}))
        return
    cfg = load_config(ROOT / "config.yaml")
    rows = [r for r in json.loads(QUESTIONS.read_text(encoding="utf-8")) if r["question_type"] in ("Đúng/Sai", "Trắc nghiệm")]
    rows = random.Random(7).sample(rows, min(args.limit, len(rows)))
    retriever = build_retriever(cfg)
    hits = [retriever.search(r["text"], args.k, doc_prefix="laws/") for r in rows]
    recall = sum(any(gold_hit(h, a) for h in hs for a in r["relevant_articles"]) for r, hs in zip(rows, hits, strict=True)) / len(rows)

    base, tok = load_generator(cfg.model.generator, cfg.model.models_dir, cfg.model.device, dtype=precision_dtype(cfg.model.inference_dtype, pick_device(cfg.model.device)))
    model = PeftModel.from_pretrained(base, cfg.finetune.output_dir).eval()
    prompts = [
        render_prompt(tok, build_messages(ask_text(r), [h.passage() for h in hs], (), cfg.model.system_prompt))
        for r, hs in zip(rows, hits, strict=True)
    ]
    out = {"questions": len(rows), "k": args.k, "recall_at_k": round(recall, 3), "index_version": retriever.version}
    for system in ("base+rag", "finetuned+rag"):
        began = time.perf_counter()
        answers = []
        for i in range(0, len(prompts), cfg.eval.batch_size):
            batch = prompts[i : i + cfg.eval.batch_size]
            if system == "base+rag":
                with model.disable_adapter():
                    answers += generate_batch(model, tok, batch, args.max_new_tokens, stop_token_ids(tok))
            else:
                answers += generate_batch(model, tok, batch, args.max_new_tokens, stop_token_ids(tok))
        parsed = [parse_answer(a.text, r["question_type"]) for a, r in zip(answers, rows, strict=True)]
        correct = [p == r["answer"] for p, r in zip(parsed, rows, strict=True)]
        by_type = {}
        for kind in ("Đúng/Sai", "Trắc nghiệm"):
            idx = [i for i, r in enumerate(rows) if r["question_type"] == kind]
            by_type[kind] = round(sum(correct[i] for i in idx) / max(len(idx), 1), 3)
        out[system] = {
            "accuracy": round(sum(correct) / len(rows), 3),
            "by_type": by_type,
            "unparsed": sum(p is None for p in parsed),
            "refused": sum(is_refusal(a.text, cfg.model.not_found_phrase) for a in answers),
            "seconds": round(time.perf_counter() - began, 1),
        }
    # chance: 0.5 for Đúng/Sai, 0.25 for A–D
    out["chance"] = round(sum(0.5 if r["question_type"] == "Đúng/Sai" else 0.25 for r in rows) / len(rows), 3)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
