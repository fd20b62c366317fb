from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from chorus_connect.store import MigrationError, Store, current_revision, downgrade, head_revision, upgrade
from chorus_connect.store.db import create_store_engine

EXPECTED_TABLES = {
    "api_key_structures",
    "api_keys",
    "batches",
    "deposit_attempts",
    "files",
    "invoice_events",
    "invoices",
    "markets",
    "notifications",
    "piste_applications",
    "received_invoice_events",
    "received_invoices",
    "store_meta",
    "structures",
    "sync_cursors",
    "user_structures",
    "users",
}


def test_upgrade_from_empty_creates_every_table(database_url):
    engine = create_store_engine(database_url)
    try:
        assert current_revision(engine) is None
        assert not set(inspect(engine).get_table_names()) & EXPECTED_TABLES
        upgrade(database_url)
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    finally:
        engine.dispose()


def test_upgrade_is_idempotent_and_downgrade_empties(database_url):
    upgrade(database_url)
    upgrade(database_url)  # nothing to do the second time
    engine = create_store_engine(database_url)
    try:
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert not set(inspect(engine).get_table_names()) & EXPECTED_TABLES
    finally:
        engine.dispose()


def test_open_migrates_and_sqlite_settings(database_url, secret_key):
    store = Store.open(database_url, secret_key=secret_key, environ={})
    try:
        assert current_revision(store.engine) == head_revision()
        if store.dialect == "sqlite":
            with store.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            assert not store.supports_concurrent_workers
        else:
            assert store.supports_concurrent_workers
        assert "password" not in repr(store)
    finally:
        store.close()


def test_models_match_the_migrations(database_url):
    """Autogenerate finds nothing to add: the shipped revisions describe the models exactly."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from chorus_connect.store.models import Base

    upgrade(database_url)
    engine = create_store_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_database_from_a_newer_version_is_refused_clearly(database_url, secret_key):
    upgrade(database_url)
    engine = create_store_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("update alembic_version set version_num = 'f00dcafe'"))
    finally:
        engine.dispose()
    with pytest.raises(MigrationError, match="newer chorus-connect"):
        Store.open(database_url, secret_key=secret_key, environ={})


def test_concurrent_opens_of_an_empty_database_migrate_once(database_url, secret_key):
    """Several worker processes starting together: one migrates, the others wait and find the schema ready
    (threads of one process are covered too: they queue on a process-wide lock)."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    script = (
        "import sys; from chorus_connect.store import Store, current_revision; "
        "s = Store.open(sys.argv[1], secret_key=sys.argv[2], environ={}); "
        "print(current_revision(s.engine)); s.close()"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, database_url, secret_key], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]

    def open_in_thread(_: int) -> str | None:
        store = Store.open(database_url, secret_key=secret_key, environ={})
        try:
            return current_revision(store.engine)
        finally:
            store.close()

    with ThreadPoolExecutor(3) as pool:
        in_threads = list(pool.map(open_in_thread, range(3)))
    outputs = [worker.communicate(timeout=120)[0].strip() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0]
    assert outputs + in_threads == [head_revision()] * 6
