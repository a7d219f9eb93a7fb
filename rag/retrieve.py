"""Retrieval over a published index version: dense, BM25, or their weighted fusion (default)."""

from __future__ import annotations

import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from ragtune.answerability import coverage_units
from ragtune.errors import RagtuneError
from ragtune.prompt import Passage
from ragtune.rag import store
from ragtune.rag.chunking import Chunk
from ragtune.rag.embedder import embed, load_embedder
from ragtune.rag.fusion import mmr, near_best, top, weighted_rrf, weighted_scores
from ragtune.rag.lexical import TermWeights, looks_vietnamese, uncovered

Mode = Literal["hybrid", "dense", "bm25"]


class EmptyQuestion(RagtuneError, ValueError):
    """The question is blank after trimming."""


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # what the ranking used (fused, cosine or BM25, by mode)
    similarity: float | None = None  # raw dense cosine, when the mode computed it: an absolute signal
    version: str = ""  # the index version the hit was found in (a reload may publish another meanwhile)

    def passage(self) -> Passage:
        """The context block this hit becomes in a prompt: served, evaluated and trained alike (finetune/grounding.py)."""
        return Passage(self.chunk.text, self.chunk.heading or self.chunk.title, self.chunk.doc_id)


@dataclass(frozen=True)
class _Version:
    """Everything one index version needs at query time; swapped whole on reload."""

    name: str
    chunks: list[Chunk]
    dense: store.DenseIndex
    lexical: object
    position: dict[int, int]  # chunk id -> row in `chunks` (and in the BM25 score vector)
    weights: TermWeights  # corpus term weights for answerability (ragtune/answerability.py)


