from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from store_helpers import add_structure, invoice_data

from chorus_connect.store import (
    ConflictError,
    DepositState,
    EventSource,
    InvalidInputError,
    InvoiceStatus,
    LeaseLostError,
    OpenDepositAttemptError,
    Store,
)


@pytest.fixture
def queued(store) -> tuple[int, list[int]]:
    with store.transaction() as tx:
        structure_id = add_structure(tx).id
        ids = []
        for n in range(3):
            record = tx.invoices.add(structure_id, invoice_data(f"D-{n}"))
            tx.invoices.transition(record.id, source=EventSource.ENGINE, status=InvoiceStatus.QUEUED)
            ids.append(record.id)
    return structure_id, ids


def test_journal_before_the_call_and_no_blind_retry(store, queued, database_url, secret_key):
    _, (invoice_id, *_) = queued
    with store.transaction(actor="worker-1") as tx:
        attempt = tx.deposits.begin(
            invoice_id=invoice_id, file_name="D-0.xml", file_sha256="ab" * 32, syntax="IN_DP_E1_UBL_INVOICE"
        )
        assert (attempt.state, attempt.attempt_number, attempt.worker) == (
            DepositState.PENDING,
            1,
            "worker-1",
        )
        attempt_id = attempt.id
    # "Crash" here: a new process opening the store sees the pending attempt to settle.
    restarted = Store.open(database_url, secret_key=secret_key, environ={})
    try:
        with restarted.read() as tx:
            assert [a.id for a in tx.deposits.unresolved()] == [attempt_id]
        with (
            pytest.raises(OpenDepositAttemptError, match="still pending") as caught,
            restarted.transaction() as tx,
        ):
            tx.deposits.begin(invoice_id=invoice_id, file_name="D-0.xml")
        assert "find out from Chorus Pro" in str(caught.value)
        with restarted.transaction() as tx:
            tx.deposits.mark_unknown(attempt_id, error="connection dropped after sending")
        with pytest.raises(OpenDepositAttemptError), restarted.transaction() as tx:
            tx.deposits.begin(invoice_id=invoice_id, file_name="D-0.xml")
        with restarted.transaction() as tx:  # Chorus Pro searched: not there, a new attempt is safe
            tx.deposits.mark_failed(attempt_id, error="not found on Chorus Pro by number and date")
            second = tx.deposits.begin(invoice_id=invoice_id, file_name="D-0.xml")
            assert second.attempt_number == 2
        with restarted.transaction() as tx:
            tx.deposits.mark_sent(
                second.id,
                flux_number="CPP0011117000000000000001",
                deposited_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
            )
            tx.deposits.mark_confirmed(second.id)
        with restarted.read() as tx:
            attempts = tx.deposits.attempts(invoice_id=invoice_id)
            assert [(a.attempt_number, a.state) for a in attempts] == [
                (1, DepositState.FAILED),
                (2, DepositState.CONFIRMED),
            ]
            assert attempts[1].flux_number == "CPP0011117000000000000001"
            assert attempts[1].resolved_at is not None and attempts[0].error.startswith("not found")
            assert tx.deposits.unresolved() == []
        with pytest.raises(ConflictError, match="cannot become failed"), restarted.transaction() as tx:
            tx.deposits.mark_failed(second.id, error="late")
    finally:
        restarted.close()


def test_database_refuses_two_open_attempts(store, queued):
    structure_id, (invoice_id, *_) = queued
    with store.transaction() as tx:
        tx.deposits.begin(invoice_id=invoice_id, file_name="a.xml")
    insert = text(
        "insert into deposit_attempts (structure_id, invoice_id, attempt_number, state, file_name, "
        "created_at, updated_at) values (:s, :i, 2, :state, 'b.xml', '2026-01-01', '2026-01-01')"
    )
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(insert, {"s": structure_id, "i": invoice_id, "state": "unknown"})
    with store.engine.begin() as connection:  # a settled attempt may sit next to the open one
        connection.execute(insert, {"s": structure_id, "i": invoice_id, "state": "failed"})


def test_batch_attempt_covers_the_batch_invoices(store, queued):
    structure_id, ids = queued
    with store.transaction() as tx:
        batch = tx.batches.create(structure_id, ids, syntax="IN_DP_E1_UBL_INVOICE")
        attempt = tx.deposits.begin(batch_id=batch.id, file_name="batch-1.zip")
        assert tx.deposits.invoice_ids(attempt) == ids
        assert batch.invoice_count == 3
    with pytest.raises(InvalidInputError, match="already in batch"), store.transaction() as tx:
        tx.batches.create(structure_id, ids[:1])
    with pytest.raises(InvalidInputError, match="exactly one"), store.transaction() as tx:
        tx.deposits.begin(invoice_id=ids[0], batch_id=batch.id, file_name="x")


def test_a_worker_that_lost_its_claim_cannot_journal(store, queued, clock):
    with store.transaction() as tx:
        [claim] = tx.invoices.claim(
            "worker-1", statuses=[InvoiceStatus.QUEUED], limit=1, now=clock.now, ttl=dt.timedelta(minutes=1)
        )
    later = clock.now + dt.timedelta(minutes=2)
    with store.transaction() as tx:
        [taken] = tx.invoices.claim("worker-2", statuses=[InvoiceStatus.QUEUED], limit=1, now=later)
        assert taken.row_id == claim.row_id and taken.token == claim.token + 1
    with pytest.raises(LeaseLostError, match="worker-1 no longer holds"), store.transaction() as tx:
        tx.deposits.begin(invoice_id=claim.row_id, file_name="x.xml", claim=claim)
    with store.transaction() as tx:
        attempt = tx.deposits.begin(invoice_id=taken.row_id, file_name="x.xml", claim=taken)
        assert attempt.worker == "worker-2"
