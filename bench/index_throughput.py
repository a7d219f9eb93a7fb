"""Index throughput and query latency (one JSON line).

1. First full build of the shipped corpus with `rag.index` vs LangChain's `FAISS.from_documents` with
   `HuggingFaceEmbeddings` on the same model and the same chunks: chunks/s of each and the ratio.
2. Re-index after changing one document: seconds, and the share of the full build's time.
3. Query latency p50/p99 (query embedding included) of dense, BM25 and hybrid at 10k and 100k chunks,
   reached by replicating the shipped corpus's chunks (vectors perturbed slightly, texts as they are).

By default (`--stores folder,postgresql`) 1-3 also run on PostgreSQL + pgvector (rag/pgstore.py; the server at `--pg`,
else a throwaway pgserver): the same build and re-index, then each synthetic version published into the
database (seconds, HNSW above index.hnsw_above) and searched with dense scoring in SQL.

Needs the `bench` extra for the LangChain peer (`pip install -e '.[bench]'`); without it, part 1
reports ours alone. Run: `python bench/index_throughput.py [--skip-peer] [--sizes 10000,100000] [--stores ...]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from contextlib import nullcontext
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ragtune.config import load_config  # noqa: E402
from ragtune.rag import store  # noqa: E402
from ragtune.rag.embedder import load_embedder, resolve_embedder  # noqa: E402
from ragtune.rag.index import build_index  # noqa: E402
from ragtune.rag.retrieve import Retriever  # noqa: E402

QUERIES = ["Nhân viên được nghỉ phép năm bao nhiêu ngày?", "Điều kiện đăng ký thường trú", "thời hạn thử việc tối đa",
           "mức công tác phí mỗi ngày", "quyền của thanh niên", "hợp đồng trọng tài thương mại", "bảo vệ môi trường biển",
           "mật khẩu tối thiểu bao nhiêu ký tự"]  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--stores", default="folder,postgresql", help="folder,postgresql (both, side by side) or folder")
    parser.add_argument("--latency-only", action="store_true", help="part 3 alone, replicating the configured index")
    parser.add_argument("--hnsw-above", type=int, default=-1, help="index.hnsw_above for the synthetic sizes (default: the config's)")
    parser.add_argument("--pg", default="", help="admin address of a PostgreSQL with pgvector (default: start one)")
    args = parser.parse_args()
    with_pg = "postgresql" in args.stores.split(",")
    if with_pg:
        from pg import fresh_database, postgres
    with postgres(args.pg) if with_pg else nullcontext() as admin:
        run(args, (lambda name: fresh_database(admin, name)) if with_pg else None)


def latency(retriever: Retriever, top_k: int) -> dict:
    """p50/p99 of each mode over 160 queries (so p99 is not just the slowest one)."""
    row = {}
    for mode in ("dense", "bm25", "hybrid"):
        times = []
        for _ in range(20):
            for q in QUERIES:
                began = time.perf_counter()
                retriever.search(q, top_k, mode=mode)
                times.append(time.perf_counter() - began)
        row[mode] = {"p50_ms": pct(times, 0.5), "p99_ms": pct(times, 0.99)}
    return row


def builds(args, cfg, work: Path, embedder, database, out: dict) -> None:
    """Parts 1-2: first build (and the peer's), one-change re-index; into PostgreSQL too when asked."""
    docs = work / "docs"
    shutil.copytree(cfg.index.documents, docs)
    # 1. first full build, ours
    began = time.perf_counter()
    summary = build_index(docs, work / "index", cfg.model.embedder, cfg.index.chunk_tokens, cfg.index.chunk_overlap,
                          cfg.index.batch_size, full=True, embedder=embedder)  # fmt: skip
    ours_s = time.perf_counter() - began
    out["ours"] = {"chunks": summary.chunks, "seconds": round(ours_s, 1), "chunks_per_s": round(summary.chunks / ours_s, 1)}
    chunks = store.read_chunks(store.current_dir(work / "index"))

    # 1b. the peer on the same chunks and model
    if not args.skip_peer:
        try:
            from langchain_community.vectorstores import FAISS
            from langchain_core.documents import Document
            from langchain_huggingface import HuggingFaceEmbeddings
        except ImportError as e:
            out["peer"] = {"skipped": f"{e.name} not installed: pip install -e '.[bench]'"}
        else:
            lc_docs = [Document(page_content=c.embed_text(), metadata={"doc_id": c.doc_id}) for c in chunks]
            began = time.perf_counter()
            emb = HuggingFaceEmbeddings(model_name=resolve_embedder(cfg.model.embedder), model_kwargs={"device": "cpu"},
                                        encode_kwargs={"normalize_embeddings": True})  # fmt: skip
            FAISS.from_documents(lc_docs, emb).save_local(str(work / "langchain"))
            peer_s = time.perf_counter() - began
            out["peer"] = {"name": "langchain FAISS.from_documents + HuggingFaceEmbeddings", "seconds": round(peer_s, 1),
                           "chunks_per_s": round(len(lc_docs) / peer_s, 1)}  # fmt: skip
            out["speed_ratio_ours_vs_peer"] = round(out["ours"]["chunks_per_s"] / out["peer"]["chunks_per_s"], 2)

    # 2. change one document, re-index
    target = docs / "company" / "nghi-phep.md"
    target.write_text(target.read_text(encoding="utf-8") + "\n\n## Phụ lục\n\nMột đoạn mới để đo lần lập chỉ mục lại.\n", encoding="utf-8")
    began = time.perf_counter()
    again = build_index(docs, work / "index", cfg.model.embedder, cfg.index.chunk_tokens, cfg.index.chunk_overlap,
                        cfg.index.batch_size, embedder=embedder)  # fmt: skip
    reindex_s = time.perf_counter() - began
    out["reindex_one_change"] = {"seconds": round(reindex_s, 2), "embedded_chunks": again.embedded_chunks,
                                 "share_of_full": round(reindex_s / ours_s, 3)}  # fmt: skip

    # 1-2 again into PostgreSQL: the same documents, build and one-change re-index
    target.write_text(target.read_text(encoding="utf-8").split("\n\n## Phụ lục")[0], encoding="utf-8")
    if database:
        dsn = database("ragtune_bench_index")
        began = time.perf_counter()
        build_index(docs, dsn, cfg.model.embedder, cfg.index.chunk_tokens, cfg.index.chunk_overlap,
                    cfg.index.batch_size, full=True, embedder=embedder)  # fmt: skip
        pg_s = time.perf_counter() - began
        target.write_text(target.read_text(encoding="utf-8") + "\n\n## Phụ lục\n\nMột đoạn mới để đo lần lập chỉ mục lại.\n",
                          encoding="utf-8")  # fmt: skip
        began = time.perf_counter()
        build_index(docs, dsn, cfg.model.embedder, cfg.index.chunk_tokens, cfg.index.chunk_overlap,
                    cfg.index.batch_size, embedder=embedder)  # fmt: skip
        out["postgresql"] = {"chunks_per_s": round(summary.chunks / pg_s, 1), "seconds": round(pg_s, 1),
                             "reindex_one_change_s": round(time.perf_counter() - began, 2)}  # fmt: skip


def run(args, database) -> None:
    cfg = load_config(ROOT / "config.yaml", env={})
    work = ROOT / "artifacts" / "bench" / "index-throughput"
    shutil.rmtree(work, ignore_errors=True)
    embedder = load_embedder(cfg.model.embedder, precision=cfg.model.embedder_precision)
    out: dict = {"embedder": cfg.model.embedder}
    if args.latency_only:  # part 3 alone, from the configured index (`make index`)
        live = store.current_dir(ROOT / cfg.index.output_dir)
    else:
        builds(args, cfg, work, embedder, database, out)
        live = store.current_dir(work / "index")

    # 3. query latency at larger sizes: replicate chunks and vectors into a synthetic version
    base_chunks = store.read_chunks(live)
    base_vectors = store.reconstruct(store.read_dense(live), (c.chunk_id for c in base_chunks))
    rng = np.random.default_rng(0)
    for size in (int(s) for s in args.sizes.split(",")):
        reps = -(-size // len(base_chunks))
        big_chunks, vecs = [], []
        for r in range(reps):
            for c in base_chunks:
                big_chunks.append(type(c)(**{**c.to_dict(), "chunk_id": c.chunk_id ^ (r << 40), "doc_id": f"{c.doc_id}@{r}"}))
            noisy = base_vectors + rng.normal(0, 0.01, base_vectors.shape).astype(np.float32)
            vecs.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
        big_chunks, vectors = big_chunks[:size], np.vstack(vecs)[:size]
        root = work / f"synthetic-{size}"
        config = {**store.read_config(live), "chunks": size}
        hnsw_above = cfg.index.hnsw_above if args.hnsw_above < 0 else args.hnsw_above
        began = time.perf_counter()
        folder_version = store.FolderStore(root).publish(config, big_chunks, np.ascontiguousarray(vectors), {}, hnsw_above)
        folder_publish_s = round(time.perf_counter() - began, 1)
        retriever = Retriever(root, cfg.model.embedder, embedder=embedder, dense_weight=cfg.index.dense_weight,
                              fusion=cfg.index.fusion, candidates=cfg.index.candidates)  # fmt: skip
        row = {**latency(retriever, cfg.serve.top_k), "publish_s": folder_publish_s,
               "dense_index": store.FolderStore(root).config(folder_version)["dense_index"]}  # fmt: skip
        del retriever  # 1M chunks held twice would crowd this machine's memory
        if database:
            dsn = database(f"ragtune_bench_{size}")
            began = time.perf_counter()
            pg_version = store.open_store(dsn).publish(config, big_chunks, np.ascontiguousarray(vectors), {}, hnsw_above)
            publish_s = round(time.perf_counter() - began, 1)
            in_pg = Retriever(dsn, cfg.model.embedder, embedder=embedder, dense_weight=cfg.index.dense_weight,
                              fusion=cfg.index.fusion, candidates=cfg.index.candidates)  # fmt: skip
            row = {"folder": row, "postgresql": {**latency(in_pg, cfg.serve.top_k), "publish_s": publish_s,
                                                 "dense_index": store.open_store(dsn).config(pg_version)["dense_index"]}}  # fmt: skip
        out[f"latency_{size}"] = row
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
