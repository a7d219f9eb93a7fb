"""Two server processes share one PostgreSQL + pgvector index; an indexer in a third publishes, both switch."""

import threading
import time
from contextlib import ExitStack

import httpx
import pytest

from ragtune.rag.index import build_index
from ragtune.serve.launch import ServerDidNotStart, running_server

KEY = "replica-test-key"


def test_two_replicas_serve_one_postgres_index_and_reload_a_new_version(tiny_model_dir, tiny_embedder_dir, tiny_corpus, tmp_path, pg_dsn):
    from sentence_transformers import SentenceTransformer

    embedder = SentenceTransformer(str(tiny_embedder_dir), device="cpu")
    first = build_index(tiny_corpus, pg_dsn, str(tiny_embedder_dir), 64, 8, 8, embedder=embedder)
    overrides = [
        f"model.generator={tiny_model_dir}", f"model.embedder={tiny_embedder_dir}", f"model.models_dir={tmp_path}/models",
        f"index.store={pg_dsn}", f"index.output_dir={tmp_path}/no-folder-index", f"finetune.output_dir={tmp_path}/none",
        f"finetune.merged_dir={tmp_path}/none2", "serve.reload_poll_s=0.3", f"serve.api_keys=[{KEY}]",
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {KEY}"}
    with ExitStack() as stack:
        bases = []
        for i in range(2):
            log = stack.enter_context(open(tmp_path / f"replica{i}.log", "w"))
            try:
                base, _ = stack.enter_context(running_server(overrides, config=str(tmp_path / "none.yaml"), wait_for="/health", log=log, timeout_s=90))
            except ServerDidNotStart as e:
                pytest.fail(f"{e}:\n" + (tmp_path / f"replica{i}.log").read_text())
            bases.append(base)
        for base in bases:
            assert httpx.get(f"{base}/ready", headers=headers).json()["index_version"] == first.version
        statuses, stop = [], threading.Event()

        def ask(base):
            with httpx.Client(timeout=60) as client:
                while not stop.is_set():
                    r = client.post(f"{base}/ask", json={"question": "bãi đỗ xe ở đâu?", "max_tokens": 3}, headers=headers)
                    statuses.append(r.status_code)

        threads = [threading.Thread(target=ask, args=(base,)) for base in bases for _ in range(2)]
        for t in threads:
            t.start()
        (tiny_corpus / "company" / "bai-do-xe.md").write_text("# Bãi đỗ xe\n\nBãi đỗ xe ở tầng hầm B2.\n", encoding="utf-8")
        second = build_index(tiny_corpus, pg_dsn, str(tiny_embedder_dir), 64, 8, 8, embedder=embedder)  # the indexer
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(
            httpx.get(f"{b}/ready", headers=headers).json()["index_version"] != second.version for b in bases
        ):
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
        assert statuses and set(statuses) == {200}
        for base in bases:
            assert httpx.get(f"{base}/ready", headers=headers).json()["index_version"] == second.version
            r = httpx.post(f"{base}/ask", json={"question": "Bãi đỗ xe ở tầng hầm nào?", "max_tokens": 2}, headers=headers)
            assert any(s["doc_id"] == "company/bai-do-xe.md" for s in r.json()["sources"])


def test_a_database_gone_mid_service_answers_503_with_retry_after(tiny_lm, tiny_corpus, hash_embedder, pg_dsn, pg_server):
    from urllib.parse import urlsplit

    from fastapi.testclient import TestClient

    from ragtune.config import load_config
    from ragtune.rag.retrieve import Retriever
    from ragtune.serve.app import create_app
    from ragtune.serve.services import Services

    build_index(tiny_corpus, pg_dsn, "hash-test", 64, 8, 8, embedder=hash_embedder)
    cfg = load_config(None, [f"index.store={pg_dsn}", "model.embedder=hash-test", "serve.reload_poll_s=0"], env={})
    retriever = Retriever(pg_dsn, "hash-test", embedder=hash_embedder)
    with TestClient(create_app(cfg, Services(cfg, tiny_lm, retriever, None))) as client:
        assert client.post("/ask", json={"question": "Nghỉ phép năm?", "max_tokens": 2}).status_code == 200
        _drop_database(pg_server.get_uri(), urlsplit(pg_dsn).path[1:])
        r = client.post("/ask", json={"question": "Nghỉ phép năm?", "max_tokens": 2})
        assert r.status_code == 503 and r.headers["retry-after"] == "5" and "index store" in r.json()["detail"]
        assert client.post("/admin/reload").json()["index_reload_error"].startswith("PostgresError")


def _drop_database(admin_uri: str, name: str, tries: int = 3) -> None:
    """DROP DATABASE … WITH (FORCE), again on a fresh connection if the server drops this one: terminating the
    service's backends has once (CI under load) reset the test server mid-statement, which is the harness's
    trouble, not the behaviour under test."""
    import time

    import psycopg

    for attempt in range(tries):
        try:
            with psycopg.connect(admin_uri, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except psycopg.OperationalError:
            if attempt == tries - 1:
                raise
            time.sleep(1.0)
