"""The platform's reading of deposited flux files: valid files per syntax and archive kind, and the
technical errors of listeErreurTechnique for files it cannot accept."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from lxml import etree

from chorus_connect.simulator import flux_files
from chorus_connect.simulator.flux_files import (
    CII_XSD_BY_PROFILE,
    MAX_ARCHIVE_BYTES,
    MAX_FILE_BYTES,
    NAMESPACES,
    InvoiceField,
    NumberKind,
    SourceFormat,
    TextKind,
    cii_profile,
    file_too_large,
    read_flux,
    schema,
)
from chorus_connect.simulator.samples import (
    SampleDocument,
    sample_batch,
    sample_cii,
    sample_facturx,
    sample_pdf_with_plain_attachment,
    sample_pdf_without_xml,
    sample_ubl,
)

FIELDS = dict(
    number="F-77",
    issue_date=dt.date(2026, 4, 2),
    supplier_siret="11111111100011",
    recipient_siret="22222222200022",
    service_code="SERV_1",
    engagement_number="EJ-9",
    market_number="M-3",
    note="Livraison d'avril",
    line_count=2,
    amount_without_vat=Decimal("500.00"),
    prepaid=Decimal("100.00"),
)
CII_SYNTAXES = ["IN_DP_E1_CII_16B", "IN_DP_E2_CII_MIN_16B"]
UBL_SYNTAXES = ["IN_DP_E1_UBL_INVOICE", "IN_DP_E2_UBL_INVOICE_MIN"]
AGREEMENT = "FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeAgreement"


def single(content: bytes, name: str, syntax: str):
    flux = read_flux(content, name, syntax)
    assert flux.technical_errors == []
    assert len(flux.invoices) == 1
    return flux.invoices[0]


def only_error(content: bytes, name: str, syntax: str):
    flux = read_flux(content, name, syntax)
    assert flux.invoices == []
    assert len(flux.technical_errors) == 1
    error = flux.technical_errors[0]
    assert error.label.startswith("IRRECEVABILITE: ")
    assert error.label.isascii()
    return error


def assert_common_fields(invoice):
    assert invoice.number == "F-77"
    assert invoice.invoice_date == dt.date(2026, 4, 2)
    assert invoice.type_code == "380"
    assert invoice.currency == "EUR"
    assert invoice.business_process == "A1"
    assert (invoice.supplier_id, invoice.supplier_scheme) == ("11111111100011", "0009")
    assert (invoice.recipient_id, invoice.recipient_scheme) == ("22222222200022", "0009")
    assert invoice.supplier_name == "Fournisseur Exemple SARL"
    assert invoice.recipient_name == "Commune d'Exemple"
    assert invoice.service_code == "SERV_1"
    assert invoice.engagement_number == "EJ-9"
    assert invoice.market_number == "M-3"
    assert invoice.payment_means_code == "30"
    assert invoice.iban == "FR7630006000011234567890189"
    assert invoice.total_without_vat == Decimal("500.00")
    assert invoice.total_vat == Decimal("100.00")
    assert invoice.total_with_vat == Decimal("600.00")
    assert invoice.prepaid == Decimal("100.00")
    assert invoice.amount_due == Decimal("500.00")
    assert invoice.line_count == 2
    assert invoice.note == "Livraison d'avril"


# --------------------------------------------------------------------------------------------------
# Valid files


@pytest.mark.parametrize("syntax", CII_SYNTAXES)
def test_cii_xml_is_read_with_platform_paths(syntax):
    xml = sample_cii(**FIELDS)
    invoice = single(xml, "facture.xml", syntax)
    assert_common_fields(invoice)
    assert invoice.source_format is SourceFormat.CII
    assert invoice.xml == xml and invoice.pdf is None
    assert invoice.path(InvoiceField.SERVICE_CODE) == f"{AGREEMENT}.BuyerReference.value"
    assert invoice.path(InvoiceField.RECIPIENT_ID) == f"{AGREEMENT}.BuyerTradeParty.GlobalID.value"
    assert invoice.path(InvoiceField.ENGAGEMENT_NUMBER) == (
        f"{AGREEMENT}.BuyerOrderReferencedDocument.IssuerAssignedID.value"
    )
    assert invoice.path(InvoiceField.NUMBER) == "FichierXml.ExchangedDocument.ID.value"
    assert invoice.path(InvoiceField.PAYMENT_MEANS_CODE) == (
        "FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement"
        ".SpecifiedTradeSettlementPaymentMeans.TypeCode.value"
    )


@pytest.mark.parametrize("syntax", UBL_SYNTAXES)
def test_ubl_invoice_is_read_with_platform_paths(syntax):
    invoice = single(sample_ubl(**FIELDS), "facture.XML", syntax)
    assert_common_fields(invoice)
    assert invoice.source_format is SourceFormat.UBL
    assert (
        invoice.path(InvoiceField.RECIPIENT_ID)
        == "FichierXml.AccountingCustomerParty.Party.PartyIdentification.ID.value"
    )
    assert (
        invoice.path(InvoiceField.SUPPLIER_ID)
        == "FichierXml.AccountingSupplierParty.Party.PartyIdentification.ID.value"
    )
    assert invoice.path(InvoiceField.SERVICE_CODE) == "FichierXml.BuyerReference.value"
    assert invoice.path(InvoiceField.ENGAGEMENT_NUMBER) == "FichierXml.OrderReference.ID.value"


def test_ubl_credit_note_is_read():
    xml = sample_ubl(type_code="381", preceding_invoice="F-1", payment_means_code=None)
    invoice = single(xml, "avoir.xml", "IN_DP_E1_UBL_INVOICE")
    assert invoice.type_code == "381" and invoice.invoice_type == "AVOIR"
    assert invoice.preceding_invoice == "F-1"
    assert invoice.payment_means_code is None and invoice.payment_mode is None
    assert invoice.path(InvoiceField.TYPE_CODE) == "FichierXml.CreditNoteTypeCode.value"
    assert invoice.line_count == 1


def test_facturx_pdf_is_read():
    pdf = sample_facturx(**FIELDS)
    invoice = single(pdf, "facture.pdf", "IN_DP_E2_CII_FACTURX")
    assert_common_fields(invoice)
    assert invoice.pdf == pdf
    assert invoice.xml == sample_cii(**FIELDS)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_batches_are_read_member_by_member(kind):
    batch = sample_batch(
        {"lot/f1.pdf": sample_facturx(number="B-1"), "lot/f2.pdf": sample_facturx(number="B-2")}, kind=kind
    )
    flux = read_flux(batch, f"lot.{kind}", "IN_DP_E2_CII_FACTURX")
    assert flux.technical_errors == []
    assert [(i.number, i.file_name) for i in flux.invoices] == [("B-1", "lot/f1.pdf"), ("B-2", "lot/f2.pdf")]


def test_ubl_batch_with_invoice_and_credit_note():
    batch = sample_batch(
        {"a.xml": sample_ubl(number="U-1"), "b.xml": sample_ubl(number="U-2", type_code="381")}
    )
    flux = read_flux(batch, "LOT.ZIP", "IN_DP_E1_UBL_INVOICE")
    assert [(i.number, i.type_code) for i in flux.invoices] == [("U-1", "380"), ("U-2", "381")]


def test_supplier_siret_in_legal_organization_is_read_there():
    # Historic Chorus usage: the SIRET in SpecifiedLegalOrganization/ID, no GlobalID.
    root = etree.fromstring(sample_cii(supplier_siret="33333333300033"))
    seller = root.find(".//ram:SellerTradeParty", NAMESPACES)
    seller.remove(seller.find("ram:GlobalID", NAMESPACES))
    legal_id = seller.find("ram:SpecifiedLegalOrganization/ram:ID", NAMESPACES)
    legal_id.text = "33333333300033"
    invoice = single(etree.tostring(root), "f.xml", "IN_DP_E1_CII_16B")
    assert (invoice.supplier_id, invoice.supplier_scheme) == ("33333333300033", "0002")
    assert (
        invoice.path(InvoiceField.SUPPLIER_ID)
        == f"{AGREEMENT}.SellerTradeParty.SpecifiedLegalOrganization.ID.value"
    )


def test_absent_fields_are_none_and_named_by_their_expected_tag():
    invoice = single(sample_cii(recipient_siret=None, payment_means_code=None), "f.xml", "IN_DP_E1_CII_16B")
    assert invoice.recipient_id is None and invoice.recipient_scheme is None
    assert invoice.service_code is None and invoice.engagement_number is None and invoice.iban is None
    assert invoice.path(InvoiceField.RECIPIENT_ID) == f"{AGREEMENT}.BuyerTradeParty.GlobalID.value"
    assert invoice.path(InvoiceField.SERVICE_CODE) == f"{AGREEMENT}.BuyerReference.value"


def test_vat_total_in_invoice_currency_is_chosen():
    root = etree.fromstring(sample_cii())
    summation = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", NAMESPACES)
    vat = summation.find("ram:TaxTotalAmount", NAMESPACES)
    other = etree.Element(vat.tag, currencyID="USD")
    other.text = "999.00"
    vat.addprevious(other)  # a second VAT total in the tax currency, listed first
    invoice = single(etree.tostring(root), "f.xml", "IN_DP_E1_CII_16B")
    assert invoice.total_vat == Decimal("200.00")


def test_derived_values():
    invoice = single(sample_cii(business_process="A2", payment_means_code="49"), "f.xml", "IN_DP_E1_CII_16B")
    assert invoice.cadre == "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE"
    assert invoice.payment_mode == "PRELEVEMENT"
    assert invoice.invoice_type == "FACTURE"
    unknown = single(sample_cii(business_process="B1", payment_means_code="ZZZ"), "f.xml", "IN_DP_E1_CII_16B")
    assert unknown.cadre is None and unknown.payment_mode == "AUTRE"


# --------------------------------------------------------------------------------------------------
# Technical errors


def test_malformed_xml():
    error = only_error(b"<rsm:CrossIndustryInvoice><unclosed>", "f.xml", "IN_DP_E1_CII_16B")
    assert (error.nature, error.code) == ("ERR_XSD", "ERR_XSD_002")
    assert "f.xml" in error.label and "mal forme" in error.label


def test_xsd_invalid_cii_names_the_element():
    xml = sample_cii(note="texte").replace(
        b"<ram:Content>texte</ram:Content>", b"<ram:Content><b>x</b></ram:Content>"
    )
    error = only_error(xml, "f.xml", "IN_DP_E1_CII_16B")
    assert (error.nature, error.code) == ("ERR_XSD", "ERR_XSD_001")
    assert "ram:Content" in error.label


def test_xsd_invalid_ubl():
    xml = sample_ubl().replace(
        b"<cbc:IssueDate>2026-01-15</cbc:IssueDate>", b"<cbc:IssueDate>15/01/2026</cbc:IssueDate>"
    )
    error = only_error(xml, "f.xml", "IN_DP_E1_UBL_INVOICE")
    assert error.code == "ERR_XSD_001" and "IssueDate" in error.label


def test_pdf_without_facturx_xml():
    error = only_error(sample_pdf_without_xml(), "f.pdf", "IN_DP_E2_CII_FACTURX")
    assert (error.nature, error.code) == ("ERR_PDF", "ERR_PDF_002")
    assert "factur-x.xml" in error.label


def test_facturx_with_invalid_embedded_xml_is_xsd_error():
    bad = sample_cii().replace(
        b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>380</ram:TypeCode><ram:Bad/>"
    )
    error = only_error(sample_facturx(xml=bad), "f.pdf", "IN_DP_E2_CII_FACTURX")
    assert error.code == "ERR_XSD_001"


@pytest.mark.parametrize(
    "content", [sample_cii(), b"%PDF-1.7 this is not really a pdf"], ids=["xml", "garbage"]
)
def test_unreadable_pdf(content):
    error = only_error(content, "f.pdf", "IN_DP_E2_CII_FACTURX")
    assert error.code == "ERR_PDF_001"


@pytest.mark.parametrize(
    ("name", "syntax"),
    [
        ("f.pdf", "IN_DP_E1_CII_16B"),
        ("f.xml", "IN_DP_E2_CII_FACTURX"),
        ("f", "IN_DP_E1_UBL_INVOICE"),
        ("f.tgz", "IN_DP_E1_CII_16B"),
    ],
)
def test_extension_must_match_the_syntax(name, syntax):
    error = only_error(sample_cii(), name, syntax)
    assert (error.nature, error.code) == ("ERR_FORMAT", "ERR_FORMAT_001")
    assert syntax in error.label


@pytest.mark.parametrize(
    ("builder", "syntax"), [(sample_ubl, "IN_DP_E1_CII_16B"), (sample_cii, "IN_DP_E1_UBL_INVOICE")]
)
def test_document_must_match_the_syntax(builder, syntax):
    error = only_error(builder(), "f.xml", syntax)
    assert error.code == "ERR_FORMAT_002"


@pytest.mark.parametrize(
    "syntax",
    ["IN_DP_E1_PES_FACTURE", "IN_DP_E1_XCBL", "IN_DP_E2_CPP_FACTURE_MIN", "IN_DP_E4_UBL_INVOICE", "NONSENSE"],
)
def test_syntaxes_not_simulated(syntax):
    error = only_error(sample_cii(), "f.xml", syntax)
    assert (error.nature, error.code) == ("ERR_SYNTAXE", "ERR_SYNTAXE_001")
    assert syntax in error.label


def test_size_limits_for_the_synchronous_check():
    assert not file_too_large(b"x" * MAX_FILE_BYTES, "f.xml")
    assert file_too_large(b"x" * (MAX_FILE_BYTES + 1), "f.pdf")
    assert not file_too_large(b"x" * (MAX_FILE_BYTES + 1), "lot.zip")
    assert not file_too_large(b"x" * MAX_ARCHIVE_BYTES, "lot.tar.gz")
    assert file_too_large(b"x" * (MAX_ARCHIVE_BYTES + 1), "LOT.TAR.GZ")


def test_too_large_file_is_a_technical_error():
    error = only_error(b"x" * (MAX_FILE_BYTES + 1), "f.xml", "IN_DP_E1_CII_16B")
    assert error.code == "ERR_TAILLE_001"


def test_too_large_archive_member_is_refused_without_stopping_the_others():
    batch = sample_batch({"big.xml": b" " * (MAX_FILE_BYTES + 1), "ok.xml": sample_cii(number="OK")})
    assert not file_too_large(batch, "lot.zip")  # compresses well: the archive itself is small
    flux = read_flux(batch, "lot.zip", "IN_DP_E1_CII_16B")
    assert [e.code for e in flux.technical_errors] == ["ERR_TAILLE_001"]
    assert "big.xml" in flux.technical_errors[0].label
    assert [i.number for i in flux.invoices] == ["OK"]


def test_bad_member_of_a_batch_is_named():
    batch = sample_batch({"good.xml": sample_cii(number="G"), "bad.xml": b"<oops"}, kind="tar.gz")
    flux = read_flux(batch, "lot.tar.gz", "IN_DP_E1_CII_16B")
    assert [i.number for i in flux.invoices] == ["G"]
    assert [e.code for e in flux.technical_errors] == ["ERR_XSD_002"]
    assert "bad.xml" in flux.technical_errors[0].label


@pytest.mark.parametrize("name", ["lot.zip", "lot.tar.gz"])
def test_corrupt_archive(name):
    error = only_error(b"this is no archive", name, "IN_DP_E1_CII_16B")
    assert error.code == "ERR_ARCHIVE_001"


def test_corrupt_member_data_in_zip():
    batch = bytearray(sample_batch({"a.xml": sample_cii() * 3}))
    middle = len(batch) // 2
    batch[middle : middle + 20] = b"\x00" * 20
    flux = read_flux(bytes(batch), "lot.zip", "IN_DP_E1_CII_16B")
    assert [e.code for e in flux.technical_errors] == ["ERR_ARCHIVE_001"]  # CRC / inflate error
    assert flux.invoices == []


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_empty_archive(kind):
    error = only_error(sample_batch({}, kind=kind), f"lot.{kind}", "IN_DP_E1_CII_16B")
    assert error.code == "ERR_ARCHIVE_002"


def test_directories_in_zip_are_skipped():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("dossier/", b"")
        archive.writestr("dossier/f.xml", sample_cii(number="D"))
        archive.writestr("__MACOSX/dossier/._f.xml", b"junk")
    flux = read_flux(buffer.getvalue(), "lot.zip", "IN_DP_E1_CII_16B")
    assert flux.technical_errors == [] and [i.number for i in flux.invoices] == ["D"]


def test_technical_error_wire_shape():
    error = only_error(sample_cii(), "f.pdf", "IN_DP_E1_CII_16B")
    assert error.as_wire() == {
        "codeErreur": error.code,
        "libelleErreur": error.label,
        "natureErreur": error.nature,
    }


# --------------------------------------------------------------------------------------------------
# Schemas


def test_each_schema_is_compiled_once():
    assert schema(CII_XSD_BY_PROFILE["en16931"]) is schema(CII_XSD_BY_PROFILE["en16931"])


@pytest.mark.parametrize(
    ("guideline", "profile"),
    [
        ("urn:cen.eu:en16931:2017", "en16931"),
        ("urn:factur-x.eu:1p0:minimum", "minimum"),
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "basic"),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "extended"),
        ("urn:something:else", "extended"),
    ],
)
def test_cii_profile_from_guideline(guideline, profile):
    xml = sample_cii().replace(b"urn:cen.eu:en16931:2017", guideline.encode())
    assert cii_profile(etree.fromstring(xml)) == profile


def test_minimum_profile_file_is_checked_against_the_minimum_xsd():
    # An EN 16931 body declared MINIMUM carries elements the MINIMUM XSD does not allow.
    xml = sample_cii().replace(b"urn:cen.eu:en16931:2017", b"urn:factur-x.eu:1p0:minimum")
    error = only_error(xml, "f.xml", "IN_DP_E1_CII_16B")
    assert error.code == "ERR_XSD_001"


def test_too_many_members(monkeypatch):
    monkeypatch.setattr(flux_files, "MAX_ARCHIVE_MEMBERS", 2)
    batch = sample_batch({f"{i}.xml": sample_cii(number=f"N{i}") for i in range(3)})
    flux = read_flux(batch, "lot.zip", "IN_DP_E1_CII_16B")
    assert [e.code for e in flux.technical_errors] == ["ERR_ARCHIVE_003"]


# --------------------------------------------------------------------------------------------------
# What the rejection rules read (rejection-causes.md)


def test_siret_under_the_e1_scheme_1_is_read_before_the_legal_organisation():
    invoice = single(sample_cii(siret_scheme="1"), "f.xml", "IN_DP_E1_CII_16B")
    assert (invoice.supplier_id, invoice.supplier_scheme) == ("00000000005719", "1")
    assert invoice.path(InvoiceField.SUPPLIER_ID) == f"{AGREEMENT}.SellerTradeParty.GlobalID.value"


@pytest.mark.parametrize(
    ("builder", "syntax"), [(sample_cii, "IN_DP_E1_CII_16B"), (sample_ubl, "IN_DP_E1_UBL_INVOICE")]
)
def test_fields_of_the_rejection_rules_are_read(builder, syntax):
    xml = builder(
        currency="USD",
        tax_currency="EUR",
        recipient_country="RE",
        preceding_invoice="F-1",
        extra_preceding_invoices=("F-2",),
        supplier_contacts=("Mme A",),
        documents=(SampleDocument(), SampleDocument(identifier="LOT", content=None, type_code="130")),
        quantity="2.125",
        unit_price="400.123456",
        supplier_name="N" * 30,
    )
    invoice = single(xml, "f.xml", syntax)
    assert invoice.from_file and invoice.profile == ("en16931" if builder is sample_cii else None)
    assert (invoice.supplier_country, invoice.recipient_country) == ("FR", "RE")
    assert (invoice.tax_currency, invoice.vat_total_in_tax_currency) == ("EUR", Decimal("200.00"))
    assert invoice.preceding_invoices == ("F-1", "F-2") and invoice.preceding_invoice_count == 2
    assert (invoice.supplier_contact_count, invoice.recipient_contact_count) == (1, 0)
    assert invoice.recipient_legal_id == "000000000" and invoice.recipient_legal_id_scheme_name is None
    supporting, invoiced_object = invoice.documents
    assert (supporting.identifier, supporting.has_content, supporting.supporting_document) == (
        "BL-2026-001",
        True,
        True,
    )
    assert (supporting.file_name, supporting.size) == ("bon-de-livraison.pdf", len(SampleDocument().content))
    assert (invoiced_object.has_content, invoiced_object.supporting_document) == (False, False)
    assert invoice.precision[NumberKind.QUANTITY].decimals == 3
    assert invoice.precision[NumberKind.PRICE].decimals == 6
    assert invoice.precision[NumberKind.AMOUNT].decimals == 2
    names = [t for t in invoice.text_lengths if t.kind is TextKind.PARTY_NAME]
    assert max(t.length for t in names) == 30


def test_gross_prices_without_discount_are_counted():
    bare = single(sample_cii(gross_price="10.00", line_count=3), "f.xml", "IN_DP_E1_CII_16B")
    assert bare.bare_gross_price_count == 3
    discounted = single(sample_cii(gross_price="10.00", price_discount="1.00"), "f.xml", "IN_DP_E1_CII_16B")
    assert discounted.bare_gross_price_count == 0


def test_invoice_built_from_json_names_missing_paths_by_field():
    invoice = flux_files.FluxInvoice(SourceFormat.CII, "", b"", None, {"number": "numeroFactureSaisi"})
    assert invoice.path(InvoiceField.NUMBER) == "numeroFactureSaisi"
    assert invoice.path(InvoiceField.TAX_CURRENCY) == "tax_currency"
    assert not invoice.from_file


def test_pdf_with_a_plain_attachment_is_not_a_facturx_container():
    error = only_error(sample_pdf_with_plain_attachment(), "f.pdf", "IN_DP_E2_CII_FACTURX")
    assert (error.nature, error.code) == ("ERR_PDF", "ERR_PDF_003")
    assert "fx:DocumentFileName" in error.label
