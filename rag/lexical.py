"""BM25 over chunks with a tokenizer that is right for Vietnamese.

Vietnamese writes one syllable per space-separated unit and most words are two syllables
("nghỉ phép", "thường trú"), so terms are NFC lower-cased syllables plus adjacent-syllable bigrams:
the bigrams restore word identity that single syllables lose.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SYLLABLE = re.compile(r"\w+", re.UNICODE)
VIETNAMESE_LETTERS = set("ăâđêôơưáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def looks_vietnamese(text: str) -> bool:
    """Vietnamese text has letters with Vietnamese diacritics in a good share of its syllables."""
    syllables = SYLLABLE.findall(unicodedata.normalize("NFC", text).lower())
    if not syllables:
        return False
    marked = sum(any(ch in VIETNAMESE_LETTERS for ch in s) for s in syllables)
    return marked / len(syllables) >= 0.15


def lexical_terms(text: str, bigrams: bool = True) -> list[str]:
    syllables = SYLLABLE.findall(unicodedata.normalize("NFC", text).lower())
    if not bigrams:
        return syllables
    return syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:], strict=False)]


class LexicalIndex:
    """bm25s over a fixed list of chunk texts; scores come back aligned with that list."""

    def __init__(self, model, size: int):
        self._model = model
        self.size = size

    @classmethod
    def build(cls, texts: Iterable[str]) -> LexicalIndex:
        """Each text becomes an int32 array of term ids as it is read, so only the vocabulary is held as strings.

        Handing bm25s lists of term strings held every chunk's ~400 terms as Python objects at once: 2.9 GB of
        peak memory for 100k chunks, past this machine's 24 GB before 1M. The scores are the same either way.
        """
        import bm25s

        vocab: dict[str, int] = {}
        ids = [np.fromiter((vocab.setdefault(t, len(vocab)) for t in lexical_terms(text)), dtype=np.int32) for text in texts]
        model = bm25s.BM25()
        if ids:
            model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
        return cls(model, len(ids))

    def scores(self, query: str) -> np.ndarray:
        if self.size == 0:
            return np.zeros(0, dtype=np.float32)
        vocab = self._model.vocab_dict
        terms = [t for t in lexical_terms(query) if t in vocab]
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(terms), dtype=np.float32)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        import bm25s

        if size == 0:
            return cls(bm25s.BM25(), 0)
        return cls(bm25s.BM25.load(str(folder), show_progress=False), size)


@dataclass(frozen=True)
class TermWeights:
    """Inverse document frequencies of the corpus's terms (lower-cased NFC syllables); unseen terms weigh most."""

    document_frequency: Counter
    documents: int

    @classmethod
    def of(cls, texts: Iterable[str]) -> TermWeights:
        df: Counter = Counter()
        n = 0
        for text in texts:
            df.update(set(lexical_terms(text, bigrams=False)))
            n += 1
        return cls(df, n)

    def weight(self, term: str) -> float:
        df = self.document_frequency.get(term, 0)
        return math.log(1 + (self.documents - df + 0.5) / (df + 0.5))


# the words that make a sentence a question, not what it asks about: interrogatives, pronouns, particles, modals
# and, for English, function words. An answer never holds "bao nhiêu" or "what", so they would count as uncovered
# in every question; and in a corpus of Vietnamese documents the English function words are rare, so their weight
# is high. Left out of a question's term weight, what remains is its subject and what it asks of it.
QUESTION_WORDS = frozenset(
    "bao nhiêu lâu mấy gì nào sao đâu ai không chưa có được thì là mà vậy nhé ạ à ơi hả nhỉ chứ thế tôi mình em "
    "anh chị tụi chúng ta bạn hỏi muốn lỡ rồi nếu khi liệu thể cho với và hay hoặc của này kia đó ấy nữa cũng vẫn đã "
    "đang sẽ phải cần thấy biết "
    "a an the is are am was were be been being do does did i me my mine we us our you your it its this that these "
    "those what which who whom whose how many much when where why can could would should will shall may might must "
    "to of in on at for from by with about as and or if there any s d ll ve re t m like need want please tell get "
    "got have has had so than then just only also".split()
)


def uncovered(question: str, passages: Sequence[str], weights: TermWeights) -> float:
    """1 - the largest share of the question's term weight (QUESTION_WORDS left out) one passage holds (0: some
    passage has every term)."""
    terms = set(lexical_terms(question, bigrams=False)) - QUESTION_WORDS
    total = sum(weights.weight(t) for t in terms)
    if not total:
        return 0.0
    best = max((sum(weights.weight(t) for t in terms & set(lexical_terms(p, bigrams=False))) for p in passages), default=0.0)
    return round(1 - best / total, 6)
