"""Answer and retrieval metrics: pure functions on strings and id lists, no models.

Tokenisation is Unicode-aware (lower-cased NFC words and syllables), which is what Vietnamese needs:
rouge-score's default tokenizer drops every non-ASCII letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from ragtune.citations import CITATION, cited_numbers
from ragtune.quantities import QUANTITY, quantities
from ragtune.rag.lexical import looks_vietnamese as is_vietnamese  # noqa: F401  (one definition, shared)

WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFC", text).lower())


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = tokens(prediction), tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, reference: str) -> float:
    return float(tokens(prediction) == tokens(reference))


class _WordTokenizer:
    """rouge-score's tokenizer interface over `tokens`."""

    def tokenize(self, text: str) -> list[str]:
        return tokens(text)


@lru_cache(maxsize=1)
def _rouge_scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], tokenizer=_WordTokenizer())


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1 over Unicode word tokens (the rouge-score formula with a Vietnamese-safe tokenizer)."""
    return _rouge_scorer().score(reference, prediction)["rougeL"].fmeasure


def bleu(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (sacrebleu, 'intl' tokenisation: Unicode punctuation and symbols split correctly)."""
    import sacrebleu

    return sacrebleu.corpus_bleu(list(predictions), [list(references)], tokenize="intl").score


def is_refusal(answer: str, phrase: str) -> bool:
    """The fixed 'not in the documents' phrase, tolerant of case, spacing and final punctuation."""
    norm = " ".join(tokens(answer))
    return " ".join(tokens(phrase)) in norm


def citation_scores(answer: str, source_doc_ids: Sequence[str], gold: Sequence[str]) -> tuple[float, float]:
    """(precision, recall) of the documents the answer cites via [n] against the gold documents.

    `source_doc_ids[n-1]` is the document of context block n. No citations and no gold counts as
    perfect (a correct refusal); citations pointing past the sources count as wrong.
    """
    cited = [source_doc_ids[n - 1] if 1 <= n <= len(source_doc_ids) else None for n in cited_numbers(answer)]
    gold_set = set(gold)
    if not cited:
        return (1.0, 1.0) if not gold_set else (0.0, 0.0)
    precision = sum(doc in gold_set for doc in cited) / len(cited)
    recall = len(gold_set & {d for d in cited if d}) / len(gold_set) if gold_set else 0.0
    return precision, recall


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def fact_present(answer: str, alternatives: Sequence[str]) -> bool:
    """One of the fact's alternative wordings is in the answer (case and spacing aside); a fact that is just a
    quantity ("14 ngày", "20.000.000 đồng") also counts when the answer writes the same value differently."""
    said, claimed = _normal(CITATION.sub(" ", answer)), quantities(answer)
    for alt in alternatives:
        if re.search(rf"(?<![\w.,]){re.escape(_normal(alt))}(?!\w|[.,]\d)", said):  # "16" is not in "160"
            return True
        wanted = quantities(alt)
        rest = WORD.findall(QUANTITY.sub(" ", alt))
        if wanted and not rest and all(any(w.matches(c) for c in claimed) for w in wanted):
            return True
    return False


def facts_correct(answer: str, facts: Sequence[Sequence[str]]) -> float:
    """1 when the answer states every fact a correct answer must contain (each a tuple of alternatives)."""
    return float(all(fact_present(answer, alternatives) for alternatives in facts))


def gold_section_cited(answer: str, sources: Sequence[tuple[str, str]], gold_docs: Sequence[str], section: str) -> float:
    """1 when some [n] of the answer points at a source (doc_id, heading) in the gold section of a gold document
    (a chunk of a subsection counts: its heading path starts with the section's)."""
    gold = _normal(section)
    for n in cited_numbers(answer):
        if 1 <= n <= len(sources):
            doc_id, heading = sources[n - 1]
            if doc_id in gold_docs and _normal(heading).startswith(gold):
                return 1.0
    return 0.0


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def language_adherence(question: str, answer: str) -> float:
    return float(is_vietnamese(question) == is_vietnamese(answer))


def faithfulness(answer: str, context: str) -> float:
    """Share of the answer's word tokens that occur in the retrieved context (a support proxy)."""
    words = [w for w in tokens(CITATION.sub(" ", answer)) if not w.isdigit() or len(w) > 1]
    if not words:
        return 0.0
    support = set(tokens(context))
    return sum(w in support for w in words) / len(words)


def recall_at_k(retrieved: Sequence[str], gold: Sequence[str], k: int) -> float:
    if not gold:
        return 0.0
    return len(set(retrieved[:k]) & set(gold)) / len(set(gold))


def mrr_at_k(retrieved: Sequence[str], gold: Sequence[str], k: int) -> float:
    for rank, doc in enumerate(retrieved[:k], start=1):
        if doc in set(gold):
            return 1.0 / rank
    return 0.0


def balanced_refusal_accuracy(refused: Sequence[bool], answerable: Sequence[bool]) -> float:
    """Mean of the two class accuracies: refuses the unanswerable, answers the answerable.

    Plain accuracy on a set that is mostly answerable rewards a model that never refuses.
    A class that is absent from the set is left out of the mean.
    """
    parts = []
    for cls in (False, True):
        rows = [r for r, a in zip(refused, answerable, strict=True) if a == cls]
        if rows:
            parts.append(sum(r != cls for r in rows) / len(rows))
    return sum(parts) / len(parts) if parts else 0.0


def bootstrap_ci(values: Sequence, n_resamples: int = 1000, seed: int = 0, statistic=None) -> tuple[float, float]:
    """95% percentile-bootstrap interval of `statistic` (default: the mean) over resampled rows."""
    import numpy as np

    if not len(values):
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), size=(n_resamples, len(values)))
    if statistic is None:
        stats = np.asarray(values, dtype=float)[picks].mean(axis=1)
    else:
        stats = np.array([statistic([values[i] for i in row]) for row in picks])
    return float(np.percentile(stats, 2.5)), float(np.percentile(stats, 97.5))
