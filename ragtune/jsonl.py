"""JSON Lines read one object a line, each named by its `file:line` for the error messages.

Every reader of .jsonl rows (instruction data, the eval set, .jsonl documents, the corpus build
scripts) uses these, so a bad line reads the same everywhere: `path:3: invalid JSON (...)`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path


def lines(path: Path, text: str | None = None) -> Iterator[tuple[str, str]]:
    """(where, line) for each non-blank line of path, where is "path:line"; text is the file's
    content when the caller has read it already. Lines end only at \\n, \\r\\n or \\r, as in a file
    opened as text: a JSON string may hold U+2028 (which str.splitlines would split at)."""
    if text is None:
        text = path.read_text(encoding="utf-8")
    for lineno, line in enumerate(io.StringIO(text, newline=None), start=1):
        if line.strip():
            yield f"{path}:{lineno}", line


def parse(line: str, where: str, error: type[Exception]) -> dict:
    """The JSON object on line, or error("{where}: ...") saying why it is not one."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as e:
        raise error(f"{where}: invalid JSON ({e.msg})") from None
    if not isinstance(row, dict):
        raise error(f"{where}: a row must be a JSON object")
    return row


def rows(path: Path, error: type[Exception], text: str | None = None) -> Iterator[tuple[str, dict]]:
    """(where, row) for each non-blank line of path; the first line that is not a JSON object
    raises error (see parse)."""
    for where, line in lines(path, text):
        yield where, parse(line, where, error)
