"""Engines: a SQLite file by default, PostgreSQL by URL.

SQLite is set up for one worker plus readers: WAL (readers never block the writer), foreign keys on, a busy
timeout, ``synchronous=FULL`` (a journaled deposit attempt must survive a power cut, or the engine could
send the same invoice twice), and write transactions that start with ``BEGIN IMMEDIATE`` so two writers
queue on the busy timeout instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from chorus_connect.store.errors import InvalidInputError

ENV_DATABASE_URL = "CHORUS_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_BEGIN_OPTION = "chorus_sqlite_begin"  # execution option: IMMEDIATE (default) or DEFERRED


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "chorus-connect"


def default_database_url() -> str:
    """``CHORUS_DATABASE_URL`` if set, else a SQLite file in the user's data directory."""
    configured = os.environ.get(ENV_DATABASE_URL, "").strip()
    return configured or f"sqlite:///{default_data_dir() / 'chorus.sqlite3'}"


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``; plain ``postgresql://`` / ``postgres://`` get the psycopg (v3) driver."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        raise InvalidInputError.single(
            "database_url",
            f"{_masked(str(url))!r} is not a database URL",
            "use sqlite:///path/to/file.db or postgresql+psycopg://user@host:5432/database",
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInputError.single(
            "database_url",
            f"the {parsed.get_backend_name()!r} database is not supported",
            "use SQLite (sqlite:///file.db) or PostgreSQL (postgresql+psycopg://…)",
        )
    return parsed


def _masked(text: str) -> str:
    try:
        return make_url(text).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable URL>"


def create_store_engine(url: str | URL, *, echo: bool = False) -> Engine:
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"echo": echo}
    if in_memory:
        # One shared connection, or each session would see its own empty database.
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(url.database or "").expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN is always DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def reader_engine(engine: Engine) -> Engine:
    """The same engine for read-only work: on SQLite it starts DEFERRED transactions (no write lock)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
    return engine
