"""A PostgreSQL + pgvector server for the benchmarks that compare the two index stores: the one at `--pg` if
given, else a throwaway one from the pgserver wheel (`pip install -e '.[dev]'`) in a temporary folder."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg


@contextmanager
def postgres(dsn: str = "") -> Iterator[str]:
    """An admin address on a running server (yours, or one started here and stopped afterwards)."""
    if dsn:
        yield dsn
        return
    import pgserver

    with tempfile.TemporaryDirectory() as folder:
        server = pgserver.get_server(folder, cleanup_mode="stop")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


def fresh_database(admin: str, name: str) -> str:
    """Drop and create database `name`; its address."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
