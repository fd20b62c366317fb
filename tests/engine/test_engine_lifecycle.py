"""The invoice life cycle end to end, on SQLite and PostgreSQL, against the simulator."""

from __future__ import annotations

import pytest
from engine_helpers import add_structure, follow, history, invoice_data, prepare, record

from chorus_connect.engine.errors import ForbiddenActionError
from chorus_connect.invoice import OutputFormat
from chorus_connect.store import EventSource, InvoiceStatus


def test_an_invoice_goes_from_import_to_payment_with_its_full_history(engine, store, sim, structure_id):
    [invoice_id] = prepare(engine, structure_id, [invoice_data(sim, "LC-PAID", scenario="PAYE")])
    assert record(store, invoice_id).status == InvoiceStatus.QUEUED

    report = engine.deposit_now()
    assert report.deposits["deposited"] == 1
    deposited = record(store, invoice_id)
    assert deposited.status == InvoiceStatus.DEPOSITED and deposited.flux_number.startswith("CPP")

    sim.admin.advance_clock(seconds=10)
    [first] = engine.sync()
    integrated = record(store, invoice_id)
    assert integrated.status == InvoiceStatus.INTEGRATED
    assert integrated.chorus_invoice_id and integrated.chorus_status
    assert first.integrated == 1

    follow(engine, sim, days=10)
    paid = record(store, invoice_id)
    assert paid.chorus_status == "MISE_EN_PAIEMENT" and paid.is_terminal

    events = history(store, invoice_id)
    statuses = [e.status for e in events]
    for expected in ("imported", "checked", "queued", "depositing", "deposited", "integrated"):
        assert InvoiceStatus(expected) in statuses, expected
    chorus = [e.chorus_status for e in events if e.chorus_status]
    assert chorus[-1] == "MISE_EN_PAIEMENT"
    assert {EventSource.USER, EventSource.ENGINE, EventSource.CHORUS} <= {e.source for e in events}
    assert all(e.at is not None for e in events)

    # A finished invoice is no longer followed: a sync costs nothing.
    [idle] = engine.sync()
    assert idle.tracked == 0 and idle.api_calls == 0


def test_a_rejection_keeps_the_recipients_motif_and_ends_tracking(engine, store, sim, structure_id):
    [invoice_id] = prepare(engine, structure_id, [invoice_data(sim, "LC-REJ", scenario="REJETEE")])
    engine.deposit_now()
    follow(engine, sim, days=4)
    rejected = record(store, invoice_id)
    assert rejected.chorus_status == "REJETEE" and rejected.is_terminal
    last = [e for e in history(store, invoice_id) if e.chorus_status == "REJETEE"][-1]
    assert last.comment and "REJETEE" in last.comment and len(last.comment) > len("Chorus status REJETEE.")


def test_a_failed_check_keeps_its_findings_and_forbids_the_deposit(engine, store, sim, structure_id):
    buyer = sim.dataset.recipient_with(engagement_required=True)
    [outcome] = engine.check(
        engine.import_documents(structure_id, [invoice_data(sim, "LC-NOEJ", recipient=buyer)]).invoice_ids,
        target=OutputFormat.CII,
    )
    assert outcome.status == InvoiceStatus.CHECK_FAILED
    assert "CPRO-DEST-06" in {f["rule_id"] for f in outcome.findings}
    stored = record(store, outcome.invoice_id)
    assert stored.findings and stored.syntax == "IN_DP_E1_CII_16B"

    with pytest.raises(ForbiddenActionError) as refused:
        engine.queue([outcome.invoice_id])
    message = str(refused.value)
    assert (
        "check_failed" in message and "queue" in message and "Allowed now: edit, check, withdraw" in message
    )
    assert record(store, outcome.invoice_id).status == InvoiceStatus.CHECK_FAILED


