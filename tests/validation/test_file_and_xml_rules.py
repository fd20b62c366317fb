"""The rules on the deposited file (layer `file`) and on the XML itself, `check_file` on files the model
cannot read, and the `chorus check` / `chorus convert` plumbing around them (no simulator needed)."""

from __future__ import annotations

import io
import json

import pikepdf
import pytest
from typer.testing import CliRunner
from validation_samples import EXAMPLES, example, example_data

from chorus_connect.cli.main import app
from chorus_connect.invoice import Invoice, InvoiceInputError, OutputFormat, Profile, write_invoice
from chorus_connect.invoice.cii import write_cii
from chorus_connect.simulator.samples import sample_cii, sample_ubl
from chorus_connect.validation import CheckOptions, Severity, check_file, write_checked
from chorus_connect.validation.file_rules import DepositedFile, content_format, file_findings

runner = CliRunner()


def _ids(findings: list) -> list[tuple[str, str]]:
    return [(f.rule_id, f.severity.value) for f in findings]


@pytest.mark.parametrize("target", list(OutputFormat))
def test_the_content_tells_the_format(target):
    assert content_format(write_invoice(example("goods.json"), target).data) is target
    assert content_format(b'{"number": "1"}') is None and content_format(b"<other/>") is None


@pytest.mark.parametrize("target", list(OutputFormat))
def test_a_written_file_passes_its_own_file_rules(target):
    output = write_invoice(example("goods.json"), target)
    name = f"facture{target.extension}"
    assert file_findings(DepositedFile(output.data, name, target.syntaxe_flux), Profile.EN16931) == []


def test_declared_syntax_and_extension_must_match_the_content():
    pdf = write_invoice(example("goods.json"), OutputFormat.FACTURX).data
    findings = file_findings(DepositedFile(pdf, "facture.xml", OutputFormat.CII.syntaxe_flux))
    assert [(f.rule_id, f.path) for f in findings] == [
        ("CPRO-FILE-02", "syntaxe_flux"),
        ("CPRO-FILE-02", "file_name"),
    ]
    assert "IN_DP_E2_CII_FACTURX" in findings[0].message


def test_a_written_facturx_must_carry_the_xml_checked():
    invoice = example("goods.json")
    pdf = write_invoice(invoice, OutputFormat.FACTURX).data
    assert file_findings(DepositedFile(pdf), expected_xml=write_cii(invoice)) == []
    other = file_findings(DepositedFile(pdf), expected_xml=write_cii(example("services.json")))
    assert _ids(other) == [("CPRO-FX-02", "error")]


