"""Sentence selection within the retrieved chunks: what it keeps of the facts, and what it saves of the prompt.

Issue #16 item 4 asks whether cutting the retrieved chunks down to the sentences that best match the
question gives the generator less to get wrong. Before training or serving anything on it, this measures
the bound: for every answerable eval question with `facts`, the share whose facts are all still in the
context (the generator cannot state a fact it is not shown), against the context's length in generator
tokens (what prefill pays for). The peer is the whole retrieved chunks, as served today.

Sentences are scored by the IDF weight of the question's syllables they contain (IDF over the indexed
chunks, the same weights as the coverage score); strategies keep the best `k` sentences over all chunks
(in document order) or the best `m` of each chunk. `evidence_quotes`: how often the sentences the prompt
quotes first (`ragtune/evidence.py`) hold all the facts, the first alone and all of them. Prints one JSON line.

    python bench/context_selection.py
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ragtune.config import load_config  # noqa: E402
from ragtune.evaluation.metrics import facts_correct  # noqa: E402
from ragtune.evidence import select  # noqa: E402
from ragtune.finetune.data import read_questions  # noqa: E402
from ragtune.models import resolve_generator  # noqa: E402
from ragtune.prompt import EVIDENCE_SENTENCES  # noqa: E402
from ragtune.rag.lexical import TermWeights, lexical_terms  # noqa: E402
from ragtune.rag.retrieve import build_retriever  # noqa: E402

SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE.split(text) if s.strip()]


def main() -> None:
    from transformers import AutoTokenizer

    cfg = load_config(ROOT / "config.yaml")
    retriever = build_retriever(cfg)
    weights = TermWeights.of(c.embed_text() for c in retriever.chunks)
    tokenizer = AutoTokenizer.from_pretrained(resolve_generator(cfg.model.generator, cfg.model.models_dir))
    questions = [q for q in read_questions(cfg.eval.questions) if q.answerable and q.facts]

    def score(question: set[str], sentence: str) -> float:
        return sum(weights.weight(t) for t in question & set(lexical_terms(sentence, bigrams=False)))

    def strategies(question: str, chunks: list[str]) -> dict[str, list[str]]:
        terms = set(lexical_terms(question, bigrams=False))
        scored = [[(score(terms, s), j, s) for j, s in enumerate(sentences(c))] for c in chunks]
        flat = sorted(((sc, i, j, s) for i, ss in enumerate(scored) for sc, j, s in ss), key=lambda x: -x[0])
        out = {"whole_chunks": chunks}
        for k in (4, 6, 8, 10):
            keep = sorted(flat[:k], key=lambda x: (x[1], x[2]))
            out[f"best_{k}_sentences"] = [" ".join(s for _, i2, _, s in keep if i2 == i) for i in range(len(chunks))]
        for m in (2, 3):
            out[f"best_{m}_per_chunk"] = [
                " ".join(s for _, _, s in sorted(sorted(ss, key=lambda x: -x[0])[:m], key=lambda x: x[1])) for ss in scored
            ]
        return out

    totals: dict[str, list[float]] = {}
    quoted = [0, 0]  # questions whose facts are in the first quote / in all the quotes the prompt gives
    for q in questions:
        hits = retriever.search(q.question, cfg.serve.top_k, min_share=cfg.serve.min_relative_score)
        evidence = [e.text for e in select(q.question, [h.passage() for h in hits], EVIDENCE_SENTENCES)]
        quoted = [quoted[0] + facts_correct(" ".join(evidence[:1]), q.facts), quoted[1] + facts_correct(" ".join(evidence), q.facts)]
        for name, texts in strategies(q.question, [h.chunk.text for h in hits]).items():
            context = "\n".join(texts)
            facts, tokens = totals.setdefault(name, [0.0, 0.0])
            totals[name] = [facts + facts_correct(context, q.facts), tokens + len(tokenizer(context)["input_ids"])]
    n = len(questions)
    peer_facts, peer_tokens = (v / n for v in totals["whole_chunks"])
    out = {"bench": "context_selection", "questions": n, "peer": "whole_chunks",
           "whole_chunks": {"facts_in_context": round(peer_facts, 3), "context_tokens": round(peer_tokens)},
           "evidence_quotes": {"facts_in_first": round(quoted[0] / n, 3), f"facts_in_{EVIDENCE_SENTENCES}": round(quoted[1] / n, 3)}}  # fmt: skip
    for name, (facts, tokens) in totals.items():
        if name != "whole_chunks":
            out[name] = {"facts_in_context": round(facts / n, 3), "context_tokens": round(tokens / n),
                         "facts_ratio": round(facts / n / peer_facts, 3), "tokens_ratio": round(tokens / n / peer_tokens, 3)}  # fmt: skip
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
