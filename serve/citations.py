"""Citation hygiene: every `[n]` in an answer must point at a returned source."""

from __future__ import annotations

import re

MARKER = re.compile(r"\s?\[(\d{1,3})\]")


def clean_citations(answer: str, n_sources: int) -> tuple[str, int]:
    """Remove markers that point at no source; return the answer and how many were removed."""
    removed = 0

    def keep_or_drop(m: re.Match) -> str:
        nonlocal removed
        if 1 <= int(m.group(1)) <= n_sources:
            return m.group(0)
        removed += 1
        return ""

    return MARKER.sub(keep_or_drop, answer), removed
