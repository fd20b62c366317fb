"""Work claims with leases, for any table with the ``Leased`` columns (invoices, batches, sync cursors,
notifications).

A claim sets ``claimed_by``, ``lease_until`` and bumps ``lease_token`` in one statement:

- PostgreSQL: ``WITH picked AS (SELECT id … FOR UPDATE SKIP LOCKED LIMIT n) UPDATE … RETURNING`` — any
  number of workers on any number of machines claim concurrently and never get the same row;
- SQLite: ``UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`` inside the store's ``BEGIN IMMEDIATE``
  transaction, which holds the single write lock: claims are serialised, hence never overlap.

A row whose lease has expired (its worker died) is claimable again. Every later write by the worker names
its :class:`Claim`; :func:`check_held` refuses it (``LeaseLostError``) once another worker has re-claimed the
row, because the token changed (a fencing token).

Lease times come from PostgreSQL's clock (``clock_timestamp()``), so workers on machines whose clocks
disagree still agree on expiry; on SQLite (one machine) from Python's clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import Session

from chorus_connect.store.errors import InvalidInputError, LeaseLostError
from chorus_connect.store.models.base import Base, utcnow

DEFAULT_LEASE = dt.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Claim:
    """A worker's hold on one row until ``lease_until``; ``token`` fences out stale holders."""

    table: str
    row_id: int
    worker: str
    token: int
    lease_until: dt.datetime


def database_now(session: Session) -> dt.datetime:
    """The reference time for leases: the database server's clock on PostgreSQL, else Python's (UTC)."""
    if session.get_bind().dialect.name == "postgresql":
        value: dt.datetime = session.execute(select(func.clock_timestamp())).scalar_one()
        return value.astimezone(dt.UTC)
    return utcnow()


def is_available(model: type[Any], now: dt.datetime) -> ColumnElement[bool]:
    """Rows nobody holds, or whose lease has run out."""
    return or_(model.lease_until.is_(None), model.lease_until < now)


def claim(
    session: Session,
    model: type[Base],
    worker: str,
    *,
    where: Sequence[ColumnElement[bool]] = (),
    order_by: Sequence[Any] = (),
    limit: int = 1,
    ttl: dt.timedelta = DEFAULT_LEASE,
    now: dt.datetime | None = None,
) -> list[Claim]:
    """Claim up to ``limit`` available rows of ``model`` matching ``where`` for ``worker``.

    Commit soon after (the claim is what other workers see); on PostgreSQL the chosen rows stay locked
    until then.
    """
    _check_claim_arguments(worker, limit, ttl)
    current = now or database_now(session)
    until = current + ttl
    table: Any = model
    picked: Select[Any] = (
        select(table.id)
        .where(is_available(table, current), *where)
        .order_by(*(order_by or (table.id,)))
        .limit(limit)
    )
    values = {"claimed_by": worker, "lease_until": until, "lease_token": table.lease_token + 1}
    if session.get_bind().dialect.name == "postgresql":
        chosen = picked.with_for_update(skip_locked=True).cte("picked")
        statement = update(table).where(table.id == chosen.c.id)
    else:
        statement = update(table).where(table.id.in_(picked.scalar_subquery()))
    rows = session.execute(
        statement.values(**values).returning(table.id, table.lease_token),
        execution_options={"synchronize_session": False},
    ).all()
    _expire_cached(session, model, [row[0] for row in rows])
    name = model.__tablename__
    return sorted(
        (Claim(name, row_id, worker, token, until) for row_id, token in rows), key=lambda c: c.row_id
    )


def check_held(session: Session, model: type[Base], held: Claim) -> None:
    """Raise :class:`LeaseLostError` unless ``held`` is still the row's current claim.

    On PostgreSQL this also locks the row until the end of the transaction, so no other worker can claim it
    between this check and the commit of the writes that follow.
    """
    table: Any = model
    result: Any = session.execute(
        update(table)
        .where(table.id == held.row_id, table.lease_token == held.token, table.claimed_by == held.worker)
        .values(lease_token=table.lease_token),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise LeaseLostError(
            f"{held.worker} no longer holds {held.table} #{held.row_id} (token {held.token})."
        )


def renew(
    session: Session,
    model: type[Base],
    held: Claim,
    *,
    ttl: dt.timedelta = DEFAULT_LEASE,
    now: dt.datetime | None = None,
) -> Claim:
    """Extend a lease still held; :class:`LeaseLostError` if another worker took the row over."""
    until = (now or database_now(session)) + ttl
    table: Any = model
    result: Any = session.execute(
        update(table)
        .where(table.id == held.row_id, table.lease_token == held.token, table.claimed_by == held.worker)
        .values(lease_until=until),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise LeaseLostError(
            f"{held.worker} no longer holds {held.table} #{held.row_id} (token {held.token})."
        )
    _expire_cached(session, model, [held.row_id])
    return Claim(held.table, held.row_id, held.worker, held.token, until)


def release(session: Session, model: type[Base], held: Claim) -> bool:
    """Give the row back (False if it had already been taken over). The token is kept: it only grows."""
    table: Any = model
    result: Any = session.execute(
        update(table)
        .where(table.id == held.row_id, table.lease_token == held.token, table.claimed_by == held.worker)
        .values(claimed_by=None, lease_until=None),
        execution_options={"synchronize_session": False},
    )
    _expire_cached(session, model, [held.row_id])
    return bool(result.rowcount == 1)


def _check_claim_arguments(worker: str, limit: int, ttl: dt.timedelta) -> None:
    if not worker.strip():
        raise InvalidInputError.single(
            "claim.worker", "is empty", "name the worker (host:pid is a good name)"
        )
    if limit < 1:
        raise InvalidInputError.single("claim.limit", f"{limit} is not positive", "claim at least one row")
    if ttl <= dt.timedelta(0):
        raise InvalidInputError.single("claim.ttl", f"{ttl} is not positive", "give a lease of a few minutes")


def _expire_cached(session: Session, model: type[Base], ids: Sequence[int]) -> None:
    # The statements above bypass the ORM: drop stale copies of those rows from the session.
    for row_id in ids:
        cached = session.identity_map.get(session.identity_key(model, row_id)) if ids else None
        if cached is not None:
            session.expire(cached)
