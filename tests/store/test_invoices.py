from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from store_helpers import RECIPIENT_SIRET, add_structure, invoice_data

from chorus_connect.invoice import Invoice
from chorus_connect.store import (
    ConflictError,
    DuplicateError,
    EventSource,
    InvalidInputError,
    InvoiceFilter,
    InvoiceRecord,
    InvoiceStatus,
    NewFile,
    NotFoundError,
    StoredFile,
)


def count(store, model) -> int:
    with store.read() as tx:
        return tx.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def structure_id(store) -> int:
    with store.transaction() as tx:
        return add_structure(tx).id


def test_import_keeps_document_key_columns_and_file(store, structure_id):
    with store.transaction(actor="alice") as tx:
        record = tx.invoices.add(
            structure_id,
            Invoice.model_validate(invoice_data()),
            source_file=NewFile(
                file_name="F-2026-001.json", content=b'{"x": 1}', media_type="application/json"
            ),
        )
        invoice_id = record.id
    with store.read() as tx:
        record = tx.invoices.get(invoice_id)
        assert (record.number, record.year, record.type_code, record.currency) == (
            "F-2026-001",
            2026,
            "380",
            "EUR",
        )
        assert record.recipient_siret == RECIPIENT_SIRET
        assert (record.service_code, record.engagement_number) == ("SERVICE_DESTINATAIRE_2TST084", "EJ-42")
        assert (record.amount_tax_exclusive, record.amount_tax, record.amount_tax_inclusive) == (
            Decimal("100.00"),
            Decimal("20.00"),
            Decimal("120.00"),
        )
        assert record.status is InvoiceStatus.IMPORTED and not record.is_terminal
        document = tx.invoices.document(record)
        assert isinstance(document, Invoice) and document.totals.payable == Decimal("120.00")
        assert tx.files.content(record.source_file_id) == b'{"x": 1}'
        [event] = tx.invoices.history(invoice_id)
        assert (event.source, event.status, event.actor) == (
            EventSource.USER,
            InvoiceStatus.IMPORTED,
            "alice",
        )


def test_amounts_are_exact_and_filterable(store, structure_id):
    with store.transaction() as tx:
        for number, price in (("A-1", "0.10"), ("A-2", "0.20"), ("A-3", "123456789.99")):
            tx.invoices.add(
                structure_id,
                invoice_data(
                    number,
                    lines=[
                        {
                            "id": "1",
                            "name": "x",
                            "quantity": "1",
                            "net_price": price,
                            "vat_rate": "0",
                            "vat_category": "Z",
                        }
                    ],
                ),
            )
    with store.read() as tx:
        small = tx.invoices.search(InvoiceFilter(amount_max=Decimal("0.30")))
        assert sorted(r.number for r in small.items) == ["A-1", "A-2"]
        exact = tx.invoices.search(InvoiceFilter(amount_min=Decimal("0.20"), amount_max=Decimal("0.20")))
        assert [r.number for r in exact.items] == ["A-2"]
        [count_row] = tx.invoices.status_counts(InvoiceFilter(structure_ids=[structure_id]))
        assert count_row.count == 3
        assert count_row.amount_tax_inclusive == Decimal("123456790.29")  # no float drift


def test_number_unique_per_structure_environment_and_year(store, structure_id):
    with store.transaction() as tx:
        tx.invoices.add(structure_id, invoice_data("F-1"))
        tx.invoices.add(structure_id, invoice_data("F-1", issue_date="2027-01-05"))  # another year
        other = add_structure(
            tx,
            name="Other",
            siret="00000000005720",
            piste=None,
            piste_application_id=tx.structures.get(structure_id).piste_application_id,
        )
        tx.invoices.add(other.id, invoice_data("F-1"))  # another supplier
    with pytest.raises(DuplicateError) as caught, store.transaction() as tx:
        tx.invoices.add(structure_id, invoice_data("F-2"))
        tx.invoices.add(structure_id, invoice_data("F-1", issue_date="2026-12-31"))
    assert "already in the store" in str(caught.value) and "new number" in str(caught.value)
    assert count(store, InvoiceRecord) == 3  # F-2 of the failed transaction was rolled back too
    # The database refuses it as well, even without the repository's check.
    columns = (
        "structure_id, environment, number, issue_date, year, type_code, currency, document, status, "
        "status_changed_at, is_terminal, lease_token, created_at, updated_at"
    )
    copy = text(
        f"insert into invoices ({columns}) select {columns} from invoices "
        "where number = 'F-1' and year = 2026 and structure_id = :s"
    )
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(copy, {"s": structure_id})


