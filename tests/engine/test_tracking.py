"""Tracking with few API calls: one paged status search per sync, a deposit report per pending flux only.

Every count is checked twice: the engine's SyncReport and the simulator's own per-operation counters."""

from __future__ import annotations

from conftest import TEST_SETTINGS
from engine_helpers import add_structure, history, invoice_data, prepare, record

from chorus_connect.engine.service import Engine
from chorus_connect.store import InvoiceStatus

SEARCH = "rechercherFactureParFournisseur"
REPORT = "consulterCRDetaille"
HISTORY = "consulterHistoriqueFacture"


def _calls(sim) -> dict[str, int]:
    return dict(sim.admin.stats()["requests_by_operation"])


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}


def test_one_search_call_tracks_fifty_invoices(engine, store, sim, structure_id):
    documents = [invoice_data(sim, f"TR-{i:03d}", scenario="PAYE") for i in range(50)]
    prepare(engine, structure_id, documents)
    engine.deposit_now()
    sim.admin.advance_clock(seconds=10)
    engine.sync()  # first sync: integrates the 50 (and resolves the structure's Chorus id once)

    sim.admin.advance_clock(days=2)
    before = _calls(sim)
    [report] = engine.sync()
    assert _delta(before, _calls(sim)) == {SEARCH: 1}
    assert report.api_calls == 1 and report.tracked == 50
    assert report.calls_per_tracked_invoice == 1 / 50
    assert report.changed == 50  # SERVICE_FAIT after 1-2 days, for every one

    # Nothing changed since: still one call, nothing recorded twice.
    before = _calls(sim)
    [quiet] = engine.sync()
    assert _delta(before, _calls(sim)) == {SEARCH: 1} and quiet.changed == 0


def test_pages_are_the_only_cost_and_finished_invoices_cost_nothing(store, sim, structure_id):
    settings = TEST_SETTINGS.with_changes(search_page_size=20)
    with Engine(store, settings=settings, actor="test") as engine:
        prepare(engine, structure_id, [invoice_data(sim, f"PG-{i:03d}", scenario="PAYE") for i in range(45)])
        engine.deposit_now()
        sim.admin.advance_clock(seconds=10)
        before = _calls(sim)
        [report] = engine.sync()
        assert report.calls_by_operation[SEARCH] == 3 == _delta(before, _calls(sim))[SEARCH]  # 45 / 20
        assert report.integrated == 45
        for _ in range(10):
            sim.admin.advance_clock(days=1)
            engine.sync()
        before = _calls(sim)
        [done] = engine.sync()
        assert done.tracked == 0 and done.api_calls == 0 and _delta(before, _calls(sim)) == {}
        with store.read() as tx:
            counts = {c.chorus_status: c.count for c in tx.invoices.status_counts()}
        assert counts == {"MISE_EN_PAIEMENT": 45}


def test_a_pending_batch_costs_one_report_call_and_none_once_integrated(engine, store, sim, structure_id):
    ids = prepare(engine, structure_id, [invoice_data(sim, f"BA-{i:02d}") for i in range(10)], batch_size=10)
    engine.deposit_now()
    assert sim.admin.stats()["deposits_by_supplier"][sim.dataset.main_supplier().siret] == 1
    assert len({record(store, i).flux_number for i in ids}) == 1

    before = _calls(sim)
    [pending] = engine.sync()  # not integrated yet (the simulated clock has not moved)
    # (the first sync also looks up the structure's Chorus id, once: counted too)
    assert _delta(before, _calls(sim)) == dict(pending.calls_by_operation)
    assert pending.calls_by_operation[SEARCH] == 1 and pending.calls_by_operation[REPORT] == 1
    assert pending.pending_fluxes == 1 and pending.integrated == 0

    sim.admin.advance_clock(seconds=10)
    before = _calls(sim)
    [integrated] = engine.sync()
    assert _delta(before, _calls(sim)) == {SEARCH: 1}
    assert integrated.integrated == 10
    assert all(record(store, i).status == InvoiceStatus.INTEGRATED for i in ids)


