"""What the user does after Chorus Pro answered, each only from the statuses that allow it."""

from __future__ import annotations

import pytest
from engine_helpers import deposited, follow, follow_until, history, invoice_data, prepare, record

from chorus_connect.engine.actions import Attachment
from chorus_connect.engine.errors import ForbiddenActionError
from chorus_connect.store import InvalidInputError, InvoiceStatus

PDF = b"%PDF-1.4\n% a delivery note\n"


def test_complete_a_suspended_invoice_with_an_attachment(engine, store, sim, structure_id):
    [invoice_id] = deposited(engine, sim, structure_id, [invoice_data(sim, "AC-SUSP", scenario="SUSPENDUE")])
    suspended = follow_until(engine, sim, store, invoice_id, "SUSPENDUE")
    assert engine.show(invoice_id).allowed_actions == ["complete"]
    motif = history(store, invoice_id)[-1].comment
    assert "SUSPENDUE" in motif and ":" in motif  # the recipient's motif, from the search line

    result = engine.complete(
        invoice_id,
        comment="Bon de livraison joint",
        attachments=[Attachment("bon-livraison.pdf", PDF)],
    )
    assert result.chorus_status == "COMPLETEE"
    completed = record(store, invoice_id)
    assert completed.chorus_status == "COMPLETEE" and not completed.is_terminal
    assert sim.admin.stats()["attachments"] == 1
    events = history(store, invoice_id)
    action = next(e for e in events if e.details and e.details.get("action") == "complete")
    assert action.details["attachments"][0]["file_name"] == "bon-livraison.pdf"
    assert action.details["attachments"][0]["chorus_attachment_id"]

    # The next sync sees the same COMPLETEE line: nothing new to record.
    [after] = engine.sync()
    assert after.changed == 0
    assert suspended.chorus_invoice_id == completed.chorus_invoice_id
    follow_until(engine, sim, store, invoice_id, "MISE_EN_PAIEMENT")
    assert record(store, invoice_id).is_terminal


def test_recycle_an_invoice_to_the_right_service(engine, store, sim, structure_id):
    buyer = sim.dataset.recipient_with()
    service = next(
        s for s in buyer.active_services() if not s.engagement_required and s.code != "FACTURES_PUBLIQUES"
    )
    [invoice_id] = deposited(engine, sim, structure_id, [invoice_data(sim, "AC-RECY", scenario="A_RECYCLER")])
    follow_until(engine, sim, store, invoice_id, "A_RECYCLER")
    result = engine.recycle(invoice_id, service_code=service.code, comment="Service corrigé")
    assert result.chorus_status == "DEPOSEE"
    recycled = record(store, invoice_id)
    assert recycled.service_code == service.code and recycled.chorus_status == "DEPOSEE"
    change = next(e for e in history(store, invoice_id) if e.details and e.details.get("action") == "recycle")
    assert (
        change.details["before"]["service_code"] is None
        and change.details["after"]["service_code"] == service.code
    )
    follow_until(engine, sim, store, invoice_id, "MISE_EN_PAIEMENT")


def test_resend_a_rejected_invoice_as_a_new_one(engine, store, sim, structure_id):
    [invoice_id] = deposited(engine, sim, structure_id, [invoice_data(sim, "AC-REJ", scenario="REJETEE")])
    follow_until(engine, sim, store, invoice_id, "REJETEE")
    assert engine.show(invoice_id).allowed_actions == ["resend", "cancel"]
    result = engine.resend(invoice_id, number="AC-REJ-2", changes={"buyer_accounting_reference": "IMPUT-7"})
    new_id = result.new_invoice_id
    new = record(store, new_id)
    assert (
        new.number == "AC-REJ-2"
        and new.replaces_invoice_id == invoice_id
        and new.status == InvoiceStatus.IMPORTED
    )
    assert engine.show(invoice_id).replaced_by == [new_id]
    [outcome] = engine.check([new_id])
    assert outcome.ok, outcome.findings
    engine.queue([new_id])
    engine.deposit_now()
    sim.admin.advance_clock(seconds=10)
    engine.sync()
    assert record(store, new_id).status == InvoiceStatus.INTEGRATED


def test_cancel_a_rejected_invoice_with_a_credit_note(engine, store, sim, structure_id):
    [invoice_id] = deposited(engine, sim, structure_id, [invoice_data(sim, "AC-CN", scenario="REJETEE")])
    follow_until(engine, sim, store, invoice_id, "REJETEE")
    result = engine.cancel(invoice_id, number="AV-AC-CN", reason="facture rejetée")
    note_id = result.new_invoice_id
    with store.read() as tx:
        note = tx.invoices.document(note_id)
    assert note.type_code.value == "381" and note.payment_means is None
    assert note.preceding_invoices[0].number == "AC-CN"
    [outcome] = engine.check([note_id])
    assert outcome.ok, outcome.findings
    engine.queue([note_id])
    engine.deposit_now()
    sim.admin.advance_clock(seconds=10)
    engine.sync()
    assert record(store, note_id).status == InvoiceStatus.INTEGRATED
    with pytest.raises(ForbiddenActionError, match="credit note"):
        engine.cancel(note_id, number="AV-AV")


def test_actions_are_refused_outside_their_statuses(engine, store, sim, structure_id):
    [paid_id] = deposited(engine, sim, structure_id, [invoice_data(sim, "AC-FORB", scenario="PAYE")])
    before = sim.admin.stats()["requests_by_operation"]
    for action, call in (
        ("complete", lambda: engine.complete(paid_id, comment="x")),
        ("recycle", lambda: engine.recycle(paid_id, service_code="X")),
        ("resend", lambda: engine.resend(paid_id, number="AC-FORB-2")),
        ("cancel", lambda: engine.cancel(paid_id, number="AV-1")),
        ("withdraw", lambda: engine.withdraw(paid_id)),
    ):
        with pytest.raises(ForbiddenActionError) as refused:
            call()
        message = str(refused.value)
        assert f"'{action}'" in message and "integrated" in message and "Allowed now: none" in message
    assert sim.admin.stats()["requests_by_operation"] == before  # nothing was sent
    follow(engine, sim, days=10)
    assert engine.show(paid_id).allowed_actions == ["cancel"]


def test_withdraw_and_edit_before_deposit(engine, store, sim, structure_id):
    first, second = prepare(engine, structure_id, [invoice_data(sim, "AC-W1"), invoice_data(sim, "AC-W2")])
    engine.withdraw(first, reason="doublon")
    withdrawn = record(store, first)
    assert withdrawn.status == InvoiceStatus.WITHDRAWN and withdrawn.is_terminal
    engine.edit(second, invoice_data(sim, "AC-W2", payment_terms="30 jours"))
    assert record(store, second).status == InvoiceStatus.IMPORTED
    report = engine.deposit_now()
    assert report.deposits == {}  # nothing queued any more


def test_bad_action_input_is_refused_before_any_call(engine, store, sim, structure_id):
    [invoice_id] = deposited(engine, sim, structure_id, [invoice_data(sim, "AC-BAD", scenario="SUSPENDUE")])
    follow_until(engine, sim, store, invoice_id, "SUSPENDUE")
    before = sim.admin.stats()["requests_by_operation"]
    with pytest.raises(InvalidInputError, match="extension"):
        engine.complete(invoice_id, comment="pièce", attachments=[Attachment("virus.exe", b"MZ")])
    with pytest.raises(InvalidInputError, match="empty"):
        engine.complete(invoice_id, comment="  ")
    assert sim.admin.stats()["requests_by_operation"] == before
    assert record(store, invoice_id).chorus_status == "SUSPENDUE"
