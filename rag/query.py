"""`ragtune query "câu hỏi" [--mode hybrid|dense|bm25] [--k 5] [--prefix company/] [--json]`: search the live index."""

from __future__ import annotations

import json
import sys

from ragtune.cli import run_stage
from ragtune.config import Config
from ragtune.rag.retrieve import build_retriever


def run(cfg: Config, question: str, mode: str | None = None, k: int = 5, prefix: str = "", as_json: bool = False) -> int:
    """Print the top `k` hits for `question`, one line (or JSON object) each."""
    retriever = build_retriever(cfg)
    hits = retriever.search(question, k, mode=mode, doc_prefix=prefix)
    for rank, hit in enumerate(hits, start=1):
        c = hit.chunk
        if as_json:
            row = {"rank": rank, "doc_id": c.doc_id, "heading": c.heading, "page": c.page, "score": round(hit.score, 4), "text": c.text}
            print(json.dumps(row, ensure_ascii=False))
        else:
            page = f" p.{c.page}" if c.page else ""
            print(f"{rank}. [{hit.score:.3f}] {c.doc_id}{page} — {c.heading}\n   {c.text[:200].replace(chr(10), ' ')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m ragtune.rag.query` = `ragtune query`."""
    return run_stage("query", argv)


if __name__ == "__main__":
    sys.exit(main())
