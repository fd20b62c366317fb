"""Property: any valid model instance gives XML that passes the XSD and both schematrons.

The texts range over all of Unicode, so the only finding a valid instance may get is CPRO-FX-04 (a
character the Factur-X page cannot draw), and then exactly for the characters the renderer refuses.
"""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from validation_samples import example_data

from chorus_connect.invoice import Invoice, OutputFormat
from chorus_connect.invoice.facturx import PageRenderError, display_texts, render_pdf, unprintable_characters
from chorus_connect.validation import CheckOptions, check_invoice

RATES = [("S", "20"), ("S", "10"), ("S", "5.5"), ("S", "2.1"), ("Z", "0"), ("E", None)]
UNITS = ["C62", "HUR", "DAY", "KGM", "MTR"]
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs"), exclude_characters="\x85"),
    min_size=1,
    max_size=30,
).map(lambda s: s.strip() or "x")
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)
quantity = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("9999"), places=3)


@st.composite
def lines(draw):
    count = draw(st.integers(min_value=1, max_value=5))
    result = []
    for index in range(count):
        category, rate = draw(st.sampled_from(RATES))
        line = {
            "id": str(index + 1),
            "name": draw(TEXT),
            "quantity": str(draw(quantity)),
            "unit_code": draw(st.sampled_from(UNITS)),
            "net_price": str(draw(money)),
            "vat_category": category,
        }
        if rate is not None:
            line["vat_rate"] = rate
        if draw(st.booleans()):
            line["gross_price"] = str(Decimal(line["net_price"]) + draw(money))
        result.append(line)
    return result


@st.composite
def invoices(draw):
    data = example_data("goods.json")
    data.pop("charges")
    data["number"] = draw(st.from_regex(r"[A-Z]{2}-[0-9]{1,10}", fullmatch=True))
    data["lines"] = draw(lines())
    data["vat_exemptions"] = [{"category": "E", "reason": "Exonération article 261 du CGI"}]
    data["notes"] = [{"text": draw(TEXT)}]
    if draw(st.booleans()):
        data["type_code"] = "381"
        data.pop("payment_means")
        data["preceding_invoices"] = [{"number": "FA-1", "issue_date": "2026-01-02"}]
    return Invoice.model_validate(data)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoice=invoices(), target=st.sampled_from(list(OutputFormat)))
def test_valid_model_instances_pass_xsd_and_schematrons(invoice, target):
    report = check_invoice(invoice, CheckOptions(target=target))
    assert report.layers_run[:2] in (["xsd", "schematron:factur-x-en16931"], ["xsd", "schematron:cen-ubl"])
    page_errors = [f for f in report.errors if f.rule_id == "CPRO-FX-04"]
    other_errors = [(f.rule_id, f.path, f.detail) for f in report.errors if f.rule_id != "CPRO-FX-04"]
    assert not other_errors
    undrawable = unprintable_characters(display_texts(invoice)) if target is OutputFormat.FACTURX else []
    assert [f.message.split("«")[1].split("»")[0].strip() for f in page_errors] == undrawable
    if target is OutputFormat.FACTURX:  # the renderer itself, not the rule's helper, is the judge
        assert _renders(invoice) is not bool(page_errors)


def _renders(invoice: Invoice) -> bool:
    try:
        render_pdf(invoice)
    except PageRenderError:
        return False
    return True
