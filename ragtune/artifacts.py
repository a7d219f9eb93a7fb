"""Atomic artifacts: every stage writes into a temporary sibling and renames it into place.

A crash at any point leaves the previous artifact (adapter, merged model, eval report, materialised
model) as it was; what is left behind is a hidden `.<name>.tmp-*` folder. Replacing a folder swaps the two
in one step (Linux `renameat2(RENAME_EXCHANGE)`), so the artifact's path holds the old folder or the new
one at every instant, never nothing. The index store publishes its versions the same way (rag/store.py)
and switches its `CURRENT` pointer with `os.replace`.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

AT_FDCWD = -100
RENAME_EXCHANGE = 2

ADAPTER_RECORD = "ragtune_adapter.json"  # in an adapter or merged folder: base model, prompt format, config: what the server checks


def write_json(path: Path, data) -> None:
    """Sorted, indented UTF-8 JSON, flushed to disk before returning."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """A temporary path beside `target` to write the file to; on success it takes `target`'s name in one step,
    on an error it is removed: `target` is the old file or the whole new one, never half of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


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


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system cannot (not Linux, an old kernel, a file system
    without RENAME_EXCHANGE), and nothing has moved."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def _umask() -> int:
    """The process's umask, read without setting it (os.umask sets it, racing other threads' file creation)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def as_plainly_written(folder: Path) -> None:
    """Give a staged folder the modes a plain write would have: staging folders (mkdtemp) and some writers'
    temporary files (safetensors via transformers) are private, 0700 / 0600, which shut out every other user,
    a container's non-root server reading mounted artifacts among them."""
    mask = _umask()
    for root, _, files in os.walk(folder):
        os.chmod(root, 0o777 & ~mask)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o666 & ~mask)


def replace_dir(staging: Path, target: Path) -> None:
    """Move a finished staging dir into place: swapped with the old target in one step where the system can, so
    readers find one complete folder at every instant; else the old one moves aside first. Its modes become
    those of plainly written files first (`as_plainly_written`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    as_plainly_written(staging)
    if target.exists() and exchange(staging, target):
        fsync_dir(target.parent)
        shutil.rmtree(staging, ignore_errors=True)  # now the old folder
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    fsync_dir(target.parent)
    shutil.rmtree(old, ignore_errors=True)
