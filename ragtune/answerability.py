"""Deciding answerability on purpose: two scores, each with a threshold chosen on held-out data.

*Question coverage* (before generating): the share of the question's term weight (IDF over the indexed
chunks, Vietnamese syllables) that no single sentence of the retrieved passages holds, with its passage's title
(`rag/lexical.py` `uncovered` over `coverage_units`). A question about an intern's allowance retrieves
passages about allowances, but no sentence that says "thực tập" and states an allowance; the rarer the
missing words, the higher the score. A question that asks for a quantity ("bao nhiêu", "how long",
`ragtune/answer_type.py`) is compared only with the sentences that state one: the documents speak of the
arbitration fee, but if no sentence about it gives an amount, they do not answer "how much". Sentences
rather than whole passages: a 256-token passage holds most words of an on-topic near miss somewhere. The
words that make the sentence a question ("bao nhiêu", "mình", "what", `rag/lexical.py` QUESTION_WORDS) are not
counted: no answer holds them, and they made every question look a little uncovered. At or
above `answerability.coverage.threshold` the server answers the not-found phrase without generating.
`make finetune` chooses it on the training rows in served context: the lowest that refuses at most
`finetune.max_false_refusal` of the answerable ones.

*Refusal score* (after prefill): the model's own probability of starting the not-found phrase.
After the prompt is prefilled, the model's next-token distribution says how likely the answer is to start
with the not-found phrase. `refusal_token_ids` are the first tokens of the configured phrases; their summed
probability is the refusal score. At or above the threshold the server answers with the phrase without
decoding; below it the phrase's first tokens are masked, so the decision is the threshold's alone.

`make finetune` scores the validation rows (answerable ones and on-topic hard negatives), chooses the lowest
threshold that refuses at most `finetune.max_false_refusal` of the answerable ones (`calibrate`), and records
it with the adapter; `make eval` reports the same trade-off on the eval set as a curve (`curve`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ragtune.answer_type import asks_quantity, holds_quantity
from ragtune.evidence import statements

if TYPE_CHECKING:
    from ragtune.prompt import Passage

COVERAGE_UNIT = "sentence-content"  # recorded with the threshold: the score it was calibrated on (sentences, table
# rows under their header; the question without its question words); another is not applied


def coverage_units(question: str, passages: Sequence[Passage]) -> list[str]:
    """What question coverage compares the question with: each sentence of the passages under its passage's
    title; for a question asking a quantity, only the sentences that state one."""
    typed = asks_quantity(question)
    return [f"{p.title}\n{s}" for p in passages for s in statements(p.text) if not typed or holds_quantity(s)]


def refusal_token_ids(tokenizer: Any, phrases: Sequence[str]) -> list[int]:
    """The first token of each not-found phrase, as it starts an answer (deduplicated, in order)."""
    ids: list[int] = []
    for phrase in phrases:
        tokens = tokenizer(phrase.strip(), add_special_tokens=False)["input_ids"] if phrase.strip() else []
        if tokens and tokens[0] not in ids:
            ids.append(tokens[0])
    return ids


def rates(scores: Sequence[float], unanswerable: Sequence[bool], threshold: float) -> tuple[float, float]:
    """(refusal recall on unanswerable, answer rate on answerable) when refusing every score >= threshold."""
    neg = [s for s, u in zip(scores, unanswerable, strict=True) if u]
    pos = [s for s, u in zip(scores, unanswerable, strict=True) if not u]
    recall = sum(s >= threshold for s in neg) / len(neg) if neg else 0.0
    answered = sum(s < threshold for s in pos) / len(pos) if pos else 1.0
    return recall, answered


def curve(scores: Sequence[float], unanswerable: Sequence[bool]) -> list[dict[str, float]]:
    """Refusal recall against answer rate at every threshold that changes either (plus 'never refuse')."""
    points = []
    for t in sorted(set(scores)) + [1.0 + 1e-9]:
        recall, answered = rates(scores, unanswerable, t)
        points.append({"threshold": round(min(t, 1.0), 6), "refusal_recall": round(recall, 4), "answer_rate": round(answered, 4)})
    return points


def calibrate(scores: Sequence[float], unanswerable: Sequence[bool], max_false_refusal: float) -> dict[str, Any]:
    """The lowest threshold whose refusals of answerable rows stay within `max_false_refusal`, and its rates."""
    pos = sorted(s for s, u in zip(scores, unanswerable, strict=True) if not u)
    allowed = int(max_false_refusal * len(pos))  # answerable rows that may score at or above the threshold
    if not pos:
        threshold = 0.5
    elif allowed >= len(pos):
        threshold = 0.0
    else:
        # refusing at t refuses the answerable rows scoring >= t: put t just above the (allowed+1)-th highest
        threshold = min(pos[len(pos) - 1 - allowed] + 1e-6, 1.0)
    recall, answered = rates(scores, unanswerable, threshold)
    return {
        "threshold": round(threshold, 6),
        "max_false_refusal": max_false_refusal,
        "rows_answerable": len(pos),
        "rows_unanswerable": len(scores) - len(pos),
        "refusal_recall": round(recall, 4),
        "false_refusal": round(1 - answered, 4),
        "curve": curve(scores, unanswerable),
    }
