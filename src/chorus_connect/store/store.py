"""The store's entry point: ``Store.open(url)`` and its transactions (units of work).

>>> store = Store.open("sqlite:///chorus.sqlite3")                      # doctest: +SKIP
>>> with store.transaction(actor="alice") as tx:                       # doctest: +SKIP
...     structure = tx.structures.get("acme")
...     record = tx.invoices.add(structure.id, invoice)

A transaction commits when its block ends and rolls back entirely when an exception leaves it, so a bad
input never leaves half its changes behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from chorus_connect.store import leases
from chorus_connect.store.db import create_store_engine, default_database_url, reader_engine
from chorus_connect.store.migrate import is_up_to_date, upgrade
from chorus_connect.store.models.base import Base, utcnow
from chorus_connect.store.models.meta import StoreMeta
from chorus_connect.store.repositories.accounts import AccountRepository
from chorus_connect.store.repositories.batches import BatchRepository
from chorus_connect.store.repositories.cursors import SyncCursorRepository
from chorus_connect.store.repositories.deposits import DepositJournal
from chorus_connect.store.repositories.files import FileRepository
from chorus_connect.store.repositories.invoices import InvoiceRepository
from chorus_connect.store.repositories.markets import MarketRepository
from chorus_connect.store.repositories.notifications import NotificationOutbox
from chorus_connect.store.repositories.piste import PisteApplicationRepository
from chorus_connect.store.repositories.received import ReceivedInvoiceRepository
from chorus_connect.store.repositories.structures import StructureRepository
from chorus_connect.store.repositories.web import (
    IdempotencyRepository,
    LoginThrottleRepository,
    WebSessionRepository,
)
from chorus_connect.store.secrets import SecretBox

KEY_CHECK = "secret_key_check"
KEY_ID = "secret_key_id"


class Store:
    """An open store: the engine, its session factories and the key for the secrets (loaded lazily, so
    that listing invoices works without it)."""

    def __init__(
        self,
        engine: Engine,
        *,
        secret_key: str | SecretStr | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self._secret_key = secret_key
        self._environ = environ
        self._box: SecretBox | None = None
        self._writer = sessionmaker(engine, expire_on_commit=False)
        self._reader = sessionmaker(reader_engine(engine), expire_on_commit=False)

    @classmethod
    def open(
        cls,
        url: str | URL | None = None,
        *,
        secret_key: str | SecretStr | None = None,
        migrate: bool = True,
        echo: bool = False,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> Store:
        """Open (creating it if needed) the store at ``url`` — default: ``CHORUS_DATABASE_URL`` or a SQLite
        file in the user's data directory — and bring its schema up to date."""
        engine = create_store_engine(url or default_database_url(), echo=echo)
        if migrate and not is_up_to_date(engine):
            upgrade(engine)
        return cls(engine, secret_key=secret_key, environ=environ, clock=clock)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)})"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def supports_concurrent_workers(self) -> bool:
        """PostgreSQL: any number of workers. SQLite: run a single worker (readers are fine)."""
        return self.dialect == "postgresql"

    def now(self) -> dt.datetime:
        return self.clock()

    # --- transactions -------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, actor: str | None = None) -> Iterator[UnitOfWork]:
        """A read-write unit of work, committed at the end of the block, rolled back on any exception."""
        with self._writer() as session, session.begin():
            yield UnitOfWork(self, session, actor=actor)

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        """A read-only unit of work (on SQLite it takes no write lock); always rolled back."""
        with self._reader() as session:
            try:
                yield UnitOfWork(self, session, actor=None)
            finally:
                session.rollback()

    def claim(
        self,
        model: type[Base],
        worker: str,
        **options: Any,
    ) -> list[leases.Claim]:
        """Claim rows of ``model`` in a transaction of their own (committed at once, so that other workers
        see the claim). Options as for :func:`chorus_connect.store.leases.claim`."""
        with self.transaction(actor=worker) as tx:
            return leases.claim(tx.session, model, worker, **options)

    # --- secrets ------------------------------------------------------------------------------------

    @property
    def secrets(self) -> SecretBox:
        """The key box, checked against the store's key check; raises a ``SecretKeyError`` naming the fix."""
        if self._box is None:
            with self.read() as tx:
                return self.secrets_for(tx.session)
        return self._box

    def secrets_for(self, session: Session) -> SecretBox:
        """As :attr:`secrets`, checking the key through ``session`` (the caller's transaction)."""
        if self._box is None:
            box = SecretBox.from_environment(self._secret_key, self._environ)
            stored = {row.key: row.value for row in session.scalars(select(StoreMeta))}
            check = stored.get(KEY_CHECK)
            if check is not None and not box.can_decrypt(check):
                raise box.wrong_key_error("this store's secrets", stored.get(KEY_ID))
            self._box = box
        return self._box

    def use_secret_key(self, secret_key: str | SecretStr) -> None:
        """Switch this process to another key (after a rotation)."""
        self._secret_key = secret_key
        self._box = None


