"""The sample flux builders produce valid EN 16931 files that say what they were asked to say.

Checked with factur-x's own XSD check and parser, not with the simulator's reader.
"""

from __future__ import annotations

import datetime as dt
import io
import tarfile
import zipfile
from decimal import Decimal

import pytest
from facturx import get_xml_from_pdf, parse_ubl_cii_xml, xml_check_xsd
from lxml import etree
from pypdf import PdfReader  # installed with factur-x

from chorus_connect.simulator.samples import (
    SampleInvoice,
    sample_batch,
    sample_cii,
    sample_facturx,
    sample_pdf_without_xml,
    sample_ubl,
)

CUSTOM = dict(
    number="FA-2026-042",
    issue_date=dt.date(2026, 3, 5),
    supplier_siret="12345678900011",
    recipient_siret="98765432100022",
    service_code="SERVICE_COMPTA",
    engagement_number="EJ-0001",
    market_number="MARCHE-7",
    amount_without_vat=Decimal("250.00"),
    vat_rate=Decimal("10.00"),
    payment_means_code="30",
    iban="FR7630006000011234567890189",
)


def test_cii_is_xsd_valid_en16931():
    assert xml_check_xsd(sample_cii(), flavor="factur-x", level="en16931")


@pytest.mark.parametrize("type_code", ["380", "381"])
def test_ubl_is_xsd_valid(type_code):
    xml = sample_ubl(type_code=type_code, preceding_invoice="F-1" if type_code == "381" else None)
    flavor = "ubl-2.1-creditnote" if type_code == "381" else "ubl-2.1-invoice"
    assert xml_check_xsd(xml, flavor=flavor, level="en16931")
    assert etree.QName(etree.fromstring(xml)).localname == ("CreditNote" if type_code == "381" else "Invoice")


@pytest.mark.parametrize("builder", [sample_cii, sample_ubl], ids=["cii", "ubl"])
def test_parameters_are_carried_into_the_xml(builder):
    data = parse_ubl_cii_xml(builder(**CUSTOM))
    assert data["BT-1"] == "FA-2026-042"
    assert data["BT-2"] == dt.date(2026, 3, 5)
    assert data["BG-4"]["identifiers"]["0009"] == "12345678900011"
    assert data["BG-7"]["identifiers"]["0009"] == "98765432100022"
    assert data["BT-10"] == "SERVICE_COMPTA"
    assert data["BT-13"] == "EJ-0001"
    assert data["BT-81"] == "30"
    assert data["BT-84"] == "FR7630006000011234567890189"
    assert Decimal(data["BT-109"]) == Decimal("250.00")
    assert Decimal(data["BT-110"]) == Decimal("25.00")
    assert Decimal(data["BT-112"]) == Decimal("275.00")
    assert Decimal(data["BT-115"]) == Decimal("275.00")


@pytest.mark.parametrize("builder", [sample_cii, sample_ubl], ids=["cii", "ubl"])
def test_fields_set_to_none_are_left_out(builder):
    xml = builder(supplier_siret=None, recipient_siret=None, payment_means_code=None, business_process=None)
    data = parse_ubl_cii_xml(xml)
    assert "identifiers" not in data["BG-4"] or not data["BG-4"]["identifiers"]
    assert "BT-81" not in data and "BT-23" not in data and "BT-10" not in data and "BT-13" not in data
    assert b"00000000005719" not in xml and b"00000000005734" not in xml


def test_line_amounts_add_up_to_the_total():
    invoice = SampleInvoice(amount_without_vat=Decimal("100.00"), line_count=3)
    assert invoice.line_amounts() == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    data = parse_ubl_cii_xml(sample_cii(invoice))
    assert sum(Decimal(line["BT-131"]) for line in data["BG-25"]) == Decimal("100.00")


def test_prepaid_amount_reduces_the_amount_due():
    data = parse_ubl_cii_xml(sample_cii(prepaid="200.00"))
    assert Decimal(data["BT-113"]) == Decimal("200.00")
    assert Decimal(data["BT-115"]) == Decimal("1000.00")


def test_facturx_embeds_the_cii_in_a_pdfa3():
    pdf = sample_facturx(number="FX-1")
    assert pdf.startswith(b"%PDF-")
    name, xml = get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    assert xml == sample_cii(number="FX-1")
    catalog = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert "/OutputIntents" in catalog and "/AF" in catalog  # PDF/A output intent, associated file
    xmp = catalog["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert b"EN 16931" in xmp  # Factur-X conformance level


def test_facturx_can_carry_a_given_xml():
    xml = sample_cii(number="OTHER")
    _, embedded = get_xml_from_pdf(sample_facturx(number="VISIBLE", xml=xml), check_xsd=False)
    assert embedded == xml


def test_plain_pdf_has_no_embedded_xml():
    pdf = sample_pdf_without_xml()
    assert pdf.startswith(b"%PDF-")
    assert get_xml_from_pdf(pdf, check_xsd=False) == (False, False)


def test_zip_batch_round_trip_and_is_deterministic():
    files = {"a.xml": sample_cii(number="A"), "b.xml": sample_cii(number="B")}
    batch = sample_batch(files, kind="zip")
    with zipfile.ZipFile(io.BytesIO(batch)) as archive:
        assert archive.namelist() == ["a.xml", "b.xml"]
        assert archive.read("b.xml") == files["b.xml"]
    assert sample_batch(files, kind="zip") == batch


def test_tar_gz_batch_round_trip_and_is_deterministic():
    files = [("x/1.xml", b"<a/>"), ("x/2.xml", b"<b/>")]
    batch = sample_batch(files, kind="tar.gz")
    with tarfile.open(fileobj=io.BytesIO(batch), mode="r:gz") as archive:
        assert archive.getnames() == ["x/1.xml", "x/2.xml"]
        member = archive.extractfile("x/2.xml")
        assert member is not None and member.read() == b"<b/>"
    assert sample_batch(files, kind="tar.gz") == batch


def test_unknown_batch_kind_is_refused():
    with pytest.raises(ValueError, match=r"tar\.gz"):
        sample_batch({"a.xml": b"<a/>"}, kind="rar")  # type: ignore[arg-type]
