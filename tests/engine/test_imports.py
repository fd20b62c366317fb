"""Importing invoice files into the store: every format, market inheritance, and bad input that leaves the
store exactly as it was, with an error naming the file and the field."""

from __future__ import annotations

import hashlib
import json

import pytest
from engine_helpers import invoice_data, record, write_json

from chorus_connect.engine.errors import ImportRefusedError, InvoiceFileError
from chorus_connect.invoice import Invoice, OutputFormat, write_invoice
from chorus_connect.store import InvoiceStatus, NewMarket, NotFoundError, StoredFile


def _counts(store) -> tuple[int, int]:
    with store.read() as tx:
        return tx.invoices.search(limit=1).total, tx.session.query(StoredFile).count()


def test_every_format_is_imported_with_its_source_file(engine, store, sim, structure_id, tmp_path):
    json_file = write_json(tmp_path / "two.json", [invoice_data(sim, "IM-J1"), invoice_data(sim, "IM-J2")])
    files = [json_file]
    for fmt, number in (
        (OutputFormat.CII, "IM-CII"),
        (OutputFormat.UBL, "IM-UBL"),
        (OutputFormat.FACTURX, "IM-FX"),
    ):
        output = write_invoice(Invoice.model_validate(invoice_data(sim, number)), fmt)
        path = tmp_path / f"{number}.{'pdf' if fmt is OutputFormat.FACTURX else 'xml'}"
        path.write_bytes(output.data)
        files.append(path)
    supplier, buyer = sim.dataset.main_supplier(), sim.dataset.recipient_with()
    csv = tmp_path / "lines.csv"
    csv.write_text(
        "number;issue_date;seller.name;seller.siret;buyer.name;buyer.siret;payment_means.mode;payment_means.iban;"
        "line.name;line.quantity;line.net_price;line.vat_rate\n"
        + "".join(
            f"{n};23/11/2026;{supplier.name};{supplier.siret};{buyer.name};{buyer.siret};VIREMENT;"
            f"{supplier.bank_accounts[0].iban};{item};{q};10,00;20\n"
            for n, item, q in (("IM-C1", "Ligne A", 2), ("IM-C1", "Ligne B", 1), ("IM-C2", "Ligne C", 5))
        ),
        encoding="utf-8",
    )
    files.append(csv)
    report = engine.import_files(structure_id, files)
    numbers = sorted(item.number for item in report.imported)
    assert numbers == ["IM-C1", "IM-C2", "IM-CII", "IM-FX", "IM-J1", "IM-J2", "IM-UBL"]
    with store.read() as tx:
        by_number = {r.number: r for r in tx.invoices.search(limit=20).items}
        assert len(tx.invoices.document(by_number["IM-C1"]).lines) == 2
        # The invoices of one file share one stored copy of it.
        assert by_number["IM-C1"].source_file_id == by_number["IM-C2"].source_file_id
        assert by_number["IM-J1"].source_file_id == by_number["IM-J2"].source_file_id
    assert all(record(store, i).status == InvoiceStatus.IMPORTED for i in report.invoice_ids)


def test_a_factur_x_file_is_checked_and_deposited_as_it_is(engine, store, sim, structure_id, tmp_path):
    data = write_invoice(Invoice.model_validate(invoice_data(sim, "IM-OWNPDF")), OutputFormat.FACTURX).data
    (tmp_path / "own.pdf").write_bytes(data)
    [invoice_id] = engine.import_files(structure_id, [tmp_path / "own.pdf"]).invoice_ids
    [outcome] = engine.check([invoice_id])  # format "auto": the imported file itself
    assert outcome.ok and outcome.syntax == "IN_DP_E2_CII_FACTURX"
    engine.queue([invoice_id])
    with store.read() as tx:
        deposit = tx.files.get(tx.invoices.get(invoice_id).deposit_file_id)
        assert deposit.sha256 == hashlib.sha256(data).hexdigest()