class UnitOfWork:
    """One transaction, with a repository per aggregate as attributes."""

    def __init__(self, store: Store, session: Session, *, actor: str | None) -> None:
        self.store = store
        self.session = session
        self.actor = actor
        self._key_checked = False

    def now(self) -> dt.datetime:
        return self.store.now()

    def flush(self) -> None:
        self.session.flush()

    # --- secrets (used by the repositories) ----------------------------------------------------------

    def encrypt(self, plaintext: str | SecretStr) -> str:
        box = self.store.secrets_for(self.session)
        self._ensure_key_check(box)
        return box.encrypt(plaintext)

    def decrypt(self, token: str, *, what: str) -> SecretStr:
        return self.store.secrets_for(self.session).decrypt(token, what=what)

    def _ensure_key_check(self, box: SecretBox) -> None:
        # The first secret ever written also writes the key check. Two processes may do that at once: insert
        # if absent, then verify whatever is there (a process with another key must not add secrets).
        if self._key_checked:
            return
        values = [
            {"key": KEY_CHECK, "value": box.key_check_token()},
            {"key": KEY_ID, "value": box.fingerprint},
        ]
        insert = postgresql_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        self.session.execute(insert(StoreMeta).values(values).on_conflict_do_nothing(index_elements=["key"]))
        by_key = {key: value for key, value in self.session.execute(select(StoreMeta.key, StoreMeta.value))}
        if not box.can_decrypt(by_key[KEY_CHECK]):
            raise box.wrong_key_error("this store's secrets", by_key.get(KEY_ID))
        self._key_checked = True

    def set_key_check(self, box: SecretBox) -> None:
        for key, value in ((KEY_CHECK, box.key_check_token()), (KEY_ID, box.fingerprint)):
            row = self.session.get(StoreMeta, key)
            if row is None:
                self.session.add(StoreMeta(key=key, value=value))
            else:
                row.value = value

    # --- repositories -------------------------------------------------------------------------------

    @cached_property
    def piste_applications(self) -> PisteApplicationRepository:
        return PisteApplicationRepository(self)

    @cached_property
    def structures(self) -> StructureRepository:
        return StructureRepository(self)

    @cached_property
    def markets(self) -> MarketRepository:
        return MarketRepository(self)

    @cached_property
    def files(self) -> FileRepository:
        return FileRepository(self)

    @cached_property
    def invoices(self) -> InvoiceRepository:
        return InvoiceRepository(self)

    @cached_property
    def batches(self) -> BatchRepository:
        return BatchRepository(self)

    @cached_property
    def deposits(self) -> DepositJournal:
        return DepositJournal(self)

    @cached_property
    def cursors(self) -> SyncCursorRepository:
        return SyncCursorRepository(self)

    @cached_property
    def received(self) -> ReceivedInvoiceRepository:
        return ReceivedInvoiceRepository(self)

    @cached_property
    def notifications(self) -> NotificationOutbox:
        return NotificationOutbox(self)

    @cached_property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self)

    @cached_property
    def web_sessions(self) -> WebSessionRepository:
        return WebSessionRepository(self)

    @cached_property
    def login_throttles(self) -> LoginThrottleRepository:
        return LoginThrottleRepository(self)

    @cached_property
    def idempotency(self) -> IdempotencyRepository:
        return IdempotencyRepository(self)
