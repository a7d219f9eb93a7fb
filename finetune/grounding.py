"""Train on the context the server gives: rows rendered with real retrieved passages, and hard negatives.

The hand-written rows carry their gold passage next to one or two unrelated ones; live, a question arrives
with the top retrieved chunks, most of them on-topic. So each row that cites its context is re-rendered
the way the server renders it (docs/design.md, "Training for grounding"):

* `served_context`: the row's question is searched as the server searches it (same `top_k`, same
  `min_relative_score`); every cited gold passage takes the place of the retrieved chunk that holds it
  (same document, most of its words), or, when retrieval missed it, a random position. The answer's
  citations are renumbered to where the gold passages landed, so gold is wherever retrieval put it,
  not always first.
* `hard_negative`: the same retrieved passages without the gold ones, without the rest of the gold
  section, and only when what remains does not state the answer's numbers: an on-topic context that
  does not hold the answer, whose target is the not-found phrase. These are extra rows
  (`finetune.hard_negatives` of the grounded rows); the original row is still trained.

Rows that cite nothing (refusals written with their own context, rows without context) are kept as written.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from ragtune.citations import CITATION
from ragtune.finetune.data import Example
from ragtune.prompt import Passage
from ragtune.quantities import quantities
from ragtune.rag.lexical import lexical_terms

HOLDS = 0.6  # share of a gold passage's words a retrieved chunk must contain to stand for it


def cited(example: Example) -> list[int]:
    """0-based indices of the passages the answer cites."""
    return sorted({int(n) - 1 for n in CITATION.findall(example.answer) if 0 < int(n) <= len(example.passages)})


def _words(text: str) -> set[str]:
    return set(lexical_terms(text, bigrams=False))


def holds(chunk: Passage, gold: Passage) -> bool:
    """The retrieved chunk is (most of) the gold passage: same document, most of the gold's words."""
    if gold.doc_id and chunk.doc_id != gold.doc_id:
        return False
    words = _words(gold.text)
    return bool(words) and len(words & _words(chunk.text)) >= HOLDS * len(words)


def renumber(answer: str, new_number: dict[int, int]) -> str:
    """Citations `[old]` (1-based) rewritten to `[new]`; others left as they are."""
    return CITATION.sub(lambda m: f"[{new_number.get(int(m.group(1)), int(m.group(1)))}]", answer)


def served_context(example: Example, retrieved: list[Passage], rng: random.Random) -> Example:
    """The row with the retrieved passages as context and its gold passages where retrieval put them."""
    gold_idx = cited(example)
    if not gold_idx:
        return example
    passages: list[Passage | None] = list(retrieved)
    place: dict[int, int] = {}  # gold index -> position in passages
    for g in gold_idx:
        gold = example.passages[g]
        found = next((j for j, p in enumerate(passages) if p is not None and j not in place.values() and holds(p, gold)), None)
        if found is None:  # retrieval missed it: the gold takes a random place among the top ones
            found = rng.randrange(len(passages) + 1) if passages else 0
            passages.insert(found, None)
            place = {k: v + (v >= found) for k, v in place.items()}
        place[g] = found
    limit = max(len(retrieved), len(gold_idx))
    for g, j in place.items():
        passages[j] = example.passages[g]
    # keep every gold passage; drop non-gold ones from the end if an insertion made the list too long
    while len(passages) > limit:
        drop = max(j for j in range(len(passages)) if j not in place.values())
        passages.pop(drop)
        place = {k: v - (v > drop) for k, v in place.items()}
    return replace(
        example, passages=tuple(passages), answer=renumber(example.answer, {g + 1: j + 1 for g, j in place.items()})
    )


def hard_negative(example: Example, retrieved: list[Passage], not_found: str) -> Example | None:
    """The question with on-topic retrieved passages that do not hold its answer (target: `not_found`), or None
    when retrieval found nothing else, or what is left still states the answer's numbers."""
    gold = [example.passages[g] for g in cited(example)]
    if not gold:
        return None
    gold_sections = {(p.doc_id, p.title) for p in gold}
    others = [
        p for p in retrieved
        if not any(holds(p, g) or holds(g, p) for g in gold) and (p.doc_id, p.title) not in gold_sections
    ]  # fmt: skip
    if not others:
        return None
    claims = quantities(CITATION.sub(" ", example.answer))
    if claims:
        evidence = quantities(" ".join(p.text for p in others))
        if all(any(c.matches(e) for e in evidence) for c in claims):
            return None  # the answer's numbers are still in front of the model: not a negative
    return replace(example, passages=tuple(others), answer=not_found, source=f"{example.source} (hard negative)")


def ground(
    examples: list[Example], search: Callable[[Example], list[Passage]], hard_negatives: float,
    not_found: Callable[[str], str], rng: random.Random, counts: Counter,
) -> list[Example]:  # fmt: skip
    """Every citing row in served context; after a share `hard_negatives` of them, its hard negative."""
    out = []
    for example in examples:
        if not cited(example):
            counts["as_written"] += 1
            out.append(example)
            continue
        retrieved = search(example)
        out.append(served_context(example, retrieved, rng))
        counts["served_context"] += 1
        if hard_negatives and rng.random() < hard_negatives:
            negative = hard_negative(example, retrieved, not_found(example.question))
            if negative is not None:
                out.append(negative)
                counts["hard_negative"] += 1
    return out
