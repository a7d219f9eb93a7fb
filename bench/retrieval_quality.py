"""Retrieval quality: nDCG@10, Recall@10 and MRR@10 of bm25, dense and hybrid on public BEIR-style sets.

Sets (from ../shared/evaldata, skipped with a note when absent): ALQAC (Vietnamese statutes),
XQuAD-vi (derived_vi/beir), SciFact (English). Each corpus is indexed with the project's own
pipeline (rag.index, cached under artifacts/bench/ so later runs re-embed nothing). Queries are
split in half with a fixed seed: fusion settings are chosen on the dev half (macro-average over the
sets of each query language), and every figure printed is on the test half. Prints one JSON line.

By default (`--stores folder,postgresql`) it also publishes each set's chunks and vectors into PostgreSQL + pgvector
(rag/pgstore.py; the server at `--pg`, else a throwaway pgserver) and reports the configured hybrid
ranking served from there next to the folder store's: nDCG@10 of both, their difference, query p50.

    python bench/retrieval_quality.py [--sets alqac,xquad_vi,scifact] [--limit N] [--stores folder,postgresql]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import sys
import time
from contextlib import nullcontext
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ragtune.config import load_config  # noqa: E402
from ragtune.rag import store  # noqa: E402
from ragtune.rag.embedder import load_embedder  # noqa: E402
from ragtune.rag.fusion import top, weighted_rrf, weighted_scores  # noqa: E402
from ragtune.rag.index import build_index  # noqa: E402
from ragtune.rag.retrieve import Retriever  # noqa: E402

EVALDATA = ROOT.parent / "shared" / "evaldata"
SETS = {
    "alqac": EVALDATA / "alqac_vi_legal" / "beir",
    "xquad_vi": EVALDATA / "xquad_vi_en" / "derived_vi" / "beir",
    "scifact": EVALDATA / "scifact_en" / "beir",
}
POOL = 100  # chunks taken from each retriever per query
LANGUAGE = {"alqac": "vi", "xquad_vi": "vi", "scifact": "en"}
GRID = [(fusion, w / 10) for fusion in ("score", "rrf") for w in range(0, 11)]


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_set(folder: Path):
    corpus_file = folder / "corpus.jsonl" if (folder / "corpus.jsonl").exists() else folder / "corpus.jsonl.gz"
    corpus = read_jsonl(corpus_file)
    queries = {q["_id"]: q["text"] for q in read_jsonl(folder / "queries.jsonl")}
    qrels: dict[str, set[str]] = {}
    for line in (folder / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, did, score = line.split("\t")
        if int(score) > 0 and qid in queries:
            qrels.setdefault(qid, set()).add(did)
    return corpus, queries, qrels


def ndcg10(ranked: list[str], gold: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in gold)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), 10)))
    return dcg / ideal


def recall10(ranked: list[str], gold: set[str]) -> float:
    return len(set(ranked[:10]) & gold) / len(gold)


def mrr10(ranked: list[str], gold: set[str]) -> float:
    return next((1 / (i + 1) for i, d in enumerate(ranked[:10]) if d in gold), 0.0)


def doc_ranking(chunk_scores: dict[int, float], chunk_doc: dict[int, str]) -> list[str]:
    """Chunk scores -> document ids, best chunk first, each document once."""
    seen: dict[str, None] = {}
    for cid, _ in top(chunk_scores, len(chunk_scores)):
        seen.setdefault(chunk_doc[cid], None)
    return list(seen)


def evaluate(rankings: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    n = len(rankings)
    return {
        "ndcg@10": round(sum(ndcg10(r, qrels[q]) for q, r in rankings.items()) / n, 4),
        "recall@10": round(sum(recall10(r, qrels[q]) for q, r in rankings.items()) / n, 4),
        "mrr@10": round(sum(mrr10(r, qrels[q]) for q, r in rankings.items()) / n, 4),
    }


def p50_ms(seconds: list[float]) -> float:
    return round(sorted(seconds)[len(seconds) // 2] * 1000, 2)


def fuse(dense: dict[int, float], lexical: dict[int, float], fusion: str, weight: float) -> dict[int, float]:
    if fusion == "rrf":
        return weighted_rrf([[i for i, _ in top(dense, POOL)], [i for i, _ in top(lexical, POOL)]], [weight, 1 - weight])
    return weighted_scores(dense, lexical, weight)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--limit", type=int, default=0, help="queries per set (0 = all)")
    parser.add_argument("--stores", default="folder,postgresql", help="folder,postgresql (both, side by side) or folder")
    parser.add_argument("--pg", default="", help="admin address of a PostgreSQL with pgvector (default: start one)")
    args = parser.parse_args()
    with_pg = "postgresql" in args.stores.split(",")
    if with_pg:
        from pg import fresh_database, postgres
    with postgres(args.pg) if with_pg else nullcontext() as admin:
        run(args, admin, fresh_database if with_pg else None)


def run(args, admin: str | None, fresh_database) -> None:
    cfg = load_config(ROOT / "config.yaml", env={})
    embedder = load_embedder(cfg.model.embedder, precision=cfg.model.embedder_precision)
    out: dict = {"embedder": cfg.model.embedder, "pool": POOL, "skipped": []}
    per_set = {}
    for name in args.sets.split(","):
        folder = SETS[name]
        if not folder.is_dir():
            out["skipped"].append(f"{name}: {folder} not found")
            continue
        corpus, queries, qrels = load_set(folder)
        work = ROOT / "artifacts" / "bench" / f"retrieval-{name}"
        docs = work / "docs"
        docs.mkdir(parents=True, exist_ok=True)
        with open(docs / "corpus.jsonl", "w", encoding="utf-8") as f:
            for row in corpus:
                text = f"{row.get('title', '')}\n{row['text']}".strip()
                f.write(json.dumps({"id": row["_id"], "title": row.get("title") or row["_id"], "text": text}, ensure_ascii=False) + "\n")
        began = time.perf_counter()
        build_index(docs, work / "index", cfg.model.embedder, cfg.index.chunk_tokens, cfg.index.chunk_overlap,
                    cfg.index.batch_size, embedder=embedder)
        index_s = time.perf_counter() - began
        # configured exactly as the server builds it, with a larger candidate pool for ranking metrics
        def configured(index):
            return Retriever(index, cfg.model.embedder, embedder=embedder, candidates=POOL, dense_weight=cfg.index.dense_weight,
                             dense_weight_vi=cfg.index.dense_weight_vi, fusion=cfg.index.fusion)  # fmt: skip

        retriever = configured(work / "index")
        pg = None
        if admin:  # the same chunks and vectors, published into PostgreSQL
            in_folder = store.FolderStore(work / "index")
            live_dir = store.current_dir(work / "index")
            chunks = retriever.chunks
            dsn = fresh_database(admin, f"ragtune_bench_{name}")
            began = time.perf_counter()
            store.open_store(dsn).publish(store.read_config(live_dir), chunks, in_folder.dense(live_dir.name, chunks).vectors(c.chunk_id for c in chunks),
                                          in_folder.manifest(live_dir.name), cfg.index.hnsw_above)  # fmt: skip
            pg = (configured(dsn), round(time.perf_counter() - began, 1))
        chunk_doc = {c.chunk_id: c.doc_id.split("#", 1)[1] for c in retriever.chunks}
        qids = sorted(q for q in qrels if q in queries)
        random.Random(13).shuffle(qids)
        if args.limit:
            qids = qids[: args.limit]
        half = len(qids) // 2
        splits = {"dev": qids[:half], "test": qids[half:]}
        scored, live, served, seconds = {}, {}, {}, {"folder": [], "postgresql": []}
        for qid in qids:
            dense = {h.chunk.chunk_id: h.score for h in retriever.search(queries[qid], POOL, mode="dense")}
            lexical = {h.chunk.chunk_id: h.score for h in retriever.search(queries[qid], POOL, mode="bm25")}
            scored[qid] = (dense, lexical)
            # the shipped code path, as the server calls it, from each store
            for label, searcher, into in [("folder", retriever, live)] + ([("postgresql", pg[0], served)] if pg else []):
                began = time.perf_counter()
                hits = searcher.search(queries[qid], POOL)
                seconds[label].append(time.perf_counter() - began)
                into[qid] = doc_ranking({h.chunk.chunk_id: h.score for h in hits}, chunk_doc)
        per_set[name] = {"queries": len(qids), "index_s": round(index_s, 1), "chunks": len(retriever.chunks),
                         "splits": splits, "scored": scored, "live": live, "qrels": qrels, "chunk_doc": chunk_doc,
                         "served": served, "seconds": seconds, "pg_publish_s": pg[1] if pg else None}  # fmt: skip

    def score(name: str, split: str, method: str, fusion: str = "score", weight: float = 0.0) -> dict[str, float]:
        s = per_set[name]
        rankings = {}
        for qid in s["splits"][split]:
            dense, lexical = s["scored"][qid]
            chosen = dense if method == "dense" else lexical if method == "bm25" else fuse(dense, lexical, fusion, weight)
            rankings[qid] = doc_ranking(chosen, s["chunk_doc"])
        return evaluate(rankings, s["qrels"])

    # choose the fusion on the dev halves, per query language: best mean nDCG@10 over the sets of that language
    chosen = {}
    for lang in ("vi", "en"):
        names = [n for n in per_set if LANGUAGE[n] == lang]
        if not names:
            continue
        dev = {c: sum(score(n, "dev", "hybrid", *c)["ndcg@10"] for n in names) / len(names) for c in GRID}
        fusion, weight = max(dev, key=lambda c: (round(dev[c], 4), c[0] == "score", -abs(c[1] - 0.5)))
        chosen[lang] = {"fusion": fusion, "dense_weight": weight, "dev_ndcg@10": round(dev[(fusion, weight)], 4)}
    out["chosen_on_dev"] = chosen
    out["configured"] = {"fusion": cfg.index.fusion, "dense_weight": cfg.index.dense_weight, "dense_weight_vi": cfg.index.dense_weight_vi}
    for name, s in per_set.items():
        row = {"queries_test": len(s["splits"]["test"]), "chunks": s["chunks"], "index_s": s["index_s"]}
        for method in ("bm25", "dense"):
            row[method] = score(name, "test", method)
        row["rrf_plain"] = score(name, "test", "hybrid", "rrf", 0.5)
        pick = chosen[LANGUAGE[name]]
        row["hybrid_chosen"] = score(name, "test", "hybrid", pick["fusion"], pick["dense_weight"])
        row["hybrid_configured"] = evaluate({q: s["live"][q] for q in s["splits"]["test"]}, s["qrels"])
        best_single = max(row["bm25"]["ndcg@10"], row["dense"]["ndcg@10"])
        row["hybrid_ge_best_single"] = row["hybrid_configured"]["ndcg@10"] >= best_single
        if s["served"]:
            in_pg = evaluate({q: s["served"][q] for q in s["splits"]["test"]}, s["qrels"])
            row["stores"] = {
                "folder": {"ndcg@10": row["hybrid_configured"]["ndcg@10"], "query_p50_ms": p50_ms(s["seconds"]["folder"])},
                "postgresql": {"ndcg@10": in_pg["ndcg@10"], "query_p50_ms": p50_ms(s["seconds"]["postgresql"]),
                               "publish_s": s["pg_publish_s"]},
                "ndcg_diff": round(in_pg["ndcg@10"] - row["hybrid_configured"]["ndcg@10"], 4),
            }  # fmt: skip
        out[name] = row
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
