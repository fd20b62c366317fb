"""Invoices that each break one Chorus Pro or EN 16931 rule, caught with the right id and field."""

import copy
from collections.abc import Callable

import pytest
from validation_samples import example_data

from chorus_connect.invoice import Invoice, OutputFormat, Profile
from chorus_connect.validation import CheckOptions, Severity, check_invoice
from chorus_connect.validation.chorus_rules import ChorusContext, check_chorus

Mutation = Callable[[dict], None]


def _set(path: str, value: object) -> Mutation:
    def mutate(data: dict) -> None:
        *parents, last = path.split(".")
        target = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            target.pop(last, None)
        else:
            target[last] = value

    return mutate


_DELETE = object()


def _all(*mutations: Mutation) -> Mutation:
    def mutate(data: dict) -> None:
        for mutation in mutations:
            mutation(data)

    return mutate


ATTACHMENT = {
    "id": "PJ-1",
    "filename": "bon-de-livraison.pdf",
    "mime_code": "application/pdf",
    "content": "JVBERi0xLjQ=",
}

# (case id, example, mutation, expected rule id, expected field path, options)
CASES = [
    (
        "seller-siret-missing",
        "services.json",
        _set("seller.siret", _DELETE),
        "CPRO-ID-01",
        "seller.siret",
        {},
    ),
    ("buyer-siret-missing", "services.json", _set("buyer.siret", _DELETE), "CPRO-ID-02", "buyer.siret", {}),
    (
        "buyer-siren-instead-of-siret",
        "services.json",
        _set("buyer.siret", "217500016"),
        "CPRO-ID-03",
        "buyer.siret",
        {},
    ),
    (
        "siret-luhn-production",
        "services.json",
        _set("buyer.siret", "21750001600011"),
        "CPRO-ID-04",
        "buyer.siret",
        {"production": True},
    ),
    (
        "siren-not-prefix-of-siret",
        "services.json",
        _set("seller.siren", "123456782"),
        "CPRO-ID-05",
        "seller.siren",
        {},
    ),
    ("no-payment-means", "services.json", _set("payment_means", _DELETE), "CPRO-PAY-01", "payment_means", {}),
    (
        "transfer-without-iban",
        "services.json",
        _set("payment_means.iban", _DELETE),
        "CPRO-PAY-02",
        "payment_means.iban",
        {},
    ),
    (
        "transfer-bad-iban",
        "services.json",
        _set("payment_means.iban", "FR7630006000011234567890188"),
        "CPRO-PAY-04",
        "payment_means.iban",
        {},
    ),
    (
        "credit-note-with-payment-mode",
        "credit-note.json",
        _set("payment_means", {"mode": "VIREMENT", "iban": "FR7630006000011234567890189"}),
        "CPRO-PAY-03",
        "payment_means",
        {},
    ),
    ("credit-note-negative", "credit-note.json", _set("lines.0.quantity", "-2"), "CPRO-AVR-01", "totals", {}),
    (
        "foreign-seller-without-identifier",
        "services.json",
        _all(_set("seller.siret", _DELETE), _set("seller.address.country_code", "DE")),
        "CPRO-ID-01",
        "seller.other_ids",
        {},
    ),
    ("buyer-name-too-long", "services.json", _set("buyer.name", "B" * 100), "CPRO-TXT-01", "buyer.name", {}),
    (
        "item-description-too-long",
        "services.json",
        _set("lines.0.description", "D" * 1025),
        "CPRO-TXT-01",
        "lines[0].description",
        {},
    ),
    (
        "seller-address-too-long",
        "services.json",
        _set("seller.address.line1", "R" * 401),
        "CPRO-TXT-01",
        "seller.address.line1",
        {},
    ),
    (
        "two-preceding-invoices",
        "credit-note.json",
        _set("preceding_invoices", [{"number": "FA-1"}, {"number": "FA-2"}]),
        "CPRO-CARD-01",
        "preceding_invoices",
        {},
    ),
    ("foreign-currency", "services.json", _set("currency", "USD"), "CPRO-CUR-01", "currency", {}),
    (
        "quantity-over-19-digits",
        "services.json",
        _set("lines.0.quantity", "12345678901234567.891"),
        "CPRO-LIN-02",
        "lines[0].quantity",
        {},
    ),
    (
        "credit-note-without-origin",
        "credit-note.json",
        _set("preceding_invoices", []),
        "CPRO-AVR-02",
        "preceding_invoices",
        {},
    ),
    (
        "gross-minus-discount-not-net",
        "services.json",
        _all(_set("lines.0.gross_price", "70.00"), _set("lines.0.price_discount", "10.00")),
        "CPRO-LIN-01",
        "lines[0].price_discount",
        {},
    ),
    (
        "quantity-too-precise",
        "services.json",
        _set("lines.0.quantity", "12.00001"),
        "CPRO-LIN-02",
        "lines[0].quantity",
        {},
    ),
    (
        "line-net-amount-wrong",
        "services.json",
        _set("lines.1.net_amount", "450.00"),
        "CALC-01",
        "lines[1].net_amount",
        {},
    ),
    (
        "engagement-too-long",
        "services.json",
        _set("engagement_number", "E" * 51),
        "CPRO-EJ-01",
        "engagement_number",
        {},
    ),
    (
        "service-code-bad-char",
        "services.json",
        _set("service_code", "SERVICE/INFO"),
        "CPRO-SRV-01",
        "service_code",
        {},
    ),
    (
        "factures-publiques-private",
        "services.json",
        _set("service_code", "FACTURES_PUBLIQUES"),
        "CPRO-SRV-02",
        "service_code",
        {},
    ),
    ("market-too-long", "services.json", _set("market_number", "M" * 51), "CPRO-MKT-01", "market_number", {}),
    (
        "invoice-number-too-long",
        "services.json",
        _set("number", "FA-2026-000000000042" + "X"),
        "CPRO-NUM-01",
        "number",
        {},
    ),
    ("invoice-number-bad-char", "services.json", _set("number", "FA#42"), "CPRO-NUM-01", "number", {}),
    ("a2-with-amount-due", "services.json", _set("billing_frame", "A2"), "CPRO-CAD-01", "totals.payable", {}),
    (
        "works-frame",
        "services.json",
        _set("billing_frame", "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"),
        "CPRO-CAD-02",
        "billing_frame",
        {},
    ),
    (
        "billing-frame-not-chorus",
        "services.json",
        _set("billing_frame", "B1"),
        "CPRO-CAD-04",
        "billing_frame",
        {},
    ),
    (
        "attachment-without-content",
        "services.json",
        _set("attachments", [{"id": "BC-12"}]),
        "CPRO-PJ-01",
        "attachments[0].content",
        {},
    ),
    (
        "attachment-no-extension",
        "services.json",
        _set("attachments", [{**ATTACHMENT, "filename": "bon"}]),
        "CPRO-PJ-02",
        "attachments[0].filename",
        {},
    ),
    (
        "attachment-name-too-long",
        "services.json",
        _set("attachments", [{**ATTACHMENT, "filename": "b" * 47 + ".pdf"}]),
        "CPRO-PJ-02",
        "attachments[0].filename",
        {},
    ),
    (
        "attachment-extension",
        "services.json",
        _set("attachments", [{**ATTACHMENT, "filename": "outil.exe"}]),
        "CPRO-PJ-03",
        "attachments[0].filename",
        {},
    ),
    (
        "vat-breakdown-wrong",
        "services.json",
        _set(
            "vat_breakdown",
            [{"category": "S", "rate": "20", "taxable_amount": "1185.00", "tax_amount": "237.01"}],
        ),
        "CALC-02",
        "vat_breakdown",
        {},
    ),
    (
        "total-wrong",
        "services.json",
        _set("totals", {"tax_inclusive": "1422.01"}),
        "CALC-03",
        "totals.tax_inclusive",
        {},
    ),
    (
        "minimum-profile",
        "services.json",
        lambda data: None,
        "CPRO-FX-01",
        "profile",
        {"profile": Profile.MINIMUM},
    ),
    (
        "payment-mode-autre-outside-s2.05",
        "services.json",
        _set("payment_means", {"mode": "AUTRE"}),
        "CPRO-PAY-05",
        "payment_means.code",
        {},
    ),
    (
        "payment-mode-autre-outside-s2.05-ubl",
        "services.json",
        _set("payment_means", {"mode": "AUTRE"}),
        "CPRO-PAY-05",
        "payment_means.code",
        {"target": OutputFormat.UBL},
    ),
    (
        "siret-under-another-scheme",
        "services.json",
        _all(
            _set("buyer.siret", _DELETE),
            _set("buyer.other_ids", [{"value": "21750001600019", "scheme": "1"}]),
        ),
        "CPRO-ID-06",
        "buyer.other_ids",
        {},
    ),
    (
        "seller-identified-by-vat-number",
        "services.json",
        _all(
            _set("seller.siret", _DELETE),
            _set("seller.other_ids", [{"value": "FR32987654321", "scheme": "9957"}]),
        ),
        "CPRO-ID-01",
        "seller.siret",
        {},
    ),
    (
        "markup-in-a-note",
        "services.json",
        _set("notes", [{"text": "<p>Merci</p>"}]),
        "CPRO-TXT-02",
        "notes[0].text",
        {},
    ),
    (
        "empty-attachment",
        "services.json",
        _set("attachments", [{**ATTACHMENT, "content": ""}]),
        "CPRO-PJ-04",
        "attachments[0].content",
        {},
    ),
    (
        "foreign-currency-ubl",
        "services.json",
        _set("currency", "USD"),
        "CPRO-CUR-01",
        "currency",
        {"target": OutputFormat.UBL},
    ),
    # EN 16931 rules, found by the official schematrons (Factur-X for CII, CEN for UBL)
    (
        "BR-CO-26-no-seller-identifier",
        "services.json",
        _all(_set("seller.siret", _DELETE), _set("seller.vat_id", _DELETE)),
        "BR-CO-26",
        "seller.siret",
        {},
    ),
    (
        "BR-CO-26-ubl",
        "services.json",
        _all(_set("seller.siret", _DELETE), _set("seller.vat_id", _DELETE)),
        "BR-CO-26",
        "seller.siret",
        {"target": OutputFormat.UBL},
    ),
    (
        "BR-E-10-exemption-without-reason",
        "exemption.json",
        _set("vat_exemptions", []),
        "BR-E-10",
        "vat_exemptions",
        {},
    ),
    (
        "BR-E-10-ubl",
        "exemption.json",
        _set("vat_exemptions", []),
        "BR-E-10",
        "vat_exemptions",
        {"target": OutputFormat.UBL},
    ),
    (
        "BR-S-02-no-seller-vat",
        "services.json",
        _set("seller.vat_id", _DELETE),
        "BR-S-02",
        "seller.vat_id",
        {},
    ),
    (
        "BR-S-05-standard-rate-zero",
        "services.json",
        _set("lines.0.vat_rate", "0"),
        "BR-S-05",
        "lines[0].vat_rate",
        {},
    ),
    (
        "BR-CO-15-grand-total",
        "services.json",
        _set("totals", {"tax_inclusive": "1422.01"}),
        "BR-CO-15",
        "totals.tax_inclusive",
        {},
    ),
    (
        "BR-CO-10-line-total",
        "services.json",
        _set("totals", {"line_total": "1000.00"}),
        "BR-CO-10",
        "totals.line_total",
        {},
    ),
    (
        "BR-CO-09-vat-prefix",
        "services.json",
        _set("seller.vat_id", "32987654324"),
        "BR-CO-09",
        "seller.vat_id",
        {},
    ),
    (
        "CII-SR-470-transfer-without-account",
        "services.json",
        _set("payment_means.iban", _DELETE),
        "CII-SR-470",
        "payment_means.iban",
        {},
    ),
    (
        "BR-61-ubl",
        "services.json",
        _set("payment_means.iban", _DELETE),
        "BR-61",
        "payment_means.iban",
        {"target": OutputFormat.UBL},
    ),
    (
        "BR-27-negative-price",
        "services.json",
        _set("lines.0.net_price", "-65.00"),
        "BR-27",
        "lines[0].net_price",
        {},
    ),
    (
        "BR-27-ubl",
        "services.json",
        _set("lines.0.net_price", "-65.00"),
        "BR-27",
        "lines[0].net_price",
        {"target": OutputFormat.UBL},
    ),
]