def test_a_partly_refused_batch_is_settled_from_its_deposit_report(engine, store, sim, structure_id):
    # PR-02 is deposited first by another structure of the same company, after both were checked.
    other = add_structure(store, sim, name="same-company")
    prepare(engine, other, [invoice_data(sim, "PR-02")])
    ids = prepare(engine, structure_id, [invoice_data(sim, f"PR-{i:02d}") for i in range(4)], batch_size=4)
    engine.deposit_now(structure=other)
    sim.admin.advance_clock(seconds=10)
    engine.deposit_now(structure=structure_id)
    sim.admin.advance_clock(seconds=10)
    before = _calls(sim)
    [report] = engine.sync(structure_id)
    assert _delta(before, _calls(sim)) == dict(report.calls_by_operation)
    assert report.calls_by_operation[SEARCH] == 1 and report.calls_by_operation[REPORT] == 1
    assert report.integrated == 3 and report.refused == 1
    statuses = {record(store, i).number: record(store, i).status for i in ids}
    assert statuses["PR-02"] == InvoiceStatus.REFUSED_AT_INTEGRATION
    assert all(status == InvoiceStatus.INTEGRATED for n, status in statuses.items() if n != "PR-02")
    refused_id = next(i for i in ids if record(store, i).number == "PR-02")
    assert "existe deja" in history(store, refused_id)[-1].comment


def test_motifs_come_from_the_search_without_history_calls(engine, store, sim, structure_id):
    prepare(
        engine,
        structure_id,
        [invoice_data(sim, "MO-S", scenario="SUSPENDUE"), invoice_data(sim, "MO-R", scenario="REJETEE")],
    )
    engine.deposit_now()
    sim.admin.advance_clock(seconds=10)
    engine.sync()
    before = _calls(sim)
    sim.admin.advance_clock(days=3)
    [report] = engine.sync()
    assert HISTORY not in _delta(before, _calls(sim))
    assert report.changed == 2


def test_a_flux_deposited_moments_ago_costs_no_report_call(store, sim, structure_id):
    import datetime as dt

    settings = TEST_SETTINGS.with_changes(flux_report_delay_local=dt.timedelta(hours=1))
    with Engine(store, settings=settings, actor="test") as engine:
        prepare(engine, structure_id, [invoice_data(sim, f"YG-{i}") for i in range(3)])
        engine.deposit_now()
        before = _calls(sim)
        [report] = engine.sync()  # not integrated yet, but too young to ask for its report
        assert REPORT not in _delta(before, _calls(sim)) and report.pending_fluxes == 3
        sim.admin.advance_clock(seconds=10)
        [report] = engine.sync()
        assert report.integrated == 3 and report.calls_by_operation == {SEARCH: 1}


def test_a_change_on_an_already_read_page_is_not_skipped(store, sim, structure_id):
    """Statuses change while the pages of one search are read: an invoice of page 1 paid after page 1 was
    read, at a time older than a payment shown on page 2, must still be seen by the next sync."""
    settings = TEST_SETTINGS.with_changes(search_page_size=3)
    with Engine(store, settings=settings, actor="test") as engine:
        ids = prepare(
            engine, structure_id, [invoice_data(sim, f"RC-{i:02d}", scenario="PAYE") for i in range(9)]
        )
        engine.deposit_now()
        sim.admin.advance_clock(seconds=10)
        engine.sync()  # integrates the nine

        client = engine.connections.get(structure_id).client
        search = client.factures.search_supplier_invoices
        pages_read = 0

        def search_while_the_platform_moves(request):  # real calls; the platform's day passes between pages
            nonlocal pages_read
            answer = search(request)
            pages_read += 1
            if pages_read == 1:
                sim.admin.advance_clock(days=30)  # every invoice reaches MISE_EN_PAIEMENT, page 1's too
            return answer

        client.factures.search_supplier_invoices = search_while_the_platform_moves
        engine.sync()
        engine.sync()
        engine.sync()
        assert pages_read > 3  # the first sync did read several pages
        with store.read() as tx:
            statuses = {tx.invoices.get(i).number: tx.invoices.get(i).chorus_status for i in ids}
        assert statuses == {f"RC-{i:02d}": "MISE_EN_PAIEMENT" for i in range(9)}
