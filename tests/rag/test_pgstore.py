"""The PostgreSQL + pgvector index store against a real PostgreSQL 16 with pgvector (the pgserver wheel)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from ragtune.config import ConfigError, load_config, render_config, without_password
from ragtune.rag import store
from ragtune.rag.index import build_index
from ragtune.rag.pgstore import PostgresStore, chunk_table
from ragtune.rag.retrieve import Retriever

TESTS = Path(__file__).resolve().parents[1]
QUESTIONS = ["nghỉ phép năm", "giờ làm việc văn phòng", "đăng ký thường trú", "Điều 20", "mấy giờ"]


def _build(corpus, out, embedder, full=False, hnsw_above=0):
    return build_index(corpus, out, "hash-test", chunk_tokens=64, chunk_overlap=8, batch_size=8, full=full,
                       embedder=embedder, hnsw_above=hnsw_above)  # fmt: skip


def _ranking(retriever, mode, **kw):
    return [[(h.chunk.chunk_id, round(h.score, 2)) for h in retriever.search(q, 4, mode=mode, **kw)] for q in QUESTIONS]


def test_postgres_store_answers_as_the_folder_store(tiny_corpus, tmp_path, hash_embedder, pg_dsn):
    _build(tiny_corpus, tmp_path / "index", hash_embedder)
    summary = _build(tiny_corpus, pg_dsn, hash_embedder)
    folder = Retriever(tmp_path / "index", "hash-test", embedder=hash_embedder)
    pg = Retriever(pg_dsn, "hash-test", embedder=hash_embedder)
    assert pg.version == summary.version and isinstance(pg.store, PostgresStore)
    assert [c.to_dict() for c in pg.chunks] == [c.to_dict() for c in folder.chunks]
    for mode in ("bm25", "dense", "hybrid"):  # the folder keeps fp16 vectors: scores agree to ~1e-3
        assert _ranking(pg, mode) == _ranking(folder, mode), mode
    assert _ranking(pg, "hybrid", doc_prefix="laws/") == _ranking(folder, "hybrid", doc_prefix="laws/")
    assert all(h.chunk.doc_id.startswith("laws/") for h in pg.search("nghỉ phép", 4, doc_prefix="laws/"))
    hits = pg.search("nghỉ phép năm", 3, diversity=0.5)  # MMR reads the stored vectors back from the database
    assert [h.chunk.chunk_id for h in hits] == [h.chunk.chunk_id for h in folder.search("nghỉ phép năm", 3, diversity=0.5)]


def test_a_bm25_index_larger_than_one_part_is_stored_in_parts_and_read_whole(tiny_corpus, tmp_path, hash_embedder, pg_dsn, monkeypatch):
    """A bytea holds at most 1 GB and 1M chunks' BM25 archive is ~2 GB: it goes in parts, read back in order."""
    from ragtune.rag import pgstore

    monkeypatch.setattr(pgstore, "PART_BYTES", 4096)
    _build(tiny_corpus, tmp_path / "index", hash_embedder)
    summary = _build(tiny_corpus, pg_dsn, hash_embedder)
    parts = PostgresStore(pg_dsn).query("SELECT count(*) FROM ragtune_lexical WHERE version = %s", (summary.version,))
    assert parts[0][0] > 3
    pg, folder = (Retriever(ix, "hash-test", embedder=hash_embedder) for ix in (pg_dsn, tmp_path / "index"))
    assert _ranking(pg, "bm25") == _ranking(folder, "bm25")


def test_a_database_that_kept_the_archive_whole_is_moved_to_parts(tiny_corpus, hash_embedder, pg_dsn):
    """Databases written before ragtune_lexical held the archive in ragtune_versions.lexical; they keep working."""
    summary = _build(tiny_corpus, pg_dsn, hash_embedder)
    size = len(PostgresStore(pg_dsn).chunks(summary.version))
    before = [PostgresStore(pg_dsn).lexical(summary.version, size).scores(q).tolist() for q in QUESTIONS]
    with psycopg.connect(pg_dsn, autocommit=True) as conn:  # back to the old layout, archive and all
        conn.execute("ALTER TABLE ragtune_versions ADD COLUMN lexical bytea")
        conn.execute("UPDATE ragtune_versions v SET lexical = (SELECT string_agg(data, ''::bytea ORDER BY part) "
                     "FROM ragtune_lexical l WHERE l.version = v.name)")  # fmt: skip
        conn.execute("ALTER TABLE ragtune_versions ALTER COLUMN lexical SET NOT NULL")
        conn.execute("DROP TABLE ragtune_lexical")
    (tiny_corpus / "company" / "gio-lam-viec.txt").write_text("Giờ làm việc\n\nVăn phòng mở cửa từ 9 giờ.\n")
    changed = _build(tiny_corpus, pg_dsn, hash_embedder)  # sets the schema up again: the old archive moves over
    pg = PostgresStore(pg_dsn)
    assert pg.versions() == [summary.version, changed.version]
    assert [pg.lexical(summary.version, size).scores(q).tolist() for q in QUESTIONS] == before
    assert Retriever(pg_dsn, "hash-test", embedder=hash_embedder).search("mở cửa từ 9 giờ", 1, mode="bm25")


