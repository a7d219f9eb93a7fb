"""`python -m rag.query "câu hỏi" [--mode hybrid|dense|bm25] [--k 5] [--json]`: search the live index."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from ragtune.rag.retrieve import EmptyQuestion, build_retriever
from ragtune.rag.store import IndexMismatch, IndexNotFound

from ragtune.config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.query", description=__doc__.splitlines()[0])
    parser.add_argument("question")
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. index.dense_weight=0.5")
    parser.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default=None, help="default: index.retrieval_mode")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--prefix", default="", help="only documents whose id starts with this, e.g. company/")
    parser.add_argument("--json", action="store_true", help="one JSON object a line per hit")
    parser.add_argument("--config", default="config.yaml")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        retriever = build_retriever(load_config(args.config, args.overrides))
        hits = retriever.search(args.question, args.k, mode=args.mode, doc_prefix=args.prefix)
    except (ConfigError, IndexNotFound, IndexMismatch, EmptyQuestion) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for rank, hit in enumerate(hits, start=1):
        c = hit.chunk
        if args.json:
            row = {"rank": rank, "doc_id": c.doc_id, "heading": c.heading, "page": c.page, "score": round(hit.score, 4), "text": c.text}
            print(json.dumps(row, ensure_ascii=False))
        else:
            page = f" p.{c.page}" if c.page else ""
            print(f"{rank}. [{hit.score:.3f}] {c.doc_id}{page} — {c.heading}\n   {c.text[:200].replace(chr(10), ' ')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
