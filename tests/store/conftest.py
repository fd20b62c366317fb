"""Every store test runs on SQLite (a temporary file) and on PostgreSQL (127.0.0.1:5432, database `test`).

PostgreSQL tests run in a schema of their own (``store_<pid>_<random>_<n>``, reached through the URL's
``search_path``), dropped after each test; whatever this session created is dropped at its end, so other
runs can share the server. When no PostgreSQL answers, those parameters skip and say why.
Set CHORUS_TEST_POSTGRES_URL to use another server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from store_helpers import Clock

from chorus_connect.store import Store, generate_key
from postgres_testing import SchemaFactory

SCHEMAS = SchemaFactory("store")


@pytest.fixture(scope="session", autouse=True)
def _drop_leftover_schemas() -> Iterator[None]:
    yield
    SCHEMAS.drop_all()


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    with SCHEMAS.url() as url:
        yield url


@pytest.fixture
def secret_key() -> str:
    return generate_key()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database_url: str, secret_key: str, clock: Clock) -> Iterator[Store]:
    opened = Store.open(database_url, secret_key=secret_key, environ={}, clock=clock)
    try:
        yield opened
    finally:
        opened.close()
