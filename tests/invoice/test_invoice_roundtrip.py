import pytest
from invoice_samples import JSON_EXAMPLES, example, example_data

from chorus_connect.invoice import Invoice, OutputFormat, Profile, write_invoice
from chorus_connect.invoice.cii import read_cii, write_cii
from chorus_connect.invoice.io import parse_documents
from chorus_connect.invoice.ubl import read_ubl, write_ubl


@pytest.mark.parametrize("name", JSON_EXAMPLES)
@pytest.mark.parametrize("profile", [Profile.EN16931, Profile.EXTENDED])
def test_cii_round_trip_gives_the_same_invoice(name, profile):
    invoice = example(name)
    assert read_cii(write_cii(invoice, profile)) == invoice


@pytest.mark.parametrize("name", JSON_EXAMPLES)
def test_ubl_round_trip_gives_the_same_invoice(name):
    invoice = example(name)
    xml = write_ubl(invoice)
    assert (b"<CreditNote" in xml) == invoice.is_credit_note
    assert read_ubl(xml) == invoice


@pytest.mark.parametrize("name", ["goods.json", "credit-note.json"])
def test_facturx_round_trip_through_the_pdf(name):
    invoice = example(name)
    output = write_invoice(invoice, OutputFormat.FACTURX)
    (loaded,) = parse_documents(output.data, "x.pdf")
    assert loaded.invoice == invoice
    assert loaded.profile is Profile.EN16931 and loaded.pdf == output.data


def test_basic_profile_round_trip_for_what_it_carries():
    data = example_data("goods.json")
    for line in data["lines"]:  # item ids and descriptions, BIC and account name are EN16931-only
        line.pop("seller_item_id", None)
        line.pop("description", None)
    data["payment_means"] = {"code": "30", "iban": data["payment_means"]["iban"]}
    invoice = Invoice.model_validate(data)
    assert read_cii(write_cii(invoice, Profile.BASIC)) == invoice


@pytest.mark.parametrize("profile", [Profile.MINIMUM, Profile.BASIC_WL])
def test_header_profiles_keep_the_header(profile):
    invoice = example("services.json")
    back = read_cii(write_cii(invoice, profile))
    assert back.lines == []
    assert (back.number, back.seller.siren, back.buyer.name) == (
        invoice.number,
        invoice.seller.siren,
        invoice.buyer.name,
    )
    assert back.totals.payable == invoice.totals.payable
    if profile is Profile.BASIC_WL:
        assert (
            back.vat_breakdown == invoice.vat_breakdown
            and back.payment_means.iban == invoice.payment_means.iban
        )
