"""Evidence first: the sentences of the retrieved passages that best match the question, quoted before it.

Four retrieved chunks hold the answer to most questions, but a small model given all of them often copies a
neighbouring sentence of the right section, or the right sentence without its number (issue #16). Sentence
selection scored against the question picks the answering sentence more often than the model does, so the
prompt quotes the best few, each with the number of the passage it comes from, between the passages and the
question (`ragtune/prompt.py`). The passages stay whole: a selection that misses still leaves the answer in
front of the model. Training renders rows the same way, so the model learns how far to trust the quotes.

Scoring needs nothing but the question and the passages, so the server, the eval and training render the
same prompt: a sentence scores the IDF weight of the question's syllables and syllable bigrams that it or its
passage title holds, IDF taken over the candidate sentences themselves (a word every candidate shares, such
as the topic of the whole section, says little about which one answers).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import TYPE_CHECKING

from ragtune.answer_type import asks_quantity, holds_quantity
from ragtune.citations import CITATION
from ragtune.rag.lexical import TermWeights, lexical_terms

if TYPE_CHECKING:
    from ragtune.prompt import Passage

# a sentence ends at . ! ? followed by a space, or at a line break (list items, table rows, headings); not at
# ';', which joins the steps of one rule ("approves within 2 days; past that, the request moves up")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")
# a line break inside running text (hard-wrapped .txt, PDF text): no stop before it, and after it a lower-case
# word or a number that is not a list marker ("1. ", "2) ")
WRAP = re.compile(r"(?<=[^\s.!?:;])[ \t]*\n[ \t]*(?=(\w[^\n]{0,11}))")
LIST_MARKER = re.compile(r"\d+[.)](\s|$)")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")  # |---|:---:| under a table's header
MIN_WORDS = 3  # shorter pieces (a bare heading, a list marker) are not quoted
MAX_WORDS = 48  # a longer sentence (a whole statute clause) is quoted as its best-matching 48 words, marked '…'
# a sentence scoring at least this share of the best one speaks of what the question asks about: of those, the
# ones stating a quantity answer a question that asks for one (ragtune/answer_type.py)
SUBJECT_SHARE = 0.5


@dataclass(frozen=True)
class Evidence:
    n: int  # 1-based number of the passage that holds the sentence: what an answer cites
    text: str
    score: float


def sentences(text: str) -> list[str]:
    """The text's sentences and lines, markdown markers left as they are; a line that wraps a sentence joins it."""
    text = WRAP.sub(lambda m: " " if _continues(m.group(1)) else m.group(0), text)
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


def statements(text: str) -> list[str]:
    """The sentences of a passage, each markdown table row rewritten as one statement under its header
    ("Thời điểm: Ngày nghỉ hằng tuần; Ban đêm (22:00–6:00): 270%"): a row alone ("| Ngày nghỉ | 200% | 270% |")
    says neither which column is the night rate nor that the question's words are in the header."""
    out: list[str] = []
    body: list[str] = []  # lines outside tables, split into sentences once a table row comes or the text ends
    header: list[str] | None = None
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            header = None
            body.append(line)
        elif TABLE_RULE.match(line):
            continue
        elif i + 1 < len(lines) and TABLE_RULE.match(lines[i + 1]):  # the header row: it names the columns
            header = _cells(line)
        elif header:
            out.extend(sentences("\n".join(body)))
            body = []
            row = "; ".join(f"{h}: {c}" if h else c for h, c in zip_longest(header, _cells(line), fillvalue="") if c)
            out.extend([row] if row else [])
        else:
            body.append(line)
    out.extend(sentences("\n".join(body)))
    return out


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _continues(line: str) -> bool:
    """Whether a line starting so continues the sentence of the line before it."""
    return line[0].islower() or (line[0].isdigit() and not LIST_MARKER.match(line))


def select(question: str, passages: Sequence[Passage], k: int) -> list[Evidence]:
    """The `k` best-scoring sentences (score > 0), best first; ties keep retrieval order."""
    if k <= 0:
        return []
    ranked, weight, _ = _ranked(question, passages)
    return [Evidence(n, excerpt(s, weight), score) for n, s, score in ranked[:k]]


def answer_match(question: str, passages: Sequence[Passage], answer: str) -> tuple[float, Evidence | None]:
    """(the question weight that the answer's best sentence holds, the best quote) on `select`'s weights: an
    answer that states the sentence answering the question scores about what that sentence scores."""
    ranked, weight, asked = _ranked(question, passages)
    if not ranked:
        return 0.0, None
    held = [set(lexical_terms(CITATION.sub(" ", s))) & asked for s in sentences(answer)]
    n, best, score = ranked[0]
    return max((sum(weight.get(t, 0.0) for t in h) for h in held), default=0.0), Evidence(n, excerpt(best, weight), score)


def _ranked(question: str, passages: Sequence[Passage]) -> tuple[list[tuple[int, str, float]], dict[str, float], set[str]]:
    """The passages' sentences that hold some of the question, best first, as (passage number, sentence, score);
    the question terms' weights (IDF over the candidate sentences); the question's terms."""
    asked = set(lexical_terms(question))
    candidates = []
    for n, passage in enumerate(passages, start=1):
        title = set(lexical_terms(passage.title))
        for sentence in statements(passage.text):
            if len(lexical_terms(sentence, bigrams=False)) >= MIN_WORDS:  # short pieces skip the bigram pass
                candidates.append((n, sentence, (set(lexical_terms(sentence)) | title) & asked))
    if not candidates:
        return [], {}, asked
    idf = TermWeights(Counter(t for *_, held in candidates for t in held), len(candidates))
    weight = {t: idf.weight(t) for t in idf.document_frequency}
    scored = [(n, s, round(sum(weight[t] for t in held), 6)) for n, s, held in candidates]
    ranked = sorted((c for c in scored if c[2] > 0), key=lambda c: -c[2])  # stable: retrieval order on ties
    return typed(question, ranked), weight, asked


def typed(question: str, ranked: list[tuple[int, str, float]]) -> list[tuple[int, str, float]]:
    """For a question asking a quantity, the sentences on its subject (SUBJECT_SHARE of the best score) that state
    one go first, in score order; the rest keep theirs."""
    if not ranked or not asks_quantity(question):
        return ranked
    floor = SUBJECT_SHARE * ranked[0][2]
    return sorted(ranked, key=lambda c: not (c[2] >= floor and holds_quantity(c[1])))


def excerpt(sentence: str, weight: dict[str, float]) -> str:
    """The sentence, or where it runs past MAX_WORDS the window of that many words holding the most question
    weight, with '…' where words were cut. Of equal windows the middle one: the matched words centred, so
    what follows them (the number, the condition) is quoted too."""
    words = sentence.split()
    if len(words) <= MAX_WORDS:
        return sentence
    gain = [sum(weight.get(t, 0.0) for t in set(lexical_terms(w, bigrams=False))) for w in words]
    window = [sum(gain[i : i + MAX_WORDS]) for i in range(len(words) - MAX_WORDS + 1)]
    top = max(window)
    best = [i for i, w in enumerate(window) if w == top]
    start = best[len(best) // 2]
    end = start + MAX_WORDS
    return " ".join((["…"] if start else []) + words[start:end] + (["…"] if end < len(words) else []))
