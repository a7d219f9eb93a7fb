"""Prompt-lookup drafts: guess the next tokens of an answer from the tokens it is copying.

A RAG answer copies long spans of its passages (a rule, an amount, a heading). When the last few tokens
of a row also occur earlier in its prompt or answer, the tokens that followed them there are a cheap guess
at what comes next. The engine feeds the guess with the row's next token in one forward (decoding one token
reads every weight once, and a handful more cost little more on top) and keeps the guessed tokens the
model itself would have chosen greedily, plus the model's own token after them: the same text as plain
greedy decoding, several tokens a forward while the answer copies.
"""

from __future__ import annotations


class Lookup:
    """The n-grams (1..`max_ngram` tokens) of one row's prompt + answer so far, each mapped to where its latest
    earlier occurrence continues. `draft` looks up the row's last n-gram, longest first."""

    def __init__(self, prompt: list[int], max_ngram: int = 3):
        self.seq = list(prompt)
        self.max_ngram = max_ngram
        self.after: dict[tuple[int, ...], int] = {}  # n-gram -> index of the token that followed it
        self.indexed = 0  # n-grams ending before this index are in `after`

    def extend(self, tokens: list[int]) -> None:
        self.seq += tokens

    def draft(self, k: int) -> list[int]:
        """Up to `k` tokens that followed the latest earlier occurrence of the sequence's last n-gram ([] if none)."""
        seq, last = self.seq, len(self.seq) - 1
        for end in range(self.indexed, last):  # every n-gram ending before the last token
            for n in range(1, min(self.max_ngram, end + 1) + 1):
                self.after[tuple(seq[end - n + 1 : end + 1])] = end + 1
        self.indexed = max(self.indexed, last)
        if k <= 0 or last < 0:
            return []
        for n in range(min(self.max_ngram, last + 1), 0, -1):
            start = self.after.get(tuple(seq[last - n + 1 :]))
            if start is not None:
                return seq[start : start + k]
        return []


def accepted(draft: list[int], chosen: list[int]) -> int:
    """How many leading draft tokens the model chose itself: `chosen[i]` is its greedy token after draft[:i]."""
    n = 0
    while n < len(draft) and draft[n] == chosen[n]:
        n += 1
    return n
