"""Verify before answering: every number in a sentence must appear in the passage it cites.

A small model copies the right sentence and then changes the number, or cites [3] for what [1] says.
Numbers, amounts, percentages, dates and times are what users act on, and they can be checked without
another model: a sentence's quantities (less those the question itself holds) must all occur in one of
the passages it cites, or, for a sentence that cites nothing, in some passage. A sentence that fails is
re-cited when another passage holds its numbers, else replaced by the passage sentence that says the most
of it, quoted with its citation, or dropped when no passage sentence is close; an answer left with
nothing becomes the not-found phrase.

A sentence that passes cites the passage that says it: one that cites nothing, or cites only passages
holding few of its word pairs, while one passage holds at least half of them (a copied or closely
paraphrased sentence), is cited to that passage. Users check a claim at its citation; the model often
leaves a copied sentence uncited or numbers it after the wrong passage.

Quantities are compared as values with their unit: "20 triệu đồng" = "20.000.000 đồng", "8h30" =
"8:30", "01/01/2026" = "1/1/2026"; "2 ngày" does not match "2 giờ", and a bare "2" matches either.
`Verifier` works sentence by sentence: a stream sends the words before a sentence's first digit at once
and holds the rest until the sentence has passed, so no unchecked number is ever sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ragtune.citations import CITATION, clean_citations
from ragtune.evidence import statements
from ragtune.prompt import Passage, nfc
from ragtune.quantities import Quantity, quantities

SENTENCE_END = re.compile(r"(?<=[.!?…])(?:\s*\[\d{1,3}\])*\s+|\n+")  # markers after the full stop stay with it
WORD = re.compile(r"\w+")
MAX_HELD_CHARS = 160  # a stream holds back at most this much of an unfinished sentence (~40 tokens)
SAYS_IT = 0.5  # a passage holding this share of a sentence's word pairs says it: the sentence cites it
NOT_IT = 0.25  # a cited passage holding less than this share of them does not (when another says it)
MIN_PAIRS = 3  # shorter pieces ("Dạ có.") are not attributed
LIST_END = re.compile(r"(^|\s)\d{1,2}[.)]$|:$")  # a piece cut at a list marker ("…; 2.") or before a list ("sau:")


def supported(claims: list[Quantity], evidence: list[Quantity]) -> bool:
    return all(any(c.matches(e) for e in evidence) for c in claims)


def split_sentences(text: str) -> list[str]:
    """Sentences with their trailing separator (joined back they give `text`)."""
    pieces, start = [], 0
    for m in SENTENCE_END.finditer(text):
        pieces.append(text[start : m.end()])
        start = m.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _recite(sentence: str, n: int) -> str:
    """`sentence` with its citation markers replaced by one `[n]` before the final punctuation."""
    body, _ = clean_citations(sentence.rstrip(), 0)
    end = len(body) - 1 if body[-1:] in ".!?…" else len(body)
    return f"{body[:end]} [{n}]{body[end:]}{sentence[len(sentence.rstrip()) :] or ' '}"


def _tokens(text: str) -> list[str]:
    return WORD.findall(nfc(CITATION.sub(" ", text)).lower())


def _words(text: str) -> set[str]:
    return set(_tokens(text))


def _pairs(text: str) -> set[tuple[str, str]]:
    """Neighbouring word pairs: a Vietnamese syllable alone ("nhân", "ngày") is in every passage, a pair is not."""
    words = _tokens(text)
    return set(zip(words, words[1:], strict=False))


@dataclass
class Verifier:
    """Checks an answer sentence by sentence against the passages it was given (numbered from 1)."""

    passages: list[Passage]
    question: str = ""
    unsupported: int = 0  # sentences that failed the check (replaced or dropped)
    attributed: int = 0  # sentences that passed and now cite the passage that says them
    kept: list[str] = field(default_factory=list)  # what the answer says after verification
    _pending: str = ""  # the unfinished sentence
    _sent: int = 0  # characters of it already sent
    _evidence: list[list[Quantity]] = field(init=False)
    _asked: list[Quantity] = field(init=False)
    _said: list[set[tuple[str, str]]] = field(init=False)  # each passage's word pairs
    _added: int | None = None  # the citation just added to an uncited sentence (0-based)

    def __post_init__(self):
        self._evidence = [quantities(f"{p.title}\n{p.text}") for p in self.passages]
        self._asked = quantities(self.question)
        self._said = [_pairs(f"{p.title}\n{p.text}") for p in self.passages]

    def feed(self, piece: str) -> list[str]:
        """Add generated text; returns what may be sent now.

        Only quantities are checked, and every quantity starts with a digit, so the words of a sentence
        before its first digit go out at once; from there the sentence is held until it ends (or grows
        past MAX_HELD_CHARS) and is checked. A sentence that fails after its start was sent continues
        on a new line with its replacement; the final answer (`kept`) has the replacement alone.
        """
        self._pending += piece
        pieces = split_sentences(self._pending)
        tail = "" if not pieces or SENTENCE_END.search(pieces[-1]) else pieces.pop()
        if len(tail) > MAX_HELD_CHARS and (cut := tail.rstrip().rfind(" ")) > 0:
            pieces.append(tail[: cut + 1])  # a sentence that does not end is checked in parts
            tail = tail[cut + 1 :]
        out = [self._finished(sentence) for sentence in pieces]
        self._pending = tail
        digit = next((i for i, ch in enumerate(tail) if ch.isdigit() or ch == "["), len(tail))
        safe = tail[: tail.rfind(" ", 0, digit) + 1] if digit < len(tail) else tail[: tail.rfind(" ") + 1]
        if len(safe) > self._sent:  # words before the first digit (or marker) of the unfinished sentence
            out.append(safe[self._sent :])
            self._sent = len(safe)
        return [o for o in out if o]

    def _finished(self, sentence: str) -> str:
        """The rest of a complete sentence to send, given that its first `_sent` characters went out."""
        sent, self._sent = sentence[: self._sent], 0
        checked = self._check(sentence)
        if checked.startswith(sent):
            return checked[len(sent) :]
        return "\n" + checked if checked else "\n"  # its start is out; the correction follows on its own line

    def check(self, answer: str) -> list[str]:
        """A whole answer at once: every sentence checked as written (no unfinished sentence to hold)."""
        return [s for s in (self._check(s) for s in split_sentences(answer)) if s]

    def finish(self) -> list[str]:
        """The rest of the last, unterminated sentence."""
        last, self._pending = self._pending, ""
        if not last.strip():
            self._sent = 0
            return []
        return [s for s in [self._finished(last)] if s]

    @property
    def verified(self) -> bool:
        return self.unsupported == 0

    def _cited(self, sentence: str) -> list[int]:
        numbers = [int(n) for n in CITATION.findall(sentence)]
        return [n - 1 for n in dict.fromkeys(numbers) if 1 <= n <= len(self.passages)]

    def _check(self, sentence: str) -> str:
        claims = [q for q in quantities(sentence) if not any(q.matches(a) for a in self._asked)]
        everything = list(range(len(self.passages)))
        cited = self._cited(sentence) or everything
        if not claims or any(supported(claims, self._evidence[i]) for i in cited):
            sentence = self._attributed(sentence)
            if sentence:
                self.kept.append(sentence)
            return sentence
        self.unsupported += 1
        elsewhere = [i for i in everything if i not in cited and supported(claims, self._evidence[i])]
        if elsewhere:  # right fact, wrong source: cite the passage that says it
            replacement = _recite(sentence, elsewhere[0] + 1)
        else:
            replacement = self._quote(sentence, claims, cited) or self._quote(sentence, claims, everything)
        if replacement:
            self.kept.append(replacement)
        return replacement

    def _attributed(self, sentence: str) -> str:
        """The sentence citing the passage that says it (SAYS_IT of its word pairs), where it cites nothing or only
        passages that do not (NOT_IT); a bare marker right after a sentence just cited to the same passage (the
        model's "… tháng. [1]") is dropped."""
        added, self._added = self._added, None
        cited = self._cited(sentence)
        if not CITATION.sub("", sentence).strip():
            return "" if cited and set(cited) == {added} else sentence
        pairs = _pairs(sentence)
        if len(pairs) < MIN_PAIRS or LIST_END.search(CITATION.sub("", sentence).rstrip()):
            return sentence
        shares = [len(pairs & said) / len(pairs) for said in self._said]
        best = max(range(len(shares)), key=shares.__getitem__, default=None)
        if best is None or shares[best] < SAYS_IT or best in cited or any(shares[i] >= NOT_IT for i in cited):
            return sentence
        self.attributed += 1
        self._added = best if not cited else None
        return _recite(sentence, best + 1)

    def _quote(self, sentence: str, claims: list[Quantity], among: list[int]) -> str:
        """The sentence of these passages that shares the most words with `sentence` and states a quantity of
        the same kind as a failed claim (days for days, money for money), with its citation."""
        wanted = _words(sentence) | _words(self.question)
        units = {c.unit for c in claims}
        best, best_score = "", 0.0
        for i in among:
            for candidate in statements(self.passages[i].text):  # a table row under its header, as quotes have it
                if not units & {q.unit for q in quantities(candidate)}:
                    continue  # it must state the kind of fact that was wrong, not a neighbouring one
                score = len(wanted & _words(candidate)) / max(len(_words(sentence)), 1)
                if score > best_score:
                    best, best_score = f"{candidate.strip()} [{i + 1}]", score
        if best_score < 0.5:
            return ""
        trailing = sentence[len(sentence.rstrip()) :] or " "
        return best + trailing