@pytest.mark.parametrize(
    ("case", "name", "mutate", "rule_id", "path", "options"), CASES, ids=[c[0] for c in CASES]
)
def test_each_broken_invoice_is_caught_with_its_rule_and_field(case, name, mutate, rule_id, path, options):
    data = copy.deepcopy(example_data(name))
    mutate(data)
    report = check_invoice(Invoice.model_validate(data), CheckOptions(**options))
    hits = [(f.rule_id, f.path) for f in report.findings]
    assert (rule_id, path) in hits, hits
    assert all(f.message for f in report.findings)


def test_luhn_is_not_checked_outside_production():
    data = example_data("services.json")
    data["buyer"]["siret"] = "21750001600011"
    report = check_invoice(Invoice.model_validate(data))
    assert "CPRO-ID-04" not in report.rule_ids() and report.ok


def test_la_poste_sirets_use_their_own_checksum():
    data = example_data("services.json")
    data["buyer"]["siret"] = "35600000000048"  # digit sum 26: not a multiple of 5
    findings = check_chorus(Invoice.model_validate(data), ChorusContext(production=True))
    assert [f.rule_id for f in findings] == ["CPRO-ID-04"]
    data["buyer"]["siret"] = "35600000000015"  # digit sum 20
    assert check_chorus(Invoice.model_validate(data), ChorusContext(production=True)) == []


