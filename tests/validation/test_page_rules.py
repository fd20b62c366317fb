"""CPRO-FX-04: a character the rendered PDF/A page cannot draw is found at check time, not at queue time."""

import copy

import pytest
from validation_samples import example, example_data

from chorus_connect.invoice import Invoice, OutputFormat
from chorus_connect.invoice.facturx import PageRenderError, render_pdf, unprintable_characters
from chorus_connect.validation import CheckOptions, check_invoice, write_checked, write_checked_many

# A spread of scripts and symbols an invoice may carry: the verdict of the rule must be the renderer's.
CHARACTERS = ["é", "œ", "€", "’", "«", "Ж", "Ω", "ş", "ر", "א", "नि", "ไ", "紙", "한", "😀", "✓", "½", "™"]


def with_text(field: str, text: str) -> Invoice:
    data = copy.deepcopy(example_data("goods.json"))
    if field == "line":
        data["lines"][1]["name"] = f"Fournitures {text}"
    else:
        data["buyer"]["name"] = f"Lycée {text}"
    return Invoice.model_validate(data)


@pytest.mark.parametrize("char", CHARACTERS)
def test_the_rule_predicts_exactly_what_the_renderer_can_draw(char):
    invoice = with_text("buyer", char)
    flagged = "CPRO-FX-04" in check_invoice(invoice).rule_ids()
    try:
        render_pdf(invoice)
        rendered = True
    except PageRenderError:
        rendered = False
    assert flagged is not rendered
    assert flagged is bool(unprintable_characters([char]))


def test_the_finding_names_the_character_and_the_field():
    report = check_invoice(with_text("line", "紙 et papier"))
    [finding] = [f for f in report.findings if f.rule_id == "CPRO-FX-04"]
    assert finding.path == "lines[1].name"
    assert finding.severity == "error" and finding.layer == "file"
    assert "« 紙 » (U+7D19)" in finding.message and "CII ou UBL" in finding.message


def test_each_unprintable_character_is_reported_once():
    report = check_invoice(with_text("line", "紙紙 😀 紙"))
    assert [f.message.split("»")[0] for f in report.findings if f.rule_id == "CPRO-FX-04"] == [
        "Le caractère « 紙 ",
        "Le caractère « 😀 ",
    ]


def test_a_flagged_invoice_is_not_written_and_forcing_it_gives_a_clear_error():
    invoice = with_text("line", "紙")
    single = write_checked(invoice)
    assert single.output is None and single.report.rule_ids() == {"CPRO-FX-04"}
    assert single.report.findings == check_invoice(invoice).findings
    [batch] = write_checked_many([invoice])
    assert batch.output is None and "CPRO-FX-04" in batch.report.rule_ids()
    with pytest.raises(PageRenderError, match="cannot be rendered"):
        write_checked(invoice, force=True)


def test_written_reports_hold_the_page_layer_whatever_else_is_wrong():
    written = write_checked(example("goods.json"))
    assert written.output is not None and "page" in written.report.layers_run
    invoice = with_text("line", "紙")
    invoice.engagement_number = "EJ" * 30  # over 50 characters: stopped before any page is rendered
    for result in (write_checked(invoice), *write_checked_many([invoice])):
        assert result.output is None
        assert {"CPRO-FX-04", "CPRO-EJ-01"} <= result.report.rule_ids()


@pytest.mark.parametrize("target", [OutputFormat.CII, OutputFormat.UBL])
def test_xml_formats_have_no_page_to_render(target):
    report = check_invoice(with_text("line", "紙"), CheckOptions(target=target))
    assert "CPRO-FX-04" not in report.rule_ids() and "page" not in report.layers_run


def test_a_users_own_pdf_is_not_judged_by_the_rendered_page():
    own_pdf = render_pdf(example("goods.json"))
    result = write_checked(with_text("line", "紙"), pdf=own_pdf)
    assert result.output is not None and "CPRO-FX-04" not in result.report.rule_ids()
