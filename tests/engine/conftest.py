"""Engine tests run against the real simulator (in-process, over HTTP, frozen clock) and a real store:
SQLite (a temporary file) and PostgreSQL (127.0.0.1:5432, database `test`, a schema per test, dropped
after it), like the store's tests. Set CHORUS_TEST_POSTGRES_URL to use another server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from engine_helpers import add_structure

from chorus_connect.engine.service import Engine
from chorus_connect.engine.settings import EngineSettings
from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.store import Store, generate_key
from postgres_testing import SchemaFactory

SCHEMAS = SchemaFactory("engine")

# Fast settling on the simulator: tests advance its clock explicitly.
TEST_SETTINGS = EngineSettings(
    settle_delay_local=dt.timedelta(seconds=30),
    resolution_retry_local=dt.timedelta(seconds=0),
    deposit_backoff_local=dt.timedelta(seconds=0),
    client_timeout=10.0,
)


def new_schema_url() -> tuple[str, str]:
    """A fresh PostgreSQL schema and the store URL reaching it."""
    return SCHEMAS.create()


def drop_schema(schema: str) -> None:
    SCHEMAS.drop(schema)


@pytest.fixture(scope="session", autouse=True)
def _drop_leftover_schemas() -> Iterator[None]:
    yield
    SCHEMAS.drop_all()


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    schema, url = new_schema_url()
    try:
        yield url
    finally:
        drop_schema(schema)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def secret_key() -> str:
    return generate_key()


@pytest.fixture
def store(database_url: str, secret_key: str) -> Iterator[Store]:
    opened = Store.open(database_url, secret_key=secret_key, environ={})
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as server:
        yield server


@pytest.fixture
def structure_id(store: Store, sim: SimulatorServer) -> int:
    return add_structure(store, sim)


@pytest.fixture
def engine(store: Store, structure_id: int) -> Iterator[Engine]:
    with Engine(store, settings=TEST_SETTINGS, actor="test") as opened:
        yield opened