def test_factures_publiques_is_allowed_to_a_public_supplier():
    data = example_data("services.json")
    data["service_code"] = "FACTURES_PUBLIQUES"
    findings = check_chorus(Invoice.model_validate(data), ChorusContext(supplier_public=True))
    assert "CPRO-SRV-02" not in {f.rule_id for f in findings}


def test_oversized_attachments():
    data = example_data("services.json")
    data["attachments"] = [{**ATTACHMENT, "content": None}]
    invoice = Invoice.model_validate(data)
    invoice.attachments[0].content = b"x" * (10 * 1024 * 1024 + 1)
    findings = check_chorus(invoice)
    assert ("CPRO-PJ-04", "attachments[0].content") in {(f.rule_id, f.path) for f in findings}


def test_valid_examples_have_no_error_in_any_format():
    for name in ("services.json", "goods.json", "exemption.json", "credit-note.json", "works-situation.json"):
        for target in OutputFormat:
            report = check_invoice(Invoice.model_validate(example_data(name)), CheckOptions(target=target))
            assert report.ok, (name, target, [(f.rule_id, f.path) for f in report.errors])
            assert all(f.severity is not Severity.ERROR for f in report.findings)


def test_reform_frame_codes_are_an_option():
    data = example_data("services.json")
    data["billing_frame"] = "S1"
    invoice = Invoice.model_validate(data)
    assert "CPRO-CAD-04" in check_invoice(invoice).rule_ids()
    lenient = check_invoice(invoice, CheckOptions(refuse_reform_frame_codes=False))
    assert "CPRO-CAD-04" not in lenient.rule_ids()
    data["billing_frame"] = "Z9"  # not a reform code either: still refused
    assert (
        "CPRO-CAD-04"
        in check_invoice(
            Invoice.model_validate(data), CheckOptions(refuse_reform_frame_codes=False)
        ).rule_ids()
    )


def test_markup_warning_is_only_a_warning_and_plain_text_is_silent():
    data = example_data("services.json")
    data["notes"] = [{"text": "Livraison < 3 jours, remise > 2 %"}]  # comparisons, not tags
    assert "CPRO-TXT-02" not in check_invoice(Invoice.model_validate(data)).rule_ids()
    data["notes"] = [{"text": "<b>urgent</b>"}]
    report = check_invoice(Invoice.model_validate(data))
    assert report.ok and {f.severity for f in report.findings if f.rule_id == "CPRO-TXT-02"} == {
        Severity.WARNING
    }