def test_incremental_build_in_postgres_embeds_only_changes_and_equals_a_full_one(tiny_corpus, hash_embedder, pg_dsn, pg_server):
    first = _build(tiny_corpus, pg_dsn, hash_embedder)
    calls = hash_embedder.calls
    again = _build(tiny_corpus, pg_dsn, hash_embedder)
    assert again.version == first.version and again.embedded_chunks == 0 and hash_embedder.calls == calls
    (tiny_corpus / "company" / "gio-lam-viec.txt").write_text("Giờ làm việc\n\nVăn phòng mở cửa từ 9 giờ.\n")
    (tiny_corpus / "laws" / "luat-cu-tru.md").unlink()
    changed = _build(tiny_corpus, pg_dsn, hash_embedder)
    assert (changed.changed, changed.removed, changed.unchanged, changed.embedded_chunks) == (1, 1, 1, 1)
    full_dsn = pg_dsn.replace("ragtune_test_", "ragtune_full_")
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {urlsplit(full_dsn).path[1:]}")
    _build(tiny_corpus, full_dsn, hash_embedder, full=True)
    inc, full = Retriever(pg_dsn, "hash-test", embedder=hash_embedder), Retriever(full_dsn, "hash-test", embedder=hash_embedder)
    assert [c.to_dict() for c in inc.chunks] == [c.to_dict() for c in full.chunks]
    assert all(c.doc_id != "laws/luat-cu-tru.md" for c in inc.chunks)
    assert _ranking(inc, "hybrid") == _ranking(full, "hybrid")


def test_readers_switch_on_reload_and_only_the_last_versions_stay(tiny_corpus, hash_embedder, pg_dsn):
    _build(tiny_corpus, pg_dsn, hash_embedder)
    reader = Retriever(pg_dsn, "hash-test", embedder=hash_embedder)
    assert reader.reload() is False
    target = tiny_corpus / "company" / "gio-lam-viec.txt"
    for i in range(4):
        target.write_text(f"Giờ làm việc\n\nVăn phòng mở cửa từ {7 + i} giờ sáng.\n")
        _build(tiny_corpus, pg_dsn, hash_embedder)
    pg = PostgresStore(pg_dsn)
    versions = pg.versions()
    assert len(versions) == store.KEEP_VERSIONS and pg.current() == versions[-1]
    tables = {row[0] for row in pg.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 'ragtune_chunks_%'")}
    assert tables == {chunk_table(v) for v in versions}
    with pytest.raises(store.IndexUnavailable, match="no longer in"):  # its version was pruned under it
        reader.search("văn phòng", 1)
    assert reader.reload() is True and reader.version == versions[-1]
    assert "10 giờ sáng" in reader.search("văn phòng mở cửa mấy giờ", 1)[0].chunk.text


def test_hnsw_above_the_threshold_finds_what_the_exact_scan_finds(tiny_corpus, hash_embedder, pg_dsn):
    _build(tiny_corpus, pg_dsn, hash_embedder)
    exact = Retriever(pg_dsn, "hash-test", embedder=hash_embedder)
    expected = _ranking(exact, "dense")
    _build(tiny_corpus, pg_dsn, hash_embedder, full=True, hnsw_above=1)
    pg = PostgresStore(pg_dsn)
    assert pg.config(pg.current())["dense_index"] == "pgvector-hnsw"
    indexes = pg.query("SELECT indexdef FROM pg_indexes WHERE tablename = %s", (chunk_table(pg.current()),))
    assert any("hnsw" in row[0] and "vector_ip_ops" in row[0] for row in indexes)
    assert _ranking(Retriever(pg_dsn, "hash-test", embedder=hash_embedder), "dense") == expected


def test_an_empty_database_and_a_mismatched_embedder_get_clear_errors(tiny_corpus, hash_embedder, pg_dsn):
    with pytest.raises(store.IndexNotFound, match="ragtune index"):
        Retriever(pg_dsn, "hash-test", embedder=hash_embedder)
    _build(tiny_corpus, pg_dsn, hash_embedder)
    with pytest.raises(store.IndexMismatch, match=r"embedder 'hash-test' but model.embedder is 'other'"):
        Retriever(pg_dsn, "other", embedder=hash_embedder)


SLOW_BUILD = """
import sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
from conftest import HashEmbedder
from ragtune.rag import pgstore
from ragtune.rag.index import build_index

real_fill = pgstore.PostgresStore._fill
def slow_fill(self, conn, table, *a, **kw):
    real_fill(self, conn, table, *a, **kw)
    print("filled", table, flush=True)
    time.sleep(60)
pgstore.PostgresStore._fill = slow_fill
build_index(Path(sys.argv[1]), sys.argv[2], "hash-test", 64, 8, 2, full=True, embedder=HashEmbedder())
"""


def test_a_killed_build_leaves_the_live_version_and_its_table_is_dropped_later(tiny_corpus, hash_embedder, pg_dsn):
    _build(tiny_corpus, pg_dsn, hash_embedder)
    pg = PostgresStore(pg_dsn)
    live = pg.current()
    expected = _ranking(Retriever(pg_dsn, "hash-test", embedder=hash_embedder), "hybrid")
    (tiny_corpus / "company" / "nghi-phep.md").write_text("# Nghỉ phép\n\nNghỉ phép năm 30 ngày.\n")
    proc = subprocess.Popen([sys.executable, "-c", SLOW_BUILD.format(tests=str(TESTS)), str(tiny_corpus), pg_dsn],
                            stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(TESTS.parent)})  # fmt: skip
    try:
        line = proc.stdout.readline().decode().split()
        assert line[0] == "filled", line
        staging = line[1]
        count = pg.query(f"SELECT count(*) FROM {staging}")[0][0]
        assert count > 0  # the new version's rows are in the database, complete, but not published
        assert pg.current() == live and _ranking(Retriever(pg_dsn, "hash-test", embedder=hash_embedder), "hybrid") == expected
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert pg.current() == live
    assert _ranking(Retriever(pg_dsn, "hash-test", embedder=hash_embedder), "hybrid") == expected
    deadline = time.monotonic() + 30  # the dead client's backend ends, and its lock with it, moments later
    while time.monotonic() < deadline:
        pg.prune()
        if not pg.query("SELECT 1 FROM pg_tables WHERE tablename = %s", (staging,)):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"{staging} of the killed build was never dropped")
    assert pg.current() == live and pg.versions() == [live]


