"""Sync cursors, received invoices (public buyers), the notification outbox, users and API keys."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from store_helpers import RECIPIENT_SIRET, add_structure

from chorus_connect.store import (
    ConflictError,
    DuplicateError,
    EventSource,
    InvalidInputError,
    NewFile,
    NotFoundError,
    NotificationChannel,
    NotificationKind,
    ReceivedInvoiceData,
    UserRole,
)
from chorus_connect.store.repositories.notifications import MAX_ATTEMPTS


def test_sync_cursor_moves_forward_only_and_is_claimed_by_one_worker(store, clock):
    with store.transaction() as tx:
        first = add_structure(tx).id
        second = add_structure(
            tx,
            name="B",
            siret="00000000005720",
            piste=None,
            piste_application_id=tx.structures.get(first).piste_application_id,
        ).id
        assert tx.cursors.get(first).last_change_at is None
        tx.cursors.ensure([first, second])
    t1 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    with store.transaction() as tx:
        tx.cursors.advance(first, last_change_at=t1, state={"page": 3})
        tx.cursors.advance(first, last_change_at=t1 - dt.timedelta(hours=1))  # a late, older answer
    with store.read() as tx:
        cursor = tx.cursors.get(first)
        assert cursor.last_change_at == t1 and cursor.state == {"page": 3}
        assert cursor.last_synced_at == clock.now
    with store.transaction() as tx:  # never-synced structures come first
        [claim] = tx.cursors.claim("w1", now=clock.now)
        assert claim.row_id == tx.cursors.get(second).id
        [other] = tx.cursors.claim("w2", now=clock.now)
        assert other.row_id == tx.cursors.get(first).id
        assert tx.cursors.claim("w3", now=clock.now) == []
        tx.cursors.release(claim)
    with store.transaction() as tx:
        assert tx.cursors.reset(first) == 1
        assert tx.cursors.get(first).last_change_at is None


def test_received_invoices_for_public_buyers(store, clock):
    with store.transaction() as tx:
        buyer = add_structure(tx, name="Commune", role="public_buyer", siret=RECIPIENT_SIRET)
        supplier = add_structure(
            tx,
            name="Supplier",
            siret="00000000005719",
            piste=None,
            piste_application_id=buyer.piste_application_id,
        )
        data = ReceivedInvoiceData(
            chorus_invoice_id=9001,
            number="FR-77",
            issue_date=dt.date(2026, 2, 27),
            supplier_name="Atelier",
            supplier_identifier="00000000005719",
            supplier_identifier_type="SIRET",
            amount_tax_inclusive=Decimal("1200.50"),
            chorus_status="MISE_A_DISPOSITION",
            summary={"identifiantFactureCPP": 9001},
        )
        record, created = tx.received.upsert(buyer.id, data)
        assert created
        _, created_again = tx.received.upsert(buyer.id, data)
        assert not created_again
        tx.received.attach_file(
            record.id, NewFile(file_name="FR-77.pdf", content=b"%PDF-1.7 ...", media_type="application/pdf")
        )
        tx.received.record_treatment(record.id, "SUSPENDUE", motif="Bon de commande manquant")
        received_id = record.id
        with pytest.raises(ConflictError, match="is a supplier"):
            tx.received.upsert(supplier.id, data)
    with store.read() as tx:
        record = tx.received.get(received_id)
        assert (record.chorus_status, record.amount_tax_inclusive) == ("SUSPENDUE", Decimal("1200.50"))
        assert tx.files.content(record.file_id).startswith(b"%PDF")
        history = tx.received.history(received_id)
        assert [(e.source, e.chorus_status) for e in history] == [
            (EventSource.CHORUS, "MISE_A_DISPOSITION"),
            (EventSource.USER, "SUSPENDUE"),
        ]
        assert history[-1].comment == "Bon de commande manquant"
        assert [r.number for r in tx.received.list(buyer.id, chorus_statuses=["SUSPENDUE"])] == ["FR-77"]
        with pytest.raises(NotFoundError):
            tx.received.get(received_id, structure_ids=[supplier.id])


def test_notification_outbox(store, clock):
    with store.transaction() as tx:
        structure_id = add_structure(tx).id
        tx.structures.set_webhook(structure_id, "https://hooks.example/chorus", "hmac")
        rows = tx.notifications.enqueue(
            structure_id, NotificationKind.REJECTION, dedupe_key="rejection:F-1", payload={"number": "F-1"}
        )
        assert sorted(r.channel for r in rows) == [NotificationChannel.EMAIL, NotificationChannel.WEBHOOK]
        again = tx.notifications.enqueue(
            structure_id, NotificationKind.REJECTION, dedupe_key="rejection:F-1", payload={"number": "F-1"}
        )
        assert again == []  # seen twice, announced once
    with store.transaction() as tx:
        claims = tx.notifications.claim_due("sender", now=clock.now)
        assert len(claims) == 2
        by_channel = {tx.notifications.get(c.row_id).channel: c for c in claims}
        webhook, email = by_channel[NotificationChannel.WEBHOOK], by_channel[NotificationChannel.EMAIL]
        tx.notifications.mark_sent(webhook)
        tx.notifications.mark_failed(email, error="SMTP 451", retry_at=clock.now + dt.timedelta(minutes=5))
    with store.transaction() as tx:
        assert (
            tx.notifications.claim_due("sender", now=clock.now) == []
        )  # the e-mail waits for its retry time
        [retry] = tx.notifications.claim_due("sender", now=clock.now + dt.timedelta(minutes=6))
        tx.notifications.mark_failed(retry, error="mailbox does not exist", retry_at=None)  # give up
    with store.read() as tx:
        pending = tx.notifications.pending(structure_id)
        assert len(pending) == 1 and pending[0].attempts >= MAX_ATTEMPTS
        assert pending[0].last_error == "mailbox does not exist"
    with store.transaction() as tx:
        assert tx.notifications.claim_due("sender", now=clock.now + dt.timedelta(days=1)) == []


def test_users_and_api_keys(store):
    with store.transaction() as tx:
        a = add_structure(tx).id
        b = add_structure(
            tx,
            name="B",
            siret="00000000005720",
            piste=None,
            piste_application_id=tx.structures.get(a).piste_application_id,
        ).id
        user = tx.accounts.add_user("Alice@Example.fr", "accountant", display_name="Alice")
        tx.accounts.grant(user.id, [a])
        key, plaintext = tx.accounts.create_api_key("ERP", [b])
        key_id = key.id
    assert "cck_" not in repr(plaintext)
    with store.transaction() as tx:
        assert tx.accounts.get_user("alice@example.fr").role is UserRole.ACCOUNTANT
        assert tx.accounts.structure_ids_of(user.id) == [a]
        found = tx.accounts.verify_api_key(plaintext)
        assert found is not None and [s.id for s in found.structures] == [b]
        assert tx.accounts.verify_api_key(plaintext.get_secret_value()[:-1] + "x") is None
        assert tx.accounts.verify_api_key("garbage") is None
        tx.accounts.revoke_api_key(key_id)
    with store.transaction() as tx:
        assert tx.accounts.verify_api_key(plaintext) is None
    with store.engine.connect() as connection:
        from sqlalchemy import text

        stored = connection.execute(text("select key_hash from api_keys")).scalar()
        assert plaintext.get_secret_value() not in stored
    with pytest.raises(DuplicateError), store.transaction() as tx:
        tx.accounts.add_user("alice@example.fr", "read_only")
    with pytest.raises(InvalidInputError) as caught, store.transaction() as tx:
        tx.accounts.add_user("nope", "boss")
    assert set(caught.value.fields) == {"user.email", "user.role"}