def test_bad_invoice_data_changes_nothing(store, structure_id):
    with pytest.raises(InvalidInputError, match="invoice") as caught, store.transaction() as tx:
        tx.invoices.add(structure_id, invoice_data("OK-1"))
        tx.invoices.add(
            structure_id, {"number": "BAD"}, source_file=NewFile(file_name="bad.json", content=b"{}")
        )
    assert caught.value.fields == ("invoice",)
    assert count(store, InvoiceRecord) == 0 and count(store, StoredFile) == 0
    with pytest.raises(NotFoundError), store.transaction() as tx:
        tx.invoices.add(999, invoice_data())
    with pytest.raises(ConflictError, match="public buyer"), store.transaction() as tx:
        buyer = add_structure(
            tx,
            name="Commune",
            role="public_buyer",
            siret=RECIPIENT_SIRET,
            piste=None,
            piste_application_id=tx.structures.get(structure_id).piste_application_id,
        )
        tx.invoices.add(buyer.id, invoice_data())


def test_history_transitions_and_idempotent_chorus_events(store, structure_id, clock):
    with store.transaction() as tx:
        invoice_id = tx.invoices.add(structure_id, invoice_data()).id
    steps = [
        dict(status=InvoiceStatus.CHECKED, findings=[{"rule": "BR-1", "level": "warning"}]),
        dict(status=InvoiceStatus.QUEUED),
        dict(status=InvoiceStatus.DEPOSITING),
        dict(status=InvoiceStatus.DEPOSITED, flux_number="CPP0011117000000000425903", deposited_at=clock.now),
        dict(status=InvoiceStatus.INTEGRATED, chorus_invoice_id=4_242, chorus_status="DEPOSEE"),
    ]
    for step in steps:
        clock.advance(minutes=1)
        with store.transaction(actor="worker-1") as tx:
            tx.invoices.transition(invoice_id, source=EventSource.ENGINE, comment="step", **step)
    suspended_at = clock.now + dt.timedelta(hours=1)
    with store.transaction() as tx:
        first = tx.invoices.transition(
            invoice_id,
            source=EventSource.CHORUS,
            chorus_status="SUSPENDUE",
            chorus_status_at=suspended_at,
            comment="Pièce manquante",
            external_key="histo:1",
        )
        again = tx.invoices.transition(
            invoice_id,
            source=EventSource.CHORUS,
            chorus_status="SUSPENDUE",
            chorus_status_at=suspended_at,
            external_key="histo:1",
        )
        assert first is not None and again is None
        # An older Chorus status arriving late is kept in history but does not replace the current one.
        tx.invoices.transition(
            invoice_id,
            source=EventSource.CHORUS,
            chorus_status="MISE_A_DISPOSITION",
            chorus_status_at=suspended_at - dt.timedelta(minutes=30),
            external_key="histo:0",
        )
    with store.read() as tx:
        record = tx.invoices.get(invoice_id)
        assert (record.status, record.chorus_status, record.chorus_status_at) == (
            InvoiceStatus.INTEGRATED,
            "SUSPENDUE",
            suspended_at,
        )
        assert record.findings == [{"rule": "BR-1", "level": "warning"}]
        assert (record.flux_number, record.chorus_invoice_id) == ("CPP0011117000000000425903", 4242)
        history = tx.invoices.history(invoice_id)
        assert [e.status for e in history] == [
            InvoiceStatus.IMPORTED,
            InvoiceStatus.CHECKED,
            InvoiceStatus.QUEUED,
            InvoiceStatus.DEPOSITING,
            InvoiceStatus.DEPOSITED,
            InvoiceStatus.INTEGRATED,
            InvoiceStatus.INTEGRATED,
            InvoiceStatus.INTEGRATED,
        ]
        assert [e.chorus_status for e in history][-3:] == ["DEPOSEE", "SUSPENDUE", "MISE_A_DISPOSITION"]
        assert history[-2].comment == "Pièce manquante" and history[-2].source is EventSource.CHORUS
        assert history[1].actor == "worker-1"
        assert [r.id for r in tx.invoices.tracked(structure_id)] == [invoice_id]
        assert tx.invoices.find_by_chorus_ids(structure_id, [4242, 1])[4242].id == invoice_id
        assert [r.id for r in tx.invoices.find_by_flux_number("CPP0011117000000000425903")] == [invoice_id]
    with store.transaction() as tx:
        tx.invoices.transition(
            invoice_id, source=EventSource.CHORUS, chorus_status="MISE_EN_PAIEMENT", terminal=True
        )
    with store.read() as tx:
        assert tx.invoices.tracked(structure_id) == []
    with pytest.raises(InvalidInputError, match="unknown field"), store.transaction() as tx:
        tx.invoices.transition(invoice_id, source=EventSource.USER, number="HACK")


