"""`ragtune index` (`make index`, `python -m rag.index`): load, chunk, embed and publish the document index.

Incremental by default: documents whose content hash is unchanged keep their chunks and vectors
from the live version; only new or changed ones are embedded; deleted ones disappear. `--full`
rebuilds everything. The result is published as a new version (see rag/store.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ragtune.cli import run_stage
from ragtune.config import Config
from ragtune.rag import store
from ragtune.rag.chunking import Chunk, chunk_document, make_splitter
from ragtune.rag.documents import MAX_BYTES, Document, DocumentError, LoadReport, load_corpus
from ragtune.rag.embedder import embed, load_embedder, resolve_embedder

log = logging.getLogger("rag.index")


@dataclass
class IndexSummary:
    version: str = ""
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0


def doc_hash(doc: Document) -> str:
    return hashlib.sha256(f"{doc.title}\0{doc.text}\0{doc.pages}".encode()).hexdigest()


def index_settings(embedder_ref: str, dimension: int, chunk_tokens: int, chunk_overlap: int) -> dict:
    """What makes two builds compatible: reusing vectors across a change here would be wrong."""
    return {
        "embedder": embedder_ref,
        "embedder_source": resolve_embedder(embedder_ref),
        "dimension": dimension,
        "chunk_tokens": chunk_tokens,
        "chunk_overlap": chunk_overlap,
        "normalized": True,
        "format": 1,
    }


def _previous(index: store.IndexStore, settings: dict) -> tuple[str, dict, dict[int, Chunk]] | None:
    """Name, manifest and chunks of the live version, if built with the same settings."""
    live = index.current()
    if live is None:
        return None
    try:
        old = index.config(live)
        if any(old.get(k) != v for k, v in settings.items() if k != "embedder_source"):
            log.info("settings changed since %s: rebuilding everything", live)
            return None
        return live, index.manifest(live), {c.chunk_id: c for c in index.chunks(live)}
    except Exception as e:  # a damaged live version is replaced, not built upon
        log.warning("the live version %s does not load (%s: %s): rebuilding everything", live, type(e).__name__, e)
        return None


def build_index(
    documents: Path,
    output: Path | str | store.IndexStore,
    embedder_ref: str,
    chunk_tokens: int,
    chunk_overlap: int,
    batch_size: int,
    full: bool = False,
    embedder=None,
    hnsw_above: int = 0,
    precision: str = "auto",
    max_document_bytes: int = MAX_BYTES,
) -> IndexSummary:
    started = time.perf_counter()
    summary = IndexSummary()
    report = LoadReport()
    docs = load_corpus(documents, report, max_document_bytes)
    summary.skipped = report.skipped
    seen = [d.doc_id for d in docs]
    if len(set(seen)) != len(seen):
        dupes = sorted({d for d in seen if seen.count(d) > 1})
        raise DocumentError(f"{documents}: duplicate document ids {dupes}; give each JSONL row a unique 'id'")

    index = store.open_store(output)
    model = embedder or load_embedder(embedder_ref, precision=precision)
    settings = index_settings(embedder_ref, model.get_embedding_dimension(), chunk_tokens, chunk_overlap)
    previous = None if full else _previous(index, settings)
    live_name, old_manifest, old_chunks = previous if previous else ("", {}, {})
    splitter = make_splitter(model.tokenizer, chunk_tokens, chunk_overlap)

    kept: list[Chunk] = []
    fresh: list[Chunk] = []
    manifest = {}
    for doc in docs:
        digest = doc_hash(doc)
        old = old_manifest.get(doc.doc_id)
        if old and old["sha256"] == digest and all(i in old_chunks for i in old["chunk_ids"]):
            kept += [old_chunks[i] for i in old["chunk_ids"]]
            summary.unchanged += 1
            ids = old["chunk_ids"]
        else:
            new = chunk_document(doc, splitter)
            fresh += new
            ids = [c.chunk_id for c in new]
            summary.changed += bool(old)
            summary.added += not old
        manifest[doc.doc_id] = {"sha256": digest, "chunk_ids": ids, "title": doc.title}
    summary.removed = len(set(old_manifest) - set(manifest))
    if live_name and not fresh and not summary.removed and list(manifest) == list(old_manifest):
        summary.version = live_name  # nothing changed: the live version stays, nothing is published
        summary.chunks = len(kept)
        summary.seconds = round(time.perf_counter() - started, 2)
        return summary

    dim = settings["dimension"]
    kept_vectors = (
        index.dense(live_name, kept).vectors(c.chunk_id for c in kept) if kept else np.zeros((0, dim), np.float32)
    )
    fresh_vectors = (
        embed(model, [c.embed_text() for c in fresh], batch_size=batch_size, progress=True)
        if fresh
        else np.zeros((0, dim), np.float32)
    )
    chunks = kept + fresh
    vectors = np.vstack([kept_vectors, fresh_vectors])
    # One canonical order (by document, then position) so incremental and full builds are identical.
    order = sorted(range(len(chunks)), key=lambda i: (chunks[i].doc_id, chunks[i].start, chunks[i].chunk_id))
    chunks = [chunks[i] for i in order]
    vectors = np.ascontiguousarray(vectors[order]) if len(order) else vectors

    config = {**settings, "documents": str(documents), "batch_size": batch_size, "chunks": len(chunks), "docs": len(docs),
              "embed_dtype": str(getattr(model, "dtype", "float32")).removeprefix("torch.")}  # fmt: skip
    summary.version = index.publish(config, chunks, vectors, manifest, hnsw_above)  # the store records its dense_index
    summary.chunks = len(chunks)
    summary.embedded_chunks = len(fresh)
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def run(cfg: Config, full: bool = False) -> int:
    """`ragtune index [--full]`: build or update the configured index and print what changed."""
    summary = build_index(
        cfg.index.documents,
        cfg.index.location,
        cfg.model.embedder,
        cfg.index.chunk_tokens,
        cfg.index.chunk_overlap,
        cfg.index.batch_size,
        full=full,
        hnsw_above=cfg.index.hnsw_above,
        precision=cfg.model.embedder_precision,
        max_document_bytes=cfg.index.max_document_bytes,
    )
    for line in summary.skipped:
        print(f"skipped {line}", file=sys.stderr)
    counts = {k: v for k, v in asdict(summary).items() if k != "skipped"}
    counts["skipped"] = len(summary.skipped)
    print(
        f"index {summary.version}: {summary.added} added, {summary.changed} changed, {summary.removed} removed, "
        f"{summary.unchanged} unchanged, {len(summary.skipped)} skipped; {summary.chunks} chunks "
        f"({summary.embedded_chunks} embedded) in {summary.seconds}s"
    )
    print(json.dumps(counts, sort_keys=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m ragtune.rag.index` = `ragtune index`."""
    return run_stage("index", argv)


if __name__ == "__main__":
    sys.exit(main())
