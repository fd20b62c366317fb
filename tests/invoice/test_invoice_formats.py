import json
from pathlib import Path

import pytest
from invoice_samples import EXAMPLES, JSON_EXAMPLES, example, example_data

from chorus_connect.invoice import (
    InvoiceInputError,
    OutputFormat,
    load_documents,
    load_invoice,
    write_invoice,
)
from chorus_connect.invoice.io import SourceFormat
from chorus_connect.invoice.schema import invoice_json_schema, schema_text

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_published_json_schema_is_up_to_date():
    assert (DOCS / "invoice.schema.json").read_text(encoding="utf-8") == schema_text()


@pytest.mark.parametrize("name", JSON_EXAMPLES)
def test_examples_use_only_fields_the_schema_publishes(name):
    schema = invoice_json_schema()  # no JSON Schema validator is installed: check names and required fields
    data = example_data(name)
    assert set(data) <= set(schema["properties"]) and set(schema["required"]) <= set(data)
    seller = schema["$defs"]["Seller"]
    assert set(data["seller"]) <= set(seller["properties"]) and seller["additionalProperties"] is False
    means = schema["$defs"]["PaymentMeans"]
    assert "mode" in means["properties"] and "code" not in means.get("required", [])


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_load_invoice_detects_each_written_format(tmp_path, fmt):
    invoice = example("goods.json")
    path = tmp_path / f"out{fmt.extension}"
    path.write_bytes(write_invoice(invoice, fmt).data)
    (document,) = load_documents(path)
    assert document.invoice == invoice
    assert (
        document.source_format
        == {"facturx": SourceFormat.FACTURX, "cii": SourceFormat.CII, "ubl": SourceFormat.UBL}[fmt]
    )
    assert document.output_format is fmt and document.xml is not None


def test_csv_rows_make_one_invoice_with_french_decimals_and_dates():
    invoice = load_invoice(EXAMPLES / "services.csv")
    assert invoice.issue_date.isoformat() == "2026-11-20"
    assert [str(line.net_price) for line in invoice.lines] == ["65.00", "35.50"]
    assert [line.id for line in invoice.lines] == ["1", "2"]
    assert str(invoice.totals.payable) == "978.60"


def test_csv_reports_the_row_and_column_at_fault(tmp_path):
    text = (EXAMPLES / "services.csv").read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace(";35,50;", ";abc;")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(InvoiceInputError) as info:
        load_invoice(path)
    assert [p.field for p in info.value.problems] == ["row 3: line.net_price"]
    assert str(path) in str(info.value)


def test_csv_header_fields_must_agree_between_rows(tmp_path):
    text = (EXAMPLES / "services.csv").read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace("EJ-2026-001234", "EJ-OTHER")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(InvoiceInputError, match="row 3: engagement_number"):
        load_invoice(path)


def test_json_errors_name_the_field_and_what_to_fix(tmp_path):
    data = example_data("services.json")
    data["lines"][1]["quantity"] = "douze"
    del data["buyer"]["name"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvoiceInputError) as info:
        load_invoice(path)
    fields = {p.field: p.message for p in info.value.problems}
    assert fields["buyer.name"] == "required field is missing"
    assert "decimal point" in fields["lines[1].quantity"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "invalid JSON"),
        (b"hello", "unknown format"),
        (b"<a>", "not well-formed"),
        (b"<x/>", "not a CII"),
    ],
)
def test_unreadable_files_give_a_clear_error(tmp_path, content, fragment):
    path = tmp_path / "f.dat"
    path.write_bytes(content)
    with pytest.raises(InvoiceInputError, match=fragment):
        load_invoice(path)


def test_pdf_without_facturx_xml_is_refused(tmp_path):
    from chorus_connect.invoice.facturx import render_pdf

    path = tmp_path / "plain.pdf"
    path.write_bytes(render_pdf(example("services.json")))
    with pytest.raises(InvoiceInputError, match="no Factur-X XML"):
        load_invoice(path)