def test_edit_until_deposit(store, structure_id):
    with store.transaction() as tx:
        invoice_id = tx.invoices.add(structure_id, invoice_data()).id
        tx.invoices.transition(
            invoice_id, source=EventSource.ENGINE, status=InvoiceStatus.CHECKED, findings=[]
        )
    with store.transaction() as tx:
        tx.invoices.replace_document(invoice_id, invoice_data(engagement_number="EJ-99"))
    with store.read() as tx:
        record = tx.invoices.get(invoice_id)
        assert record.engagement_number == "EJ-99" and record.status is InvoiceStatus.IMPORTED
        assert record.findings is None  # to be checked again
        assert tx.invoices.document(record).engagement_number == "EJ-99"
    with store.transaction() as tx:
        tx.invoices.transition(invoice_id, source=EventSource.ENGINE, status=InvoiceStatus.DEPOSITED)
    with pytest.raises(ConflictError, match="can no longer be edited"), store.transaction() as tx:
        tx.invoices.replace_document(invoice_id, invoice_data(engagement_number="EJ-100"))


def test_search_filters_paging_and_isolation(store, structure_id):
    with store.transaction() as tx:
        for day in range(1, 8):
            record = tx.invoices.add(structure_id, invoice_data(f"N-{day}", issue_date=f"2026-03-0{day}"))
            if day % 2:
                tx.invoices.transition(record.id, source=EventSource.ENGINE, status=InvoiceStatus.CHECKED)
        other = add_structure(
            tx,
            name="Other",
            siret="00000000005720",
            piste=None,
            piste_application_id=tx.structures.get(structure_id).piste_application_id,
        )
        foreign_id = tx.invoices.add(other.id, invoice_data("X-1")).id
    with store.read() as tx:
        page = tx.invoices.search(InvoiceFilter(structure_ids=[structure_id]), limit=3, offset=0)
        assert page.total == 7 and [r.number for r in page.items] == ["N-7", "N-6", "N-5"]
        page2 = tx.invoices.search(InvoiceFilter(structure_ids=[structure_id]), limit=3, offset=6)
        assert [r.number for r in page2.items] == ["N-1"]
        checked = tx.invoices.search(
            InvoiceFilter(statuses=[InvoiceStatus.CHECKED], structure_ids=[structure_id])
        )
        assert checked.total == 4
        window = tx.invoices.search(
            InvoiceFilter(
                issued_from=dt.date(2026, 3, 2), issued_to=dt.date(2026, 3, 3), number_contains="N-"
            )
        )
        assert sorted(r.number for r in window.items) == ["N-2", "N-3"]
        assert tx.invoices.search(InvoiceFilter(number_contains="%")).total == 0  # wildcards are escaped
        counts = {
            c.status: c.count for c in tx.invoices.status_counts(InvoiceFilter(structure_ids=[structure_id]))
        }
        assert counts == {InvoiceStatus.CHECKED: 4, InvoiceStatus.IMPORTED: 3}
        with pytest.raises(NotFoundError):
            tx.invoices.get(foreign_id, structure_ids=[structure_id])
        assert tx.invoices.get(foreign_id).number == "X-1"
