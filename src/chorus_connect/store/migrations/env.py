"""Alembic environment of the store. Run through chorus_connect.store.migrate (``upgrade(url)``), which
hands over an open connection in ``config.attributes["connection"]``; the alembic command line also works
with ``-x url=...``."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import JSON, Connection

from chorus_connect.store.errors import MigrationError
from chorus_connect.store.models import Base
from chorus_connect.store.types import Amount, EnumText, UtcDateTime

# Any constant: serialises concurrent upgrades (several workers starting at once) on PostgreSQL.
MIGRATION_LOCK_ID = 0x43484F52  # "CHOR"


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Autogenerate writes plain SQLAlchemy types, so that revisions do not depend on the store's code."""
    if type_ != "type":
        return False
    if isinstance(obj, EnumText):
        return f"sa.String(length={obj.impl.length})"
    if isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, Amount):
        return 'sa.Numeric(19, 6).with_variant(sa.BigInteger(), "sqlite")'
    if isinstance(obj, JSON):
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs go through table copies
        transactional_ddl=True,  # on SQLite too: the store issues BEGIN itself, so DDL is transactional
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            _check_sqlite_foreign_keys(connection)


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    # Foreign keys are off while migrating SQLite (see migrate.py): verify them before the commit.
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise MigrationError(
            f"After migrating, rows of {', '.join(tables)} point to rows that do not exist; "
            "nothing was changed.",
            fix="Report this as a bug of the migration, with the output of `PRAGMA foreign_key_check`.",
        )


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    from chorus_connect.store.db import create_store_engine

    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_store_engine(url)
    with engine.connect() as connection:
        run(connection)
    engine.dispose()


main()
