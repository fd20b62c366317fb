from decimal import Decimal

import pytest
from invoice_samples import example, example_data
from pydantic import ValidationError

from chorus_connect.invoice import BillingFrame, Invoice
from chorus_connect.invoice.enums import ChorusPaymentMode, OutputFormat, PaymentMeansCode, Profile


def test_totals_and_vat_breakdown_are_computed_with_en16931_rounding():
    data = example_data("services.json")
    data["lines"] = [
        {"id": "1", "name": "a", "quantity": "3", "net_price": "0.335", "vat_rate": "20"},  # 1.005 -> 1.01
        {"id": "2", "name": "b", "quantity": "1", "net_price": "10.125", "vat_rate": "5.5"},  # 10.13
    ]
    invoice = Invoice.model_validate(data)
    assert [line.net_amount for line in invoice.lines] == [Decimal("1.01"), Decimal("10.13")]
    by_rate = {entry.rate: entry for entry in invoice.vat_breakdown}
    assert by_rate[Decimal("20")].tax_amount == Decimal("0.20")  # 1.01 x 20 % = 0.202
    assert by_rate[Decimal("5.5")].tax_amount == Decimal("0.56")  # 10.13 x 5.5 % = 0.55715
    assert invoice.totals.tax_exclusive == Decimal("11.14")
    assert invoice.totals.tax_inclusive == Decimal("11.90")
    assert invoice.totals.payable == Decimal("11.90")


def test_document_allowances_and_prepaid_enter_the_totals():
    invoice = example("works-situation.json")
    assert invoice.allowances[0].amount == Decimal("3025.00")  # computed from base x percent
    assert invoice.totals.tax_exclusive == Decimal("57475.00")
    assert invoice.totals.tax_total == Decimal("5747.50")
    data = example_data("services.json")
    data["totals"] = {"prepaid": "422.00"}
    assert Invoice.model_validate(data).totals.payable == Decimal("1000.00")


def test_given_totals_are_kept_not_overwritten():
    data = example_data("services.json")
    data["totals"] = {"tax_inclusive": "999.99"}
    assert Invoice.model_validate(data).totals.tax_inclusive == Decimal("999.99")


def test_siren_is_derived_from_the_siret_and_chorus_mode_maps_to_bt81():
    invoice = example("services.json")
    assert invoice.seller.siren == "987654324"
    assert invoice.payment_means.code is PaymentMeansCode.CREDIT_TRANSFER
    assert invoice.payment_means.chorus_mode is ChorusPaymentMode.VIREMENT
    assert invoice.payment_means.iban == "FR7630006000011234567890189"  # spaces removed


def test_gross_price_without_discount_is_folded_away():
    data = example_data("services.json")
    data["lines"][0].update(gross_price="65.00")
    line = Invoice.model_validate(data).lines[0]
    assert line.gross_price is None and line.price_discount is None


def test_exemption_reasons_move_into_the_breakdown():
    invoice = example("exemption.json")
    (entry,) = invoice.vat_breakdown
    assert entry.category == "E" and entry.rate == 0 and entry.exemption_reason_code == "VATEX-EU-132-1I"
    assert invoice.vat_exemptions == []


def test_unknown_fields_are_rejected():
    data = example_data("services.json")
    data["seller"]["sirett"] = "1"
    with pytest.raises(ValidationError, match="sirett"):
        Invoice.model_validate(data)


def test_enumerations_from_the_reference():
    assert BillingFrame.parse("A1_FACTURE_FOURNISSEUR") is BillingFrame.A1
    assert BillingFrame.A4.is_works and not BillingFrame.A9.is_works
    assert BillingFrame.A25.api_code == "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE"
    assert OutputFormat.FACTURX.syntaxe_flux == "IN_DP_E2_CII_FACTURX"
    assert OutputFormat.CII.syntaxe_flux == "IN_DP_E1_CII_16B"
    assert OutputFormat.UBL.syntaxe_flux == "IN_DP_E1_UBL_INVOICE"
    assert Profile.from_level("BASIC WL") is Profile.BASIC_WL