def test_a_character_the_page_cannot_draw_holds_the_invoice_back_at_check(engine, store, sim, structure_id):
    data = invoice_data(sim, "LC-GLYPH")
    data["lines"][0]["name"] = "Papier 紙"
    [outcome] = engine.check(engine.import_documents(structure_id, [data]).invoice_ids)
    assert outcome.status == InvoiceStatus.CHECK_FAILED
    [finding] = [f for f in outcome.findings if f["rule_id"] == "CPRO-FX-04"]
    assert finding["path"] == "lines[0].name" and "U+7D19" in finding["message"]
    with pytest.raises(ForbiddenActionError):
        engine.queue([outcome.invoice_id])
    # As CII, there is no page to draw: the same invoice passes.
    [as_cii] = engine.check([outcome.invoice_id], target=OutputFormat.CII)
    assert as_cii.status == InvoiceStatus.CHECKED and "CPRO-FX-04" not in {
        f["rule_id"] for f in as_cii.findings
    }


def test_the_recipients_requirements_are_read_through_the_api(engine, sim, structure_id):
    dataset = sim.dataset
    supplier = dataset.main_supplier()
    buyer = dataset.recipient_with(engagement_required=True)
    ej = dataset.commitments_between(supplier.structure_id, buyer.structure_id)[0].number
    documents = [
        invoice_data(sim, "DIR-OK", recipient=buyer, engagement_number=ej),
        invoice_data(sim, "DIR-BADEJ", recipient=buyer, engagement_number="EJ-UNKNOWN-1"),
        invoice_data(
            sim, "DIR-BADSRV", recipient=buyer, engagement_number=ej, service_code="NO_SUCH_SERVICE"
        ),
        invoice_data(sim, "DIR-INACTIVE", recipient=dataset.inactive_recipient()),
    ]
    outcomes = {
        o.number: o for o in engine.check(engine.import_documents(structure_id, documents).invoice_ids)
    }
    rules = {number: {f["rule_id"] for f in o.findings} for number, o in outcomes.items()}
    assert outcomes["DIR-OK"].ok, outcomes["DIR-OK"].findings
    assert "CPRO-DEST-08" in rules["DIR-BADEJ"]
    assert "CPRO-DEST-04" in rules["DIR-BADSRV"]
    assert "CPRO-DEST-02" in rules["DIR-INACTIVE"]


def test_an_invoice_refused_at_integration_keeps_chorus_pros_text(engine, store, sim, structure_id):
    # The same supplier number deposited first through another structure of the same company: Chorus Pro
    # refuses the second one at integration ("existe deja"), which no pre-flight check can know.
    other = add_structure(store, sim, name="acme-bis")
    prepare(engine, other, [invoice_data(sim, "LC-DUP")])
    [invoice_id] = prepare(engine, structure_id, [invoice_data(sim, "LC-DUP")])
    engine.deposit_now(structure=other)
    sim.admin.advance_clock(seconds=10)
    engine.deposit_now(structure=structure_id)
    sim.admin.advance_clock(seconds=10)
    engine.sync()
    refused = record(store, invoice_id)
    assert refused.status == InvoiceStatus.REFUSED_AT_INTEGRATION and refused.is_terminal
    comment = history(store, invoice_id)[-1].comment
    assert "existe deja" in comment and refused.flux_number in comment


def test_tracking_stops_at_mandatee_for_recipients_that_never_report_payment(
    engine, store, sim, structure_id
):
    buyer = sim.dataset.recipient_with(payment_status_not_reported=True)
    supplier = sim.dataset.main_supplier()
    commitments = sim.dataset.commitments_between(supplier.structure_id, buyer.structure_id)
    extra = {"engagement_number": commitments[0].number} if buyer.engagement_required and commitments else {}
    [invoice_id] = prepare(
        engine, structure_id, [invoice_data(sim, "LC-MAND", recipient=buyer, scenario="PAYE", **extra)]
    )
    engine.deposit_now()
    follow(engine, sim, days=10)
    mandated = record(store, invoice_id)
    assert mandated.chorus_status == "MANDATEE" and mandated.is_terminal
