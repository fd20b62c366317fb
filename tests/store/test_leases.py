from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from store_helpers import add_structure, invoice_data

from chorus_connect.store import EventSource, InvoiceRecord, InvoiceStatus, LeaseLostError

QUEUED = [InvoiceStatus.QUEUED]


def make_queued(store, count: int) -> list[int]:
    with store.transaction() as tx:
        structure_id = add_structure(tx).id
        ids = []
        for n in range(count):
            record = tx.invoices.add(structure_id, invoice_data(f"L-{n:04d}"))
            tx.invoices.transition(record.id, source=EventSource.ENGINE, status=InvoiceStatus.QUEUED)
            ids.append(record.id)
    return ids


def test_claim_marks_rows_and_skips_held_ones(store, clock):
    ids = make_queued(store, 5)
    with store.transaction() as tx:
        first = tx.invoices.claim("w1", statuses=QUEUED, limit=3, now=clock.now)
    with store.transaction() as tx:
        second = tx.invoices.claim("w2", statuses=QUEUED, limit=3, now=clock.now)
    assert [c.row_id for c in first] == ids[:3]
    assert [c.row_id for c in second] == ids[3:]
    with store.read() as tx:
        held = tx.session.get(InvoiceRecord, ids[0])
        assert held.claimed_by == "w1" and held.lease_until == clock.now + dt.timedelta(minutes=5)
    with store.transaction() as tx:
        assert tx.invoices.claim("w3", statuses=QUEUED, now=clock.now) == []
        assert tx.invoices.claim("w3", statuses=[InvoiceStatus.CHECKED], now=clock.now) == []


def test_expired_lease_is_reclaimed_and_fences_the_old_worker(store, clock):
    [invoice_id] = make_queued(store, 1)
    ttl = dt.timedelta(seconds=30)
    with store.transaction() as tx:
        [old] = tx.invoices.claim("w1", statuses=QUEUED, ttl=ttl, now=clock.now)
    with store.transaction() as tx:  # still leased
        assert tx.invoices.claim("w2", statuses=QUEUED, now=clock.now + dt.timedelta(seconds=29)) == []
    with store.transaction() as tx:  # w1 died: its lease ran out
        [new] = tx.invoices.claim("w2", statuses=QUEUED, now=clock.now + dt.timedelta(seconds=31))
    assert new.row_id == invoice_id and new.token == old.token + 1
    with pytest.raises(LeaseLostError), store.transaction() as tx:
        tx.invoices.transition(
            invoice_id, source=EventSource.ENGINE, status=InvoiceStatus.DEPOSITING, claim=old
        )
    with pytest.raises(LeaseLostError), store.transaction() as tx:
        tx.invoices.renew(old)
    with store.transaction() as tx:
        assert tx.invoices.release(old) is False
        tx.invoices.transition(
            invoice_id, source=EventSource.ENGINE, status=InvoiceStatus.DEPOSITING, claim=new
        )
        renewed = tx.invoices.renew(new, ttl=dt.timedelta(minutes=10))
        assert renewed.lease_until > new.lease_until
        assert tx.invoices.release(renewed) is True
    with store.read() as tx:
        record = tx.invoices.get(invoice_id)
        assert (record.status, record.claimed_by, record.lease_until) == (
            InvoiceStatus.DEPOSITING,
            None,
            None,
        )


def test_next_attempt_at_delays_a_claim(store, clock):
    [invoice_id] = make_queued(store, 1)
    with store.transaction() as tx:
        tx.invoices.transition(
            invoice_id, source=EventSource.ENGINE, next_attempt_at=clock.now + dt.timedelta(hours=1)
        )
    with store.transaction() as tx:
        assert tx.invoices.claim("w", statuses=QUEUED, now=clock.now) == []
        assert len(tx.invoices.claim("w", statuses=QUEUED, now=clock.now + dt.timedelta(hours=2))) == 1


def test_concurrent_workers_never_claim_the_same_row(store):
    """Several threads, each with its own connection, claim until nothing is left (both databases)."""
    ids = make_queued(store, 120)
    start = threading.Barrier(4)

    def work(name: str) -> list[int]:
        start.wait()
        taken: list[int] = []
        while True:
            claims = store.claim(
                InvoiceRecord,
                name,
                where=[InvoiceRecord.status.in_(QUEUED)],
                limit=7,
                ttl=dt.timedelta(hours=1),
            )
            if not claims:
                return taken
            taken.extend(c.row_id for c in claims)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, ["w1", "w2", "w3", "w4"]))
    claimed = [row for result in results for row in result]
    assert len(claimed) == len(set(claimed)) == len(ids)
    assert set(claimed) == set(ids)
    if store.dialect == "postgresql":
        assert sum(1 for result in results if result) >= 2  # the work was really shared


def test_skip_locked_does_not_wait_for_an_open_claim(store):
    """PostgreSQL: while one transaction holds its claimed rows (not committed), another claims other
    rows at once instead of waiting or taking the same ones."""
    if store.dialect != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises claims with BEGIN IMMEDIATE")
    ids = make_queued(store, 6)
    with store.transaction() as holder:
        first = holder.invoices.claim("w1", statuses=QUEUED, limit=3)
        outcome: dict[str, list[int]] = {}

        def other() -> None:
            claims = store.claim(InvoiceRecord, "w2", where=[InvoiceRecord.status.in_(QUEUED)], limit=6)
            outcome["w2"] = [c.row_id for c in claims]

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the second claim waited for the first transaction"
    assert [c.row_id for c in first] == ids[:3]
    assert outcome["w2"] == ids[3:]


def test_claim_arguments_are_checked(store):
    from chorus_connect.store import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"claim\.limit"), store.transaction() as tx:
        tx.invoices.claim("w", statuses=QUEUED, limit=0)
    with pytest.raises(InvalidInputError, match=r"claim\.worker"), store.transaction() as tx:
        tx.invoices.claim(" ", statuses=QUEUED)
