"""Context-aware training (RAFT): rows learn to use retrieved text, and to doubt it.

Each row that carries context keeps the passages its answer cites (the gold ones) and gets real
retrieved chunks as distractors, in a shuffled order with the citations renumbered to match. A
configurable share of rows loses its gold passages; their target becomes the "not in the documents"
phrase, so the adapter learns to refuse when retrieval missed.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from ragtune.citations import CITATION
from ragtune.finetune.data import Example
from ragtune.prompt import Passage


def cited(example: Example) -> list[int]:
    """0-based indices of the passages the answer cites."""
    return sorted({int(n) - 1 for n in CITATION.findall(example.answer) if 0 < int(n) <= len(example.passages)})


def raft_example(
    example: Example, distractors: list[Passage], k: int, no_gold_share: float, not_found: str, rng: random.Random
) -> Example:
    """The row with retrieved distractors around its gold passages (or, sometimes, without them)."""
    gold_idx = cited(example)
    if not gold_idx:
        return example  # refusals and rows without citations are kept as written
    gold = [example.passages[i] for i in gold_idx]
    gold_docs = {p.doc_id for p in gold if p.doc_id}
    others = [d for d in distractors if d.doc_id not in gold_docs and d.text not in {g.text for g in gold}]
    if rng.random() < no_gold_share:
        if not others:
            return example
        return replace(example, passages=tuple(others[:k]), answer=not_found)
    chosen = gold + others[: max(k - len(gold), 0)]
    order = list(range(len(chosen)))
    rng.shuffle(order)
    passages = tuple(chosen[i] for i in order)
    new_number = {gold_idx[j]: order.index(j) + 1 for j in range(len(gold))}  # old 0-based -> new 1-based

    def renumber(m: re.Match) -> str:
        old = int(m.group(1)) - 1
        return f"[{new_number[old]}]" if old in new_number else m.group(0)

    return replace(example, passages=passages, answer=CITATION.sub(renumber, example.answer))
