"""Versioned index storage: build into a new version directory, then switch `CURRENT` atomically.

Two stores keep the same promises behind one interface (`IndexStore`, picked by `open_store`): this
folder of FAISS + BM25 files, searched in process (the default), and PostgreSQL + pgvector
(rag/pgstore.py), shared by several server replicas and a separate indexer. The folder's layout:

    <root>/CURRENT             name of the live version (replaced with os.replace, never edited)
    <root>/<version>/          config.json, chunks.jsonl, dense.faiss, bm25/, manifest.json

A build that dies at any point leaves only a `.tmp-*` directory behind; the live version and its
pointer are untouched. Every file and folder of a version is fsynced before CURRENT names it, so after a
power loss CURRENT never names a version with truncated files. Builds may run at once (two `make index`, an
indexer beside a server's reload): each holds a lock on its staging folder for its whole life, and the
publish and the clean-up run under a lock on the root, so no build removes another's folder or pointer.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from ragtune.artifacts import fsync_dir, write_json
from ragtune.config import POSTGRES_SCHEMES
from ragtune.errors import RagtuneError
from ragtune.rag.chunking import Chunk
from ragtune.rag.lexical import LexicalIndex

CURRENT = "CURRENT"
KEEP_VERSIONS = 3
LOCK = ".lock"  # the root's: publish and clean-up
BUILDING = ".building"  # a staging folder's: held by its build until published or dead
_building: dict[str, int] = {}  # staging folder name -> the open, locked fd of its BUILDING file (this process)


class IndexNotFound(RagtuneError, FileNotFoundError):
    """No published index at the configured place; run `ragtune index` (make index)."""


class IndexMismatch(RagtuneError, RuntimeError):
    """The index was built with another embedder than the one configured now."""


class IndexUnavailable(RagtuneError, ConnectionError):
    """The index store cannot be reached now (a database that is down or refuses the connection)."""


@contextmanager
def root_lock(root: Path):
    """Exclusive lock on the index root (a lock file, released when the process dies)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def new_staging_dir(root: Path) -> Path:
    """A fresh `.tmp-*` folder, locked for this build's life: the clean-up of another build leaves it alone."""
    with root_lock(root):
        staging = root / f".tmp-{os.getpid()}-{time.time_ns()}"
        staging.mkdir()
        fd = os.open(staging / BUILDING, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _building[staging.name] = fd
    return staging


def _release(staging: Path) -> None:
    fd = _building.pop(staging.name, None)
    if fd is not None:
        os.close(fd)  # closing drops the lock


def _abandoned(staging: Path) -> bool:
    """A staging folder whose build is gone: nobody holds its lock (called under the root lock)."""
    try:
        fd = os.open(staging / BUILDING, os.O_RDWR)
    except FileNotFoundError:
        return True  # never locked: its build died between mkdir and lock, both under the root lock
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """Flush every file and folder under `path` (and `path`) to disk."""
    for folder, _, files in os.walk(path, topdown=False):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(folder))


def dense_index(dimension: int, size: int, hnsw_above: int) -> faiss.Index:
    """Exact inner product for small corpora; HNSW (approximate, sub-linear) above `hnsw_above` chunks.

    The exact scan stores vectors as fp16: a one-query search is bound by reading the vectors, so half
    the bytes scan ~3x faster (100k chunks: 14 -> 4 ms) and the top 50 are the fp32 scan's (recall 1.0,
    bench/index_throughput.py); unit-vector scores move by about 1e-3.
    """
    if hnsw_above and size > hnsw_above:
        inner = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = 80
        inner.hnsw.efSearch = 128
    else:
        inner = faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    return faiss.IndexIDMap2(inner)


def write_version(
    staging: Path, config: dict, chunks: list[Chunk], vectors: np.ndarray, manifest: dict, hnsw_above: int = 0
) -> None:
    """Everything a version needs, flushed to disk inside the staging directory."""
    ids = np.array([c.chunk_id for c in chunks], dtype=np.int64)
    index = dense_index(int(config["dimension"]), len(chunks), hnsw_above)
    if len(chunks):
        index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(staging / "dense.faiss"))
    with open(staging / "chunks.jsonl", "w", encoding="utf-8") as f:
        for chunk in chunks:
            f.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    LexicalIndex.build([c.embed_text() for c in chunks]).save(staging / "bm25")
    write_json(staging / "manifest.json", manifest)
    write_json(staging / "config.json", config)  # written last: its presence marks a complete version


def publish(root: Path, staging: Path) -> str:
    """Rename the staging dir to a version name and point CURRENT at it; prune old versions."""
    fsync_tree(staging)  # outside the lock: it can take a while, and only this build writes there
    with root_lock(root):
        version = time.strftime("v%Y%m%d-%H%M%S", time.gmtime()) + f"-{time.time_ns() % 1_000_000:06d}"
        (staging / BUILDING).unlink()
        staging.rename(root / version)
        _release(staging)
        pointer_tmp = root / f".{CURRENT}.tmp-{os.getpid()}"
        pointer_tmp.write_text(version + "\n", encoding="utf-8")
        with open(pointer_tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(pointer_tmp, root / CURRENT)
        fsync_dir(root)
        _prune(root, keep=KEEP_VERSIONS)
    return version


def list_versions(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.startswith("v") and (p / "config.json").exists())


def prune(root: Path, keep: int) -> None:
    """Drop old versions beyond `keep` (never the live one) and staging dirs of dead builds."""
    with root_lock(root):
        _prune(root, keep)


def _prune(root: Path, keep: int) -> None:
    live = current_version(root)
    for name in list_versions(root)[:-keep]:
        if name != live:
            shutil.rmtree(root / name, ignore_errors=True)
    for stale in root.glob(".tmp-*"):
        if _abandoned(stale):
            shutil.rmtree(stale, ignore_errors=True)
    for pointer in root.glob(f".{CURRENT}.tmp*"):  # a publisher's, written and renamed under this lock: dead
        pointer.unlink(missing_ok=True)


def discard(staging: Path) -> None:
    """Give up a build of this process: its staging folder goes, its lock with it."""
    _release(staging)
    shutil.rmtree(staging, ignore_errors=True)


def current_version(root: Path) -> str | None:
    pointer = root / CURRENT
    if not pointer.exists():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def current_dir(root: Path) -> Path:
    return root / require_current(FolderStore(root))


def read_config(version_dir: Path) -> dict:
    return json.loads((version_dir / "config.json").read_text(encoding="utf-8"))


def read_chunks(version_dir: Path) -> list[Chunk]:
    with open(version_dir / "chunks.jsonl", encoding="utf-8") as f:
        return [Chunk(**json.loads(line)) for line in f if line.strip()]


def read_manifest(version_dir: Path) -> dict:
    return json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))


