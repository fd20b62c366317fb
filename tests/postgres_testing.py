"""PostgreSQL for the tests: the local server (127.0.0.1:5432, trust auth, database `test`), one schema per
test reached through the URL's `search_path`, dropped after use; whatever a session created is dropped at
its end, so other runs can share the server. When no PostgreSQL answers, tests that need it skip and say
why. Set CHORUS_TEST_POSTGRES_URL to use another server."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import pytest

PG_CANDIDATES = ("postgresql://postgres@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test")
_found: dict[str, str | None] = {}


def _find_postgres() -> tuple[str | None, str]:
    configured = os.environ.get("CHORUS_TEST_POSTGRES_URL")
    errors = []
    for url in (configured,) if configured else PG_CANDIDATES:
        try:
            with psycopg.connect(url, connect_timeout=3, autocommit=True) as connection:
                connection.execute("select 1")
            return url, ""
        except psycopg.Error as error:
            errors.append(f"{url}: {str(error).strip().splitlines()[0]}")
    return None, "PostgreSQL unreachable (" + "; ".join(errors) + ")"


def postgres_admin_url() -> str:
    """The server's URL, looked up once per process; skips the calling test when there is none."""
    if "url" not in _found:
        _found["url"], _found["reason"] = _find_postgres()
    if _found["url"] is None:
        pytest.skip(_found["reason"] or "PostgreSQL unreachable")
    return _found["url"]


class SchemaFactory:
    """Fresh schemas named `<prefix>_<pid>_<random>_<n>` for one test session."""

    def __init__(self, prefix: str) -> None:
        self.tag = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
        self._numbers = itertools.count(1)

    def create(self) -> tuple[str, str]:
        """A new schema and the store URL (psycopg 3 driver) that reaches it."""
        admin = postgres_admin_url()
        schema = f"{self.tag}_{next(self._numbers)}"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'create schema "{schema}"')
        base = admin.replace("postgresql://", "postgresql+psycopg://")
        return schema, f"{base}?options={quote(f'-csearch_path={schema}')}"

    def drop(self, schema: str) -> None:
        with psycopg.connect(postgres_admin_url(), autocommit=True) as connection:
            connection.execute(f'drop schema if exists "{schema}" cascade')

    @contextmanager
    def url(self) -> Iterator[str]:
        schema, url = self.create()
        try:
            yield url
        finally:
            self.drop(schema)

    def drop_all(self) -> None:
        """Drop what this session left behind (only when PostgreSQL was used at all)."""
        admin = _found.get("url")
        if admin is None:
            return
        with psycopg.connect(admin, autocommit=True) as connection:
            names = connection.execute(
                "select nspname from pg_namespace where nspname like %s", (f"{self.tag}%",)
            ).fetchall()
            for (name,) in names:
                connection.execute(f'drop schema if exists "{name}" cascade')
