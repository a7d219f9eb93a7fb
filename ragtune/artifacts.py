"""Atomic artifacts: every stage writes into a temporary sibling and renames it into place.

A crash at any point leaves the previous artifact (adapter, merged model, eval report, materialised
model) as it was; what is left behind is a hidden `.<name>.tmp-*` folder. The index store publishes its
versions the same way (rag/store.py) and switches its `CURRENT` pointer with `os.replace`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path


def write_json(path: Path, data) -> None:
    """Sorted, indented UTF-8 JSON, flushed to disk before returning."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a rename into it) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def staging_dir(target: Path) -> Path:
    """An empty temporary folder beside `target` (same file system, so the final rename is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.tmp-"))


def replace_dir(staging: Path, target: Path) -> None:
    """Move a finished staging dir into place; the old target survives until the new one is complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    fsync_dir(target.parent)
    shutil.rmtree(old, ignore_errors=True)