def read_dense(version_dir: Path) -> faiss.Index:
    return faiss.read_index(str(version_dir / "dense.faiss"))


def read_lexical(version_dir: Path, size: int) -> LexicalIndex:
    return LexicalIndex.load(version_dir / "bm25", size)


def reconstruct(index: faiss.Index, ids: Iterable[int]) -> np.ndarray:
    """Stored vectors by chunk id (IndexIDMap2 keeps the id -> row map)."""
    ids = list(ids)
    if not ids:
        return np.zeros((0, index.d), dtype=np.float32)
    return np.vstack([index.reconstruct(int(i)) for i in ids]).astype(np.float32)


class DenseIndex(Protocol):
    """Nearest chunks to a query vector, and stored vectors by chunk id."""

    def search(self, vector: np.ndarray, k: int, doc_prefix: str = "") -> dict[int, float]: ...

    def vectors(self, ids: Iterable[int]) -> np.ndarray: ...


class IndexStore(Protocol):
    """Where published index versions live: what the indexer writes and a retriever reads."""

    location: str  # for messages: a folder, or a database address without its password

    def current(self) -> str | None: ...

    def config(self, version: str) -> dict: ...

    def manifest(self, version: str) -> dict: ...

    def chunks(self, version: str) -> list[Chunk]: ...

    def dense(self, version: str, chunks: list[Chunk]) -> DenseIndex: ...

    def lexical(self, version: str, size: int) -> LexicalIndex: ...

    def publish(self, config: dict, chunks: list[Chunk], vectors: np.ndarray, manifest: dict, hnsw_above: int = 0) -> str:
        """Write a whole new version and make it the live one in one step; a failed build changes nothing."""
        ...


def require_current(index: IndexStore) -> str:
    """The live version's name, or IndexNotFound saying how to build one."""
    version = index.current()
    if version is None:
        raise IndexNotFound(
            f"no published index in {index.location}; build one with `ragtune index` (make index), "
            "or point index.output_dir / index.store at it"
        )
    return version


class FaissDense:
    """A version's FAISS index with its chunk list: a doc-prefix filter scans the whole index."""

    def __init__(self, index: faiss.Index, chunks: list[Chunk]):
        self.index = index
        self._doc = {c.chunk_id: c.doc_id for c in chunks}

    def search(self, vector: np.ndarray, k: int, doc_prefix: str = "") -> dict[int, float]:
        fetch = len(self._doc) if doc_prefix else min(k, len(self._doc))
        scores, ids = self.index.search(vector, fetch)
        out: dict[int, float] = {}
        for score, cid in zip(scores[0], ids[0], strict=True):
            if cid >= 0 and self._doc[int(cid)].startswith(doc_prefix):
                out[int(cid)] = float(score)
                if len(out) == k:
                    break
        return out

    def vectors(self, ids: Iterable[int]) -> np.ndarray:
        return reconstruct(self.index, ids)


class FolderStore:
    """Versions as folders under `root` with a CURRENT pointer file (the functions above)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.location = str(self.root)

    def current(self) -> str | None:
        version = current_version(self.root)
        return version if version and (self.root / version / "config.json").exists() else None

    def config(self, version: str) -> dict:
        return read_config(self.root / version)

    def manifest(self, version: str) -> dict:
        return read_manifest(self.root / version)

    def chunks(self, version: str) -> list[Chunk]:
        return read_chunks(self.root / version)

    def dense(self, version: str, chunks: list[Chunk]) -> FaissDense:
        return FaissDense(read_dense(self.root / version), chunks)

    def lexical(self, version: str, size: int) -> LexicalIndex:
        return read_lexical(self.root / version, size)

    def publish(self, config: dict, chunks: list[Chunk], vectors: np.ndarray, manifest: dict, hnsw_above: int = 0) -> str:
        config = {**config, "dense_index": "hnsw" if hnsw_above and len(chunks) > hnsw_above else "flat-fp16"}
        staging = new_staging_dir(self.root)
        try:
            write_version(staging, config, chunks, vectors, manifest, hnsw_above)
            return publish(self.root, staging)
        except BaseException:
            discard(staging)
            raise


def open_store(location: Path | str | IndexStore) -> IndexStore:
    """The store at `location`: a postgresql:// address, or a folder (a store passes through)."""
    if not isinstance(location, str | Path):
        return location
    if isinstance(location, str) and location.startswith(POSTGRES_SCHEMES):
        from ragtune.rag.pgstore import PostgresStore  # psycopg is only needed for this store

        return PostgresStore(location)
    return FolderStore(Path(location))
