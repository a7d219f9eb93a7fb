"""The index in PostgreSQL + pgvector: one database shared by several server replicas and a separate indexer.

Same promises as the folder store (rag/store.py), kept by the database:

    ragtune_versions   one row per published version: config, manifest
    ragtune_lexical    its BM25 index (the bm25s files, tarred) in parts of PART_BYTES: a bytea holds at most 1 GB
    ragtune_current    one row naming the live version; one UPDATE in the publishing transaction switches it
    ragtune_chunks_<v> one table per version: chunk_id, position, doc_id, the chunk (jsonb), embedding vector(d)

A build fills its own table (created under a session advisory lock held for the build's whole life), adds the
HNSW index above `hnsw_above` rows, then one transaction inserts the version row and moves `ragtune_current`:
readers see the old version or the new one, never a half-built table. A build that dies leaves only its table,
whose lock died with its session; the next publish drops it, with the versions beyond the last KEEP_VERSIONS.

Dense search runs in the database (inner product `<#>` on unit vectors: exact scan, or HNSW with the folder
store's M and ef settings). BM25 is scored in the server from the stored bm25s index, so hybrid ranking is the
folder store's to the last tie; each replica loads the chunks and that index at reload.
"""

from __future__ import annotations

import re
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ragtune.config import without_password
from ragtune.errors import RagtuneError
from ragtune.rag.chunking import Chunk
from ragtune.rag.lexical import LexicalIndex
from ragtune.rag.store import KEEP_VERSIONS, IndexNotFound, IndexUnavailable

try:
    import psycopg
    from pgvector.psycopg import register_vector
    from psycopg import sql
except ImportError as e:  # pragma: no cover - the message is the point
    raise RagtuneError(
        f"index.store is a PostgreSQL address but {e.name} is not installed: pip install 'ragtune[postgres]'"
    ) from e

HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128  # as the folder store's FAISS HNSW (rag/store.py)
# Advisory locks, (class, key) pairs: (RAGTUNE, 0) guards publish and clean-up; (RAGTUNE, hashtext(table)) is held
# by the session building that table, so a table whose lock is free and whose version is not published is dead.
RAGTUNE = 0x5247
ROOT_LOCK = f"SELECT pg_advisory_xact_lock({RAGTUNE}, 0)"
BUILD_LOCK = f"SELECT pg_advisory_lock({RAGTUNE}, hashtext(%s))"
BUILD_TRY = f"SELECT pg_try_advisory_lock({RAGTUNE}, hashtext(%s))"
BUILD_UNLOCK = f"SELECT pg_advisory_unlock({RAGTUNE}, hashtext(%s))"
SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS ragtune_versions (
    name text PRIMARY KEY,
    seq bigserial,
    config json NOT NULL,
    manifest json NOT NULL,  -- json, not jsonb: the manifest's document order is kept
    published_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ragtune_lexical (
    version text NOT NULL REFERENCES ragtune_versions (name) ON DELETE CASCADE,
    part integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (version, part)
);
DO $$ BEGIN  -- a database written before ragtune_lexical kept the archive whole in ragtune_versions.lexical
    IF EXISTS (SELECT FROM information_schema.columns WHERE table_schema = current_schema()
               AND table_name = 'ragtune_versions' AND column_name = 'lexical') THEN
        INSERT INTO ragtune_lexical (version, part, data) SELECT name, 0, lexical FROM ragtune_versions;
        ALTER TABLE ragtune_versions DROP COLUMN lexical;
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS ragtune_current (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version text NOT NULL REFERENCES ragtune_versions (name)
);
"""
TABLE_PREFIX = "ragtune_chunks_"
PART_BYTES = 64 << 20  # the BM25 archive of 1M chunks is ~2 GB; a part is one bytea value in one round trip


class PostgresError(IndexUnavailable):
    """The PostgreSQL index store cannot be reached or is not usable."""


def chunk_table(version: str) -> str:
    return TABLE_PREFIX + re.sub(r"[^a-z0-9]", "_", version.lower())


def lexical_parts(index: LexicalIndex) -> Iterator[bytes]:
    """The bm25s files of `index` as one tar archive, in parts of PART_BYTES (spooled through a file)."""
    with tempfile.TemporaryDirectory() as folder:
        index.save(Path(folder) / "bm25")
        with tarfile.open(Path(folder) / "bm25.tar", mode="w") as tar:
            tar.add(Path(folder) / "bm25", arcname="bm25")
        with open(Path(folder) / "bm25.tar", "rb") as archive:
            while part := archive.read(PART_BYTES):
                yield part


def lexical_from_parts(parts: Iterable[bytes], size: int) -> LexicalIndex:
    with tempfile.TemporaryDirectory() as folder:
        with open(Path(folder) / "bm25.tar", "wb") as archive:
            for part in parts:
                archive.write(part)
        with tarfile.open(Path(folder) / "bm25.tar", mode="r") as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: refuse links and paths out of the folder
                tar.extractall(folder, filter="data")
            else:
                tar.extractall(folder)  # our own archive, written by lexical_parts
        return LexicalIndex.load(Path(folder) / "bm25", size)


class PgDense:
    """Dense search of one version's table, in the database."""

    def __init__(self, store: PostgresStore, version: str):
        self._store = store
        self._version = version
        self._table = sql.Identifier(chunk_table(version))

    def _rows(self, statement, params, exact: bool = False) -> list[tuple]:
        try:
            return self._store.query(statement, params, exact)
        except psycopg.errors.UndefinedTable as e:  # a reader more than KEEP_VERSIONS publishes behind
            raise PostgresError(
                f"index version {self._version} is no longer in {self._store.location} (newer versions replaced it); "
                "the next reload loads the live one"
            ) from e

    def search(self, vector: np.ndarray, k: int, doc_prefix: str = "") -> dict[int, float]:
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if doc_prefix:  # exact: an HNSW scan filtered afterwards could return fewer than k
            statement = sql.SQL(
                "SELECT chunk_id, embedding <#> %s AS distance FROM {} WHERE starts_with(doc_id, %s) ORDER BY distance LIMIT %s"
            ).format(self._table)
            rows = self._rows(statement, (query, doc_prefix, k), exact=True)
        else:  # `<#>` is the negative inner product; computed once a row, and the HNSW index serves the ORDER BY
            statement = sql.SQL("SELECT chunk_id, embedding <#> %s AS distance FROM {} ORDER BY distance LIMIT %s").format(self._table)
            rows = self._rows(statement, (query, k))
        return {int(cid): -float(distance) for cid, distance in rows}

    def vectors(self, ids: Iterable[int]) -> np.ndarray:
        ids = [int(i) for i in ids]
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        statement = sql.SQL("SELECT chunk_id, embedding FROM {} WHERE chunk_id = ANY(%s)").format(self._table)
        found = {cid: vector.to_numpy() for cid, vector in self._rows(statement, (ids,))}
        return np.vstack([found[i] for i in ids])


class PostgresStore:
    """Index versions in the database at `dsn` (a postgresql:// address; libpq's PG* variables apply)."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.location = without_password(dsn)
        self._local = threading.local()  # one connection per thread: searches run on the server's thread pool

    # -- connections

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as e:
            raise PostgresError(f"cannot connect to the index database {self.location}: {e}".strip()) from e
        conn.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")
        return conn

    def _conn(self) -> psycopg.Connection:
        """This thread's connection, with pgvector's types once the extension exists (a reader never creates it)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = self._connect()
            self._local.vector = False
        if not self._local.vector:
            try:
                register_vector(conn)
                self._local.vector = True
            except psycopg.ProgrammingError:  # no vector extension yet: no index either
                pass
        return conn

    def query(self, statement, params=(), exact: bool = False) -> list[tuple]:
        """Rows of one read on this thread's connection; a dropped connection is opened again once."""
        for attempt in (0, 1):
            conn = self._conn()
            try:
                if not exact:
                    return conn.execute(statement, params or None, binary=True).fetchall()
                with conn.transaction():
                    conn.execute("SET LOCAL enable_indexscan = off")
                    return conn.execute(statement, params or None, binary=True).fetchall()
            except psycopg.OperationalError as e:
                conn.close()
                if attempt:
                    raise PostgresError(f"the index database {self.location} failed: {e}".strip()) from e

    def _create_schema(self, conn: psycopg.Connection) -> None:
        try:
            with conn.transaction():
                conn.execute(ROOT_LOCK)
                conn.execute(SCHEMA)
        except psycopg.Error as e:
            raise PostgresError(
                f"cannot set up the index tables in {self.location} ({type(e).__name__}: {e}); the role needs "
                "CREATE on the database, and the vector extension must be available (CREATE EXTENSION vector)"
            ) from e

    # -- reading

    def current(self) -> str | None:
        try:
            rows = self.query("SELECT version FROM ragtune_current")
        except psycopg.errors.UndefinedTable:
            return None
        return rows[0][0] if rows else None

    def _row(self, version: str, column: str):
        rows = self.query(sql.SQL("SELECT {} FROM ragtune_versions WHERE name = %s").format(sql.Identifier(column)), (version,))
        if not rows:
            raise IndexNotFound(f"no index version {version!r} in {self.location}")
        return rows[0][0]

    def config(self, version: str) -> dict:
        return self._row(version, "config")

    def manifest(self, version: str) -> dict:
        return self._row(version, "manifest")

    def chunks(self, version: str) -> list[Chunk]:
        table = sql.Identifier(chunk_table(version))
        return [Chunk(**row[0]) for row in self.query(sql.SQL("SELECT chunk FROM {} ORDER BY position").format(table))]

    def dense(self, version: str, chunks: list[Chunk]) -> PgDense:
        return PgDense(self, version)

    def lexical(self, version: str, size: int) -> LexicalIndex:
        numbers = [row[0] for row in self.query("SELECT part FROM ragtune_lexical WHERE version = %s ORDER BY part", (version,))]
        if not numbers:
            raise IndexNotFound(f"no BM25 index of version {version!r} in {self.location}")
        statement = "SELECT data FROM ragtune_lexical WHERE version = %s AND part = %s"  # one part in memory at a time
        return lexical_from_parts((bytes(self.query(statement, (version, n))[0][0]) for n in numbers), size)

    def versions(self) -> list[str]:
        """Published versions, oldest first."""
        try:
            return [row[0] for row in self.query("SELECT name FROM ragtune_versions ORDER BY seq")]
        except psycopg.errors.UndefinedTable:
            return []

    # -- writing

    def publish(self, config: dict, chunks: list[Chunk], vectors: np.ndarray, manifest: dict, hnsw_above: int = 0) -> str:
        version = time.strftime("v%Y%m%d-%H%M%S", time.gmtime()) + f"-{time.time_ns() % 1_000_000:06d}"
        table = chunk_table(version)
        hnsw = bool(hnsw_above) and len(chunks) > hnsw_above
        config = {**config, "dense_index": "pgvector-hnsw" if hnsw else "pgvector-exact"}
        with self._connect() as conn:  # its own session: the build lock lives exactly as long as the build
            self._create_schema(conn)
            register_vector(conn)
            conn.execute(BUILD_LOCK, (table,))
            try:
                self._fill(conn, table, chunks, vectors, int(config["dimension"]), hnsw)
                lexical = LexicalIndex.build(c.embed_text() for c in chunks)
                with conn.transaction():  # the switch: readers see the old version or the whole new one
                    conn.execute(ROOT_LOCK)
                    conn.execute(
                        "INSERT INTO ragtune_versions (name, config, manifest) VALUES (%s, %s, %s)",
                        (version, psycopg.types.json.Json(config), psycopg.types.json.Json(manifest)),
                    )
                    for number, part in enumerate(lexical_parts(lexical)):
                        conn.execute(
                            "INSERT INTO ragtune_lexical (version, part, data) VALUES (%s, %s, %s)", (version, number, part)
                        )
                    conn.execute(
                        "INSERT INTO ragtune_current (singleton, version) VALUES (true, %s) "
                        "ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version",
                        (version,),
                    )
            except BaseException:
                try:  # else the next publish drops it: this session's lock on it ends with the session
                    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
                except psycopg.Error:
                    pass
                raise
            conn.execute(BUILD_UNLOCK, (table,))
            self._prune(conn, KEEP_VERSIONS)
        return version

    def _fill(self, conn: psycopg.Connection, table: str, chunks: list[Chunk], vectors: np.ndarray, dimension: int, hnsw: bool):
        name = sql.Identifier(table)
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (chunk_id bigint PRIMARY KEY, position integer NOT NULL, doc_id text NOT NULL, "
                "chunk jsonb NOT NULL, embedding vector({}) NOT NULL)"
            ).format(name, sql.Literal(dimension))
        )
        # A row over ~2 kB is squeezed by TOAST, and the vector (1.5 kB at d=384) went out of line first:
        # every distance then fetched and decompressed it (12k chunks: an exact scan 39 -> 7 ms kept inline).
        conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN embedding SET STORAGE PLAIN").format(name))
        with conn.cursor() as cur, cur.copy(
            sql.SQL("COPY {} (chunk_id, position, doc_id, chunk, embedding) FROM STDIN WITH (FORMAT BINARY)").format(name)
        ) as copy:
            copy.set_types(["int8", "int4", "text", "jsonb", "vector"])
            for position, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True)):
                copy.write_row((chunk.chunk_id, position, chunk.doc_id, psycopg.types.json.Jsonb(chunk.to_dict()),
                                np.asarray(vector, dtype=np.float32)))  # fmt: skip
        if hnsw:
            # The graph is built in memory while it fits (else page by page, many times slower): ~4d bytes of vector
            # and ~1.5 kB of neighbour lists a row, 1-8 GB; the session's setting only, for this build.
            memory_mb = min(8192, max(1024, len(chunks) * (4 * dimension + 1536) >> 20))
            conn.execute(f"SET maintenance_work_mem = '{memory_mb}MB'")
            conn.execute(
                sql.SQL("CREATE INDEX ON {} USING hnsw (embedding vector_ip_ops) WITH (m = {}, ef_construction = {})").format(
                    name, sql.Literal(HNSW_M), sql.Literal(HNSW_EF_CONSTRUCTION)
                )
            )
        conn.execute(sql.SQL("ANALYZE {}").format(name))

    def prune(self, keep: int = KEEP_VERSIONS) -> None:
        """Drop versions beyond the last `keep` (never the live one) and tables of dead builds."""
        with self._connect() as conn:
            self._create_schema(conn)
            self._prune(conn, keep)

    def _prune(self, conn: psycopg.Connection, keep: int) -> None:
        with conn.transaction():
            conn.execute(ROOT_LOCK)
            live = conn.execute("SELECT version FROM ragtune_current").fetchone()
            names = [row[0] for row in conn.execute("SELECT name FROM ragtune_versions ORDER BY seq")]
            for name in names[:-keep] if keep else names:
                if live and name == live[0]:
                    continue
                conn.execute("DELETE FROM ragtune_versions WHERE name = %s", (name,))
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(chunk_table(name))))
            published = {chunk_table(n) for n in names}
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, %s)",
                (TABLE_PREFIX,),
            ).fetchall()
            for (table,) in tables:
                if table in published:
                    continue
                if conn.execute(BUILD_TRY, (table,)).fetchone()[0]:  # its build is gone
                    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
                    conn.execute(BUILD_UNLOCK, (table,))
