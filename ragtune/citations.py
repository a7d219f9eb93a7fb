"""Citation markers: `[n]` points at the n-th passage of the prompt (ragtune.prompt numbers them).

One pattern for everything that reads them: the server's clean-up, the metrics, the renumbering of training rows in served context.
"""

from __future__ import annotations

import re

CITATION = re.compile(r"\[(\d{1,3})\]")
_WITH_SPACE = re.compile(r"\s?" + CITATION.pattern)  # a removed marker takes the space before it along


def cited_numbers(answer: str) -> list[int]:
    """The distinct source numbers an answer cites, ascending."""
    return sorted({int(n) for n in CITATION.findall(answer)})


def clean_citations(answer: str, n_sources: int) -> tuple[str, int]:
    """Remove markers that point at no source; return the answer and how many were removed."""
    removed = 0

    def keep_or_drop(m: re.Match) -> str:
        nonlocal removed
        if 1 <= int(m.group(1)) <= n_sources:
            return m.group(0)
        removed += 1
        return ""

    return _WITH_SPACE.sub(keep_or_drop, answer), removed
