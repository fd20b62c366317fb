"""Schema migrations, run from Python (no alembic.ini needed): ``upgrade(url)`` brings any store — empty or
older — to the current schema. Production code never calls ``create_all``."""

from __future__ import annotations

import threading

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from chorus_connect.store.db import create_store_engine
from chorus_connect.store.errors import MigrationError

SCRIPT_LOCATION = "chorus_connect.store:migrations"
# Alembic keeps its running context in module globals: one migration at a time per process. Between
# processes, the database serialises them (advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite).
_PROCESS_LOCK = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise MigrationError("The store package ships no migration.", fix="Reinstall chorus-connect.")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(target: str | URL | Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (default: the newest) to the database at ``target``."""
    _run(target, lambda config: command.upgrade(config, revision))


def downgrade(target: str | URL | Engine, revision: str) -> None:
    """Undo migrations down to ``revision`` (``"base"`` = empty database). Data in dropped tables is lost."""
    _run(target, lambda config: command.downgrade(config, revision))


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def _run(target: str | URL | Engine, action: object) -> None:
    engine = target if isinstance(target, Engine) else create_store_engine(target)
    try:
        with _PROCESS_LOCK, engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # SQLite's own procedure for schema changes: foreign keys off (table copies would cascade),
                # migrate in one transaction, check the keys, turn them back on.
                _raw_sqlite(connection, "PRAGMA foreign_keys=OFF")
            try:
                action(alembic_config(connection))  # type: ignore[operator]
                connection.commit()
            except CommandError as error:
                raise MigrationError(
                    f"The database schema cannot be migrated: {error}.",
                    fix="If the database was created by a newer chorus-connect, upgrade chorus-connect; "
                    "otherwise restore it from a backup.",
                ) from None
            finally:
                if sqlite:
                    connection.rollback()
                    _raw_sqlite(connection, "PRAGMA foreign_keys=ON")
    finally:
        if engine is not target:
            engine.dispose()


def _raw_sqlite(connection: Connection, statement: str) -> list[tuple[object, ...]]:
    # PRAGMA foreign_keys is ignored inside a transaction: run it on the driver connection, outside any.
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        return list(cursor.execute(statement).fetchall())
    finally:
        cursor.close()