def _with_xmp(pdf: bytes, old: bytes, new: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        xmp = document.Root.Metadata.read_bytes()
        assert old in xmp
        document.Root.Metadata.write(xmp.replace(old, new))
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


def test_the_facturx_level_must_be_the_xmls_profile_and_the_markers_must_be_there():
    pdf = write_invoice(example("goods.json"), OutputFormat.FACTURX).data
    wrong_level = _with_xmp(pdf, b"<fx:ConformanceLevel>EN 16931<", b"<fx:ConformanceLevel>BASIC<")
    assert _ids(file_findings(DepositedFile(wrong_level))) == [("CPRO-FX-03", "warning")]
    not_pdfa3 = _with_xmp(pdf, b"<pdfaid:part>3<", b"<pdfaid:part>1<")
    (finding,) = file_findings(DepositedFile(not_pdfa3))
    assert (finding.rule_id, finding.severity) == (
        "CPRO-FX-03",
        Severity.ERROR,
    ) and "pdfaid:part" in finding.message


def test_an_oversized_file_is_an_error_of_the_file_layer():
    findings = file_findings(DepositedFile(b"<x/>" + b" " * (10 * 1024 * 1024)))
    assert [(f.rule_id, f.layer.value) for f in findings] == [("CPRO-FILE-01", "file")]


def test_xml_rules_read_ubl_too():
    empty = check_file(sample_ubl(payment_means_code=""), "empty.xml")[0]
    assert "CPRO-PAY-01" in empty.rule_ids() and "INPUT" in empty.rule_ids()
    converted = check_file(sample_ubl(currency="USD", tax_currency="EUR"), "usd.xml")[0]
    assert _ids([f for f in converted.findings if f.rule_id.startswith("CPRO-CUR")]) == [
        ("CPRO-CUR-02", "warning")
    ]
    schemed = sample_ubl(edit=lambda root: _scheme_name(root))
    assert "CPRO-ID-07" in check_file(schemed, "scheme.xml")[0].rule_ids()


def _scheme_name(root) -> None:
    company = root.find("{*}AccountingCustomerParty/{*}Party/{*}PartyLegalEntity/{*}CompanyID")
    company.set("schemeName", "SIRET")


def test_an_empty_payment_block_on_a_credit_note_is_not_reported():
    credit_note = sample_cii(type_code="381", preceding_invoice="F-1", payment_means_code="")
    report = check_file(credit_note, "avoir.xml")[0]
    assert "CPRO-PAY-01" not in report.rule_ids()


def test_what_is_not_an_invoice_file_stays_unreadable():
    with pytest.raises(InvoiceInputError):
        check_file(b"<other/>", "other.xml")
    with pytest.raises(InvoiceInputError):
        check_file(b"<rsm:CrossIndustryInvoice", "broken.xml")


def test_write_checked_refuses_what_the_file_rules_refuse_and_force_writes_it():
    data = example_data("services.json")
    data["payment_means"] = {"mode": "AUTRE"}  # an XML rule: code 1 is not in Chorus Pro's list
    invoice = Invoice.model_validate(data)
    refused = write_checked(invoice, CheckOptions(target=OutputFormat.CII))
    assert refused.output is None and "CPRO-PAY-05" in refused.report.rule_ids()
    assert write_checked(invoice, CheckOptions(target=OutputFormat.CII), force=True).output is not None


# --------------------------------------------------------------------------------------------- CLI


def test_check_without_a_connection_says_the_directory_was_skipped(monkeypatch):
    for name in ("CHORUS_CLIENT_ID", "CHORUS_CLIENT_SECRET", "CHORUS_TECH_LOGIN", "CHORUS_TECH_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CHORUS_ENVIRONMENT", raising=False)
    result = runner.invoke(app, ["check", "--json", str(EXAMPLES / "services.json")])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["recipient_checks"]["run"] is False
    assert "CHORUS_CLIENT_ID" in payload["recipient_checks"]["skipped_because"]
    assert "Recipient checks skipped" in result.stderr
    text = runner.invoke(app, ["check", str(EXAMPLES / "services.json")])
    assert "Recipient checks skipped" in text.output
    offline = runner.invoke(app, ["check", "--offline", str(EXAMPLES / "services.json")])
    assert "Recipient checks skipped" not in offline.output


def test_partial_credentials_are_named_not_a_traceback(monkeypatch):
    monkeypatch.setenv("CHORUS_CLIENT_ID", "abc")
    monkeypatch.delenv("CHORUS_CLIENT_SECRET", raising=False)
    result = runner.invoke(
        app, ["check", "--json", "--local", "http://127.0.0.1:9", str(EXAMPLES / "goods.json")]
    )
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "CHORUS_CLIENT_SECRET" in json.loads(result.stdout)["recipient_checks"]["skipped_because"]


def test_a_bad_local_url_or_environment_is_a_skipped_directory_not_a_traceback(monkeypatch):
    for name, value in (("CHORUS_CLIENT_ID", "a"), ("CHORUS_CLIENT_SECRET", "b"), ("CHORUS_TECH_LOGIN", "c")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CHORUS_TECH_PASSWORD", "d")
    for options in (["--local", "not-a-url"], ["-e", "staging"]):
        result = runner.invoke(app, ["check", "--json", *options, str(EXAMPLES / "goods.json")])
        assert result.exit_code == 0 and "Traceback" not in result.output, result.output
        assert json.loads(result.stdout)["recipient_checks"]["run"] is False


def test_check_reports_a_file_the_model_cannot_read_with_its_rule(tmp_path):
    path = tmp_path / "code57.xml"
    path.write_bytes(sample_cii(payment_means_code="57"))
    result = runner.invoke(app, ["check", "--json", "--offline", str(path)])
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)["reports"]
    assert {"CPRO-PAY-05", "INPUT"} <= {f["rule_id"] for f in report["findings"]}


def test_check_syntax_option_compares_the_content(tmp_path):
    path = tmp_path / "facture.xml"
    path.write_bytes(write_invoice(example("goods.json"), OutputFormat.UBL).data)
    wrong = runner.invoke(app, ["check", "--json", "--offline", "--syntax", "IN_DP_E1_CII_16B", str(path)])
    assert wrong.exit_code == 1 and "CPRO-FILE-02" in wrong.stdout
    right = runner.invoke(
        app, ["check", "--json", "--offline", "--syntax", "IN_DP_E1_UBL_INVOICE", str(path)]
    )
    assert right.exit_code == 0 and "CPRO-FILE-02" not in right.stdout


@pytest.mark.parametrize("target", list(OutputFormat))
def test_convert_writes_exactly_what_write_checked_checked(tmp_path, target):
    out = tmp_path / f"out{target.extension}"
    result = runner.invoke(
        app, ["convert", str(EXAMPLES / "goods.json"), "--to", target.value, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == write_checked(example("goods.json"), CheckOptions(target=target)).output.data


def test_convert_says_when_the_page_cannot_be_rendered(tmp_path):
    data = example_data("goods.json")
    data["lines"][0]["name"] = "漢字"  # no glyph in the page's fonts (PDF/A needs every glyph embedded)
    source = tmp_path / "cjk.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    command = ["convert", str(source), "--to", "facturx", "--out", str(tmp_path / "o.pdf")]
    checked = runner.invoke(app, command)  # the check finds it first (CPRO-FX-04), nothing is written
    assert checked.exit_code == 1 and "CPRO-FX-04" in checked.output and "File not written" in checked.output
    forced = runner.invoke(app, [*command, "--force"])
    assert forced.exit_code == 2 and "cannot be rendered" in forced.output
    for result in (checked, forced):
        assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    assert not (tmp_path / "o.pdf").exists()
