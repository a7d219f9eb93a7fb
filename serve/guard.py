"""Output guard: an answer that reproduces the system prompt is not sent.

The system prompt tells the model that retrieved text is data, but a small model can still parrot its
prompt when a document asks it to (the bare Gemma 270M does: tests/serve/test_injection.py). The
guard is the second line: any run of `n` consecutive words of the system prompt in an answer blocks
it. The "not in the documents" phrase is part of the system prompt and a legitimate answer, so its
words are left out. Streaming answers are checked as they grow (`watch`: each piece is checked with
only the last `n` words before it, not the whole answer again) and stopped at the first leak, so at
most `n - 1` words of such a run reach the client.
"""

from __future__ import annotations

import re

WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


class LeakGuard:
    def __init__(self, system_prompt: str, allowed_phrase: str = "", n: int = 8):
        self.n = n
        words = _words(system_prompt.replace(allowed_phrase, " ")) if allowed_phrase else _words(system_prompt)
        self._grams = {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}

    def leaks(self, text: str) -> bool:
        words = _words(text)
        return any(tuple(words[i : i + self.n]) in self._grams for i in range(len(words) - self.n + 1))

    def watch(self) -> LeakWatch:
        """A checker for one streamed answer, fed piece by piece."""
        return LeakWatch(self)


class LeakWatch:
    """`LeakGuard.leaks` of the text so far, computed from the new piece and the `n` words before it."""

    def __init__(self, guard: LeakGuard):
        self.guard = guard
        self.tail = ""  # the last n words seen (the last one possibly still growing) and what follows

    def feed(self, piece: str) -> bool:
        text = self.tail + piece
        starts = [m.start() for m in WORD.finditer(text)]
        if len(starts) > self.guard.n:
            self.tail = text[starts[-self.guard.n] :]
        else:
            self.tail = text
        return self.guard.leaks(text)
