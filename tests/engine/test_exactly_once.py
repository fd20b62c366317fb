"""Exactly-once deposits: every doubt is settled by asking Chorus Pro before anything is sent again.

Faults come from the simulator: a connection dropped after the deposit was processed, a 502 after
processing, an answer slower than the client's timeout, and "crashes" between journaling an attempt and
recording its answer (the process stops; its lease expires)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from conftest import TEST_SETTINGS
from engine_helpers import history, invoice_data, prepare, record

from chorus_connect.engine.connection import Connections
from chorus_connect.engine.deposits import Depositor
from chorus_connect.engine.service import Engine
from chorus_connect.store import DepositState, InvoiceRecord, InvoiceStatus


def _deposits(sim, supplier_siret: str) -> int:
    return sim.admin.stats()["deposits_by_supplier"].get(supplier_siret, 0)


def _attempts(store, invoice_id: int) -> list[DepositState]:
    with store.read() as tx:
        return [a.state for a in tx.deposits.attempts(invoice_id=invoice_id)]


def _settle(engine, sim, *, rounds: int = 6) -> None:
    """Let the platform integrate and the resolution conclude: advance the clock between rounds."""
    for _ in range(rounds):
        engine.deposit_now()
        sim.admin.advance_clock(seconds=15)


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(
            {"drop_after_processing_operations": ["deposerFluxFacture"], "drop_after_processing_count": 1},
            id="connection-dropped-after-processing",
        ),
        pytest.param(
            {"error_burst_status": 502, "error_burst_count": 1, "error_burst_after_processing": True},
            id="502-after-processing",
        ),
    ],
)
def test_a_deposit_whose_answer_is_lost_is_found_and_never_sent_again(
    engine, store, sim, structure_id, faults
):
    siret = sim.dataset.main_supplier().siret
    [invoice_id] = prepare(engine, structure_id, [invoice_data(sim, "EO-LOST")])
    engine.connections.get(
        structure_id
    ).client.ensure_token()  # the burst must hit the deposit, not the token
    sim.admin.set_faults(**faults)
    first = engine.deposit_now()
    assert first.deposits["unknown"] == 1
    assert record(store, invoice_id).status == InvoiceStatus.DEPOSITING
    assert _attempts(store, invoice_id) == [DepositState.UNKNOWN]
    assert _deposits(sim, siret) == 1  # it did happen

    # Not visible yet (the flux is being integrated): the engine waits rather than resending.
    waiting = engine.deposit_now()
    assert waiting.resolutions["waiting"] == 1 and _deposits(sim, siret) == 1

    sim.admin.advance_clock(seconds=10)
    found = engine.deposit_now()
    assert found.resolutions["confirmed"] == 1
    settled = record(store, invoice_id)
    assert settled.status == InvoiceStatus.INTEGRATED and settled.chorus_invoice_id
    assert _attempts(store, invoice_id) == [DepositState.CONFIRMED]
    _settle(engine, sim)
    assert _deposits(sim, siret) == 1
    assert sim.admin.stats()["invoice_numbers_by_supplier"][siret].count("EO-LOST") == 1


def test_a_timeout_after_processing_is_settled_without_a_second_deposit(store, sim, structure_id):
    siret = sim.dataset.main_supplier().siret
    settings = TEST_SETTINGS.with_changes(client_timeout=0.5)
    with Engine(store, settings=settings, actor="test") as engine:
        [invoice_id] = prepare(engine, structure_id, [invoice_data(sim, "EO-SLOW")])
        engine.connections.get(structure_id).client.ensure_token()
        sim.admin.set_faults(latency_ms=1500, latency_after_processing=True)
        assert engine.deposit_now().deposits["unknown"] == 1
        sim.admin.clear_faults()
        time.sleep(1.2)  # the slow answer ends on the server side
        sim.admin.advance_clock(seconds=10)
        engine.deposit_now()
        assert record(store, invoice_id).status == InvoiceStatus.INTEGRATED
        assert _deposits(sim, siret) == 1


def _begin_without_calling(store, settings, structure_id: int, invoice_id: int, *, call: bool) -> str | None:
    """What a worker killed after journaling the attempt leaves behind (after the call too, if ``call``)."""
    with Connections(store, settings) as connections:
        depositor = Depositor(store, connections, settings, "doomed-worker")
        claim = store.claim(
            InvoiceRecord,
            "doomed-worker",
            where=[InvoiceRecord.id == invoice_id],
            ttl=dt.timedelta(seconds=1),
        )[0]
        prepared = depositor._prepare_invoice(claim)
        assert prepared is not None
        depositor._begin_invoice(claim, prepared)
        if not call:
            return None
        from chorus_connect.api.models.factures import DepositFluxRequest

        request = DepositFluxRequest.from_bytes(
            prepared.content, file_name=prepared.file_name, syntax=prepared.syntax
        )
        return prepared.connection.client.factures.deposit_flux(request).flux_number


def test_a_worker_dead_after_the_call_leaves_a_deposit_that_is_found(engine, store, sim, structure_id):
    siret = sim.dataset.main_supplier().siret
    [invoice_id] = prepare(engine, structure_id, [invoice_data(sim, "EO-CRASH-AFTER")])
    flux = _begin_without_calling(store, TEST_SETTINGS, structure_id, invoice_id, call=True)
    assert _attempts(store, invoice_id) == [DepositState.PENDING]
    assert engine.deposit_now().resolutions == {}  # the dead worker's lease has not expired yet
    time.sleep(1.1)
    sim.admin.advance_clock(seconds=10)
    report = engine.deposit_now()
    assert report.resolutions["confirmed"] == 1
    settled = record(store, invoice_id)
    assert settled.flux_number == flux and settled.status == InvoiceStatus.INTEGRATED
    _settle(engine, sim)
    assert _deposits(sim, siret) == 1


def test_a_worker_dead_before_the_call_is_deposited_once_after_the_settle_delay(
    engine, store, sim, structure_id
):
    siret = sim.dataset.main_supplier().siret
    [invoice_id] = prepare(engine, structure_id, [invoice_data(sim, "EO-CRASH-BEFORE")])
    _begin_without_calling(store, TEST_SETTINGS, structure_id, invoice_id, call=False)
    time.sleep(1.1)  # the lease of the dead worker runs out

    assert engine.deposit_now().resolutions["waiting"] == 1
    sim.admin.advance_clock(seconds=20)  # integration would be over, but the settle delay (30 s) is not
    assert engine.deposit_now().resolutions["waiting"] == 1
    assert _deposits(sim, siret) == 0
    sim.admin.advance_clock(seconds=15)
    report = engine.deposit_now()
    assert report.resolutions["failed"] == 1 and report.deposits["deposited"] == 1
    assert _attempts(store, invoice_id) == [DepositState.FAILED, DepositState.CONFIRMED]
    comments = " ".join(e.comment or "" for e in history(store, invoice_id))
    assert "not found on Chorus Pro yet" in comments and "did not reach Chorus Pro" in comments
    _settle(engine, sim)
    engine.sync()
    assert _deposits(sim, siret) == 1
    assert record(store, invoice_id).status == InvoiceStatus.INTEGRATED


def test_the_database_refuses_a_second_open_attempt(engine, store, sim, structure_id):
    from chorus_connect.store import OpenDepositAttemptError

    [invoice_id] = prepare(engine, structure_id, [invoice_data(sim, "EO-TWICE")])
    _begin_without_calling(store, TEST_SETTINGS, structure_id, invoice_id, call=False)
    with pytest.raises(OpenDepositAttemptError), store.transaction() as tx:
        tx.deposits.begin(invoice_id=invoice_id, file_name="again.xml")


def test_a_refusal_before_processing_is_not_a_doubt(engine, store, sim, structure_id):
    """A 429 refused by the gateway: definitely not deposited, queued again after a back-off."""
    [invoice_id] = prepare(engine, structure_id, [invoice_data(sim, "EO-429")])
    client = engine.connections.get(structure_id).client
    client.ensure_token()
    sim.admin.set_faults(rate_limit_per_second=1, retry_after_seconds=1000)
    client.transverses.health_check()  # uses this second's quota: the deposit right after gets a 429
    report = engine.deposit_now()
    sim.admin.clear_faults()
    assert report.deposits["retry"] == 1
    assert _attempts(store, invoice_id) == [DepositState.FAILED]
    assert record(store, invoice_id).status == InvoiceStatus.QUEUED
    assert engine.deposit_now().deposits["deposited"] == 1


def test_a_batch_whose_answer_is_lost_is_found_by_a_date_window_search(engine, store, sim, structure_id):
    siret = sim.dataset.main_supplier().siret
    ids = prepare(engine, structure_id, [invoice_data(sim, f"EO-B{i}") for i in range(5)], batch_size=5)
    engine.connections.get(structure_id).client.ensure_token()
    sim.admin.set_faults(
        drop_after_processing_operations=["deposerFluxFacture"], drop_after_processing_count=1
    )
    assert engine.deposit_now().deposits["unknown"] == 1
    assert engine.deposit_now().resolutions["waiting"] == 1  # the zip is being integrated: not visible
    sim.admin.advance_clock(seconds=10)
    assert engine.deposit_now().resolutions["confirmed"] == 1
    with store.read() as tx:
        batch = tx.batches.get(tx.invoices.get(ids[0]).batch_id)
        assert batch.status.value == "deposited" and batch.flux_number
        assert [a.state for a in tx.deposits.attempts(batch_id=batch.id)] == [DepositState.CONFIRMED]
    assert {record(store, i).status for i in ids} == {InvoiceStatus.INTEGRATED}
    _settle(engine, sim)
    assert _deposits(sim, siret) == 1


def test_a_batch_never_sent_is_deposited_once_after_the_settle_delay(engine, store, sim, structure_id):
    from chorus_connect.store import Batch

    siret = sim.dataset.main_supplier().siret
    ids = prepare(engine, structure_id, [invoice_data(sim, f"EO-N{i}") for i in range(3)], batch_size=3)
    with store.read() as tx:
        batch_id = tx.invoices.get(ids[0]).batch_id
    with Connections(store, TEST_SETTINGS) as connections:
        depositor = Depositor(store, connections, TEST_SETTINGS, "doomed-worker")
        [claim] = store.claim(
            Batch, "doomed-worker", where=[Batch.id == batch_id], ttl=dt.timedelta(seconds=1)
        )
        depositor._begin_batch(claim, depositor._prepare_batch(claim))  # ... and the worker dies
    time.sleep(1.1)
    assert engine.deposit_now().resolutions["waiting"] == 1
    sim.admin.advance_clock(seconds=35)
    report = engine.deposit_now()
    assert report.resolutions["failed"] == 1 and report.deposits["deposited"] == 1
    sim.admin.advance_clock(seconds=10)
    engine.sync()
    assert {record(store, i).status for i in ids} == {InvoiceStatus.INTEGRATED}
    assert _deposits(sim, siret) == 1
