"""Retrieval over a published index version: dense (FAISS inner product) with metadata filters."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rag import store
from rag.chunking import Chunk
from rag.embedder import embed, load_embedder


class EmptyQuestion(ValueError):
    """The question is blank after trimming."""


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float


class Retriever:
    """Searches one index version; `reload()` switches to whatever CURRENT points at now."""

    def __init__(self, index_root: Path, embedder_ref: str, embedder=None):
        self.index_root = Path(index_root)
        self.embedder_ref = embedder_ref
        self._embedder = embedder
        self.version = ""
        self.reload()

    def reload(self) -> bool:
        """Load the CURRENT version if it differs from the one in memory; True if it switched."""
        version_dir = store.current_dir(self.index_root)
        if version_dir.name == self.version:
            return False
        config = store.read_config(version_dir)
        if config["embedder"] != self.embedder_ref:
            raise store.IndexMismatch(
                f"index {version_dir} was built with embedder {config['embedder']!r} but model.embedder is "
                f"{self.embedder_ref!r}; rebuild with `make index` or set model.embedder back"
            )
        if self._embedder is None:
            self._embedder = load_embedder(self.embedder_ref)
        if self._embedder.get_embedding_dimension() != config["dimension"]:
            raise store.IndexMismatch(
                f"index {version_dir} has dimension {config['dimension']}, the embedder gives "
                f"{self._embedder.get_embedding_dimension()}; rebuild with `make index --full`"
            )
        chunks = store.read_chunks(version_dir)
        self._dense = store.read_dense(version_dir)
        self._by_id = {c.chunk_id: c for c in chunks}
        self.chunks = chunks
        self.version = version_dir.name
        return True

    def search(self, question: str, top_k: int = 4, doc_prefix: str = "") -> list[Hit]:
        query = unicodedata.normalize("NFC", question).strip()
        if not query:
            raise EmptyQuestion("the question is empty")
        if not self.chunks:
            return []
        vector = embed(self._embedder, [query])
        # Over-fetch when filtering so that the filtered list still has top_k entries when it can.
        fetch = len(self.chunks) if doc_prefix else min(top_k, len(self.chunks))
        scores, ids = self._dense.search(vector, fetch)
        hits = []
        for score, cid in zip(scores[0], ids[0], strict=True):
            if cid < 0:
                continue
            chunk = self._by_id[int(cid)]
            if chunk.doc_id.startswith(doc_prefix):
                hits.append(Hit(chunk, float(score)))
            if len(hits) == top_k:
                break
        return hits