def test_an_invoice_naming_a_market_inherits_its_routing(engine, store, sim, structure_id):
    buyer = sim.dataset.recipient_with(engagement_required=True)
    supplier = sim.dataset.main_supplier()
    ej = sim.dataset.commitments_between(supplier.structure_id, buyer.structure_id)[0].number
    with store.transaction() as tx:
        tx.markets.add(
            structure_id,
            NewMarket(
                number="M-2026-01", recipient_siret=buyer.siret, service_code="ACHATS", engagement_number=ej
            ),
        )
    plain = invoice_data(sim, "IM-MKT", market_number="M-2026-01")
    plain["buyer"] = {"name": buyer.name}
    conflicting = invoice_data(
        sim, "IM-MKT2", recipient=buyer, market_number="M-2026-01", service_code="VOIRIE"
    )
    report = engine.import_documents(structure_id, [plain, conflicting])
    first, second = report.imported
    stored = record(store, first.invoice_id)
    assert (stored.recipient_siret, stored.service_code, stored.engagement_number) == (
        buyer.siret,
        "ACHATS",
        ej,
    )
    assert stored.market_id is not None and not first.market_conflicts
    assert [c.field for c in second.market_conflicts] == ["service_code"]
    assert record(store, second.invoice_id).service_code == "VOIRIE"
    [outcome, _] = engine.check(report.invoice_ids)
    assert outcome.ok, outcome.findings


def test_a_malformed_file_names_the_file_and_the_field_and_imports_nothing(
    engine, store, sim, structure_id, tmp_path
):
    good = write_json(tmp_path / "good.json", [invoice_data(sim, "IM-OK")])
    broken = tmp_path / "broken.json"
    broken.write_text('{"number": "IM-X", "issue_date": ', encoding="utf-8")
    with pytest.raises(InvoiceFileError) as error:
        engine.import_files(structure_id, [good, broken])
    assert "broken.json" in str(error.value) and "line 1" in str(error.value)
    assert _counts(store) == (0, 0)

    bad_field = invoice_data(sim, "IM-Y")
    bad_field["lines"][0]["quantity"] = "trois"
    with pytest.raises(InvoiceFileError) as error:
        engine.import_files(structure_id, [write_json(tmp_path / "field.json", [bad_field])])
    assert "lines[0].quantity" in str(error.value)
    assert _counts(store) == (0, 0)


def test_a_wrong_seller_siret_or_a_duplicate_refuses_the_whole_import(
    engine, store, sim, structure_id, tmp_path
):
    other = sim.dataset.suppliers()[1]
    wrong = invoice_data(sim, "IM-OTHER", supplier=other)
    with pytest.raises(ImportRefusedError) as error:
        engine.import_documents(structure_id, [invoice_data(sim, "IM-FINE"), wrong])
    assert f"seller.siret {other.siret}" in str(error.value) and "IM-OTHER" in str(error.value)
    assert _counts(store) == (0, 0)

    engine.import_documents(structure_id, [invoice_data(sim, "IM-ONCE")])
    with pytest.raises(ImportRefusedError, match="already in the store"):
        engine.import_documents(structure_id, [invoice_data(sim, "IM-ONCE"), invoice_data(sim, "IM-NEW")])
    assert _counts(store)[0] == 1
    report = engine.import_documents(
        structure_id, [invoice_data(sim, "IM-ONCE"), invoice_data(sim, "IM-NEW")], skip_existing=True
    )
    assert [i.number for i in report.imported] == ["IM-NEW"] and report.skipped[0][0] == "IM-ONCE"


def test_a_missing_seller_siret_is_the_structures(engine, store, sim, structure_id):
    data = invoice_data(sim, "IM-NOSIRET")
    del data["seller"]["siret"]
    [invoice_id] = engine.import_documents(structure_id, [data]).invoice_ids
    with store.read() as tx:
        assert tx.invoices.document(invoice_id).seller.siret == sim.dataset.main_supplier().siret


def test_an_unknown_structure_is_reported(engine, store, sim, tmp_path):
    with pytest.raises(NotFoundError, match="nowhere"):
        engine.import_files("nowhere", [write_json(tmp_path / "a.json", [invoice_data(sim, "IM-Z")])])
    assert _counts(store) == (0, 0)


def test_json_documents_with_a_bad_field_name_the_field(engine, store, sim, structure_id):
    data = invoice_data(sim, "IM-BAD")
    data["unknown_field"] = 1
    with pytest.raises(InvoiceFileError, match="unknown_field"):
        engine.import_documents(structure_id, [json.loads(json.dumps(data))])