def top_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` largest positive scores, ties by position: what a stable full argsort gives,
    without sorting every chunk (at 100k chunks the full sort was a fifth of a hybrid query)."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > k:
        kth = np.partition(scores[candidates], len(candidates) - k)[len(candidates) - k]
        candidates = candidates[scores[candidates] >= kth]  # every tie at the boundary stays in
    return candidates[np.argsort(-scores[candidates], kind="stable")][:k]


@contextmanager
def one_omp_thread():
    """A one-query scan gains nothing from faiss's OpenMP threads, and their spinning fights torch's pool for
    the two cores (at 100k chunks, hybrid p99 fell from 56 to 23 ms with one thread). faiss and torch share
    one OpenMP runtime whose thread count is per calling thread, so it is set for the search and put back:
    set once for good, it left training that built a retriever in its main thread on one core."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


class Retriever:
    """Searches the live index version of a store (a folder or PostgreSQL, rag/store.py); `reload()` switches
    versions without blocking searches."""

    def __init__(
        self,
        index: Path | str | store.IndexStore,
        embedder_ref: str,
        embedder=None,
        dense_weight: float = 0.3,
        dense_weight_vi: float | None = None,
        fusion: Literal["score", "rrf"] = "score",
        candidates: int = 50,
        mode: Mode = "hybrid",
        diversity: float = 0.0,
        precision: str = "auto",
    ):
        self.store = store.open_store(index)
        self.embedder_ref = embedder_ref
        self.dense_weight = dense_weight
        self.dense_weight_vi = dense_weight_vi
        self.fusion = fusion
        self.candidates = candidates
        self.mode = mode
        self.diversity = diversity
        self.precision = precision
        self._embedder = embedder
        self._lock = threading.Lock()
        self._v: _Version | None = None
        self.reload()

    @property
    def version(self) -> str:
        return self._v.name if self._v else ""

    @property
    def chunks(self) -> list[Chunk]:
        return self._v.chunks if self._v else []

    def uncovered(self, question: str, passages: list[Passage]) -> float:
        """The share of the question's term weight that no single sentence of the passages holds, with its passage's
        title (for a question asking a quantity, no sentence stating one; ragtune/answerability.py)."""
        return uncovered(question, coverage_units(question, passages), self._v.weights)

    def reload(self) -> bool:
        """Load the CURRENT version if it differs from the one in memory; True if it switched."""
        with self._lock:
            name = store.require_current(self.store)
            if self._v and name == self._v.name:
                return False
            where = f"index {name} in {self.store.location}"
            config = self.store.config(name)
            if config["embedder"] != self.embedder_ref:
                raise store.IndexMismatch(
                    f"{where} was built with embedder {config['embedder']!r} but model.embedder is "
                    f"{self.embedder_ref!r}; rebuild with `make index` or set model.embedder back"
                )
            if self._embedder is None:
                self._embedder = load_embedder(self.embedder_ref, precision=self.precision)
            if self._embedder.get_embedding_dimension() != config["dimension"]:
                raise store.IndexMismatch(
                    f"{where} has dimension {config['dimension']}, the embedder gives "
                    f"{self._embedder.get_embedding_dimension()}; rebuild with `ragtune index --full`"
                )
            chunks = self.store.chunks(name)
            self._v = _Version(
                name=name,
                chunks=chunks,
                dense=self.store.dense(name, chunks),
                lexical=self.store.lexical(name, len(chunks)),
                position={c.chunk_id: i for i, c in enumerate(chunks)},
                weights=TermWeights.of(c.embed_text() for c in chunks),
            )
            return True

    def _dense_scores(self, v: _Version, query: str, pool: int, doc_prefix: str) -> dict[int, float]:
        vector = embed(self._embedder, [query])
        with one_omp_thread():
            return v.dense.search(vector, pool, doc_prefix)

    def _lexical_scores(self, v: _Version, query: str, pool: int, allowed: np.ndarray | None) -> dict[int, float]:
        scores = v.lexical.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        return {v.chunks[i].chunk_id: float(scores[i]) for i in top_positive(scores, pool)}

    def weight_for(self, query: str) -> float:
        """The dense share of the fusion: an English-first embedder earns less of it on Vietnamese queries."""
        if self.dense_weight_vi is not None and looks_vietnamese(query):
            return self.dense_weight_vi
        return self.dense_weight

    def search(
        self, question: str, top_k: int = 4, mode: Mode | None = None, doc_prefix: str = "", diversity: float | None = None,
        min_share: float = 0.0,
    ) -> list[Hit]:
        """Best `top_k` chunks; `doc_prefix` keeps only documents under it; `diversity` > 0 applies MMR;
        `min_share` > 0 leaves out chunks scoring below that share of the best one (fewer, closer passages).

        `mode` and `diversity` default to the retriever's own settings.
        """
        mode = mode or self.mode
        diversity = self.diversity if diversity is None else diversity
        query = unicodedata.normalize("NFC", question).strip()
        if not query:
            raise EmptyQuestion("the question is empty")
        v = self._v  # one consistent version for the whole search, even if a reload swaps it meanwhile
        if not v.chunks:
            return []
        allowed = np.array([c.doc_id.startswith(doc_prefix) for c in v.chunks]) if doc_prefix else None
        pool = max(self.candidates, top_k)
        dense: dict[int, float] = {}
        if mode == "dense":
            fused = dense = self._dense_scores(v, query, pool, doc_prefix)
        elif mode == "bm25":
            fused = self._lexical_scores(v, query, pool, allowed)
        elif mode == "hybrid":
            dense = self._dense_scores(v, query, pool, doc_prefix)
            lexical = self._lexical_scores(v, query, pool, allowed)
            weight = self.weight_for(query)
            if self.fusion == "rrf":
                rankings = [[i for i, _ in top(dense, pool)], [i for i, _ in top(lexical, pool)]]
                fused = weighted_rrf(rankings, [weight, 1 - weight])
            else:
                fused = weighted_scores(dense, lexical, weight)
        else:
            raise ValueError(f"mode must be hybrid, dense or bm25, not {mode!r}")
        if diversity > 0:
            ranked = top(fused, pool)
            vectors = v.dense.vectors(i for i, _ in ranked)
            ranked = mmr(ranked, vectors, top_k, diversity)
        else:
            ranked = top(fused, top_k)
        ranked = near_best(ranked, min_share)
        return [Hit(v.chunks[v.position[i]], score, dense.get(i), v.name) for i, score in ranked]


def build_retriever(cfg, embedder=None) -> Retriever:
    """The configured retriever (config -> plain arguments)."""
    ix = cfg.index
    return Retriever(
        ix.location,
        cfg.model.embedder,
        embedder=embedder,
        dense_weight=ix.dense_weight,
        dense_weight_vi=ix.dense_weight_vi,
        fusion=ix.fusion,
        candidates=ix.candidates,
        mode=ix.retrieval_mode,
        diversity=ix.mmr_diversity,
        precision=cfg.model.embedder_precision,
    )