def test_a_live_build_is_never_dropped_by_another_publish(tiny_corpus, hash_embedder, pg_dsn):
    """The clean-up run by a publish leaves a table alone while its build's session holds the lock."""
    pg = PostgresStore(pg_dsn)
    _build(tiny_corpus, pg_dsn, hash_embedder)
    table = "ragtune_chunks_v_in_progress"
    with psycopg.connect(pg_dsn, autocommit=True) as builder:
        builder.execute("SELECT pg_advisory_lock(x'5247'::int, hashtext(%s))", (table,))
        builder.execute(f"CREATE TABLE {table} (chunk_id bigint)")
        pg.prune()
        assert pg.query("SELECT 1 FROM pg_tables WHERE tablename = %s", (table,))
    pg.prune()  # its session ended: now it is a dead build's
    assert not pg.query("SELECT 1 FROM pg_tables WHERE tablename = %s", (table,))


def test_index_store_setting_is_checked_and_its_password_never_shown(tmp_path):
    with pytest.raises(ConfigError, match="index.store"):
        load_config(None, ["index.store=mysql://db/x"], env={})
    cfg = load_config(None, ["index.store=postgresql://rag:s3cret@db.internal:5432/rag"], env={})
    assert cfg.index.location == "postgresql://rag:s3cret@db.internal:5432/rag"
    assert load_config(None, [], env={}).index.location == Path("artifacts/index")
    assert without_password(cfg.index.store) == "postgresql://rag:***@db.internal:5432/rag"
    assert "s3cret" not in store.open_store(cfg.index.store).location
    shown = render_config(cfg, hide_secrets=True)  # `ragtune config`
    assert "postgresql://rag:***@db.internal:5432/rag" in shown and "s3cret" not in shown


def test_a_database_gone_mid_service_is_index_unavailable_not_a_crash(tiny_corpus, hash_embedder, pg_dsn, pg_server):
    _build(tiny_corpus, pg_dsn, hash_embedder)
    retriever = Retriever(pg_dsn, "hash-test", embedder=hash_embedder)
    assert retriever.search("nghỉ phép", 2)
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {urlsplit(pg_dsn).path[1:]} WITH (FORCE)")  # ends the retriever's session too
    with pytest.raises(store.IndexUnavailable, match="index database"):
        retriever.search("nghỉ phép", 2)
    with pytest.raises(store.IndexUnavailable):
        retriever.reload()


def test_two_builds_at_once_both_publish_and_leave_no_stray_table(tiny_corpus, hash_embedder, pg_dsn):
    """Two indexers on one database (two replicas' `make index`, say): each publishes whole, the last one wins,
    and nothing half-built or orphaned is left."""
    import threading

    _build(tiny_corpus, pg_dsn, hash_embedder)
    versions, errors = [], []

    def build(corpus):
        try:
            versions.append(_build(corpus, pg_dsn, type(hash_embedder)(), full=True).version)  # one embedder each
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=build, args=(tiny_corpus,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(versions)) == 2
    pg = PostgresStore(pg_dsn)
    assert pg.current() in versions and set(versions) <= set(pg.versions())
    tables = {row[0] for row in pg.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 'ragtune_chunks_%'")}
    assert tables == {chunk_table(v) for v in pg.versions()}
    assert Retriever(pg_dsn, "hash-test", embedder=hash_embedder).search("nghỉ phép", 2)
