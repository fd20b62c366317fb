import json

from typer.testing import CliRunner
from validation_samples import EXAMPLES, example_data

from chorus_connect.cli.main import app

runner = CliRunner()


def test_check_reports_valid_examples_and_exits_zero():
    result = runner.invoke(app, ["check", str(EXAMPLES / "services.json"), str(EXAMPLES / "services.csv")])
    assert result.exit_code == 0, result.output
    assert "services.json" in result.output and "0 error(s)" in result.output


def test_check_json_output_and_non_zero_exit_on_errors(tmp_path):
    data = example_data("services.json")
    data["service_code"] = "SERVICE/INFO"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["check", "--json", str(path)])
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)["reports"]
    assert report["ok"] is False
    assert {"rule_id": "CPRO-SRV-01", "path": "service_code"}.items() <= report["findings"][0].items()


def test_check_unreadable_file_exits_two_with_the_field(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"number": "X"}', encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "issue_date" in result.output and "Traceback" not in result.output


def test_convert_writes_each_format_and_says_its_syntaxe_flux(tmp_path):
    for fmt, flux in (
        ("facturx", "IN_DP_E2_CII_FACTURX"),
        ("cii", "IN_DP_E1_CII_16B"),
        ("ubl", "IN_DP_E1_UBL_INVOICE"),
    ):
        out = tmp_path / f"out-{fmt}"
        result = runner.invoke(app, ["convert", str(EXAMPLES / "goods.json"), "--to", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert flux in result.output and out.stat().st_size > 0
        assert runner.invoke(app, ["check", str(out)]).exit_code == 0


def test_convert_refuses_an_invoice_with_errors_unless_forced(tmp_path):
    data = example_data("services.json")
    del data["payment_means"]
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out.xml"
    refused = runner.invoke(app, ["convert", str(source), "--to", "cii", "--out", str(out)])
    assert refused.exit_code == 1 and not out.exists() and "CPRO-PAY-01" in refused.output
    forced = runner.invoke(app, ["convert", str(source), "--to", "cii", "--out", str(out), "--force"])
    assert forced.exit_code == 0 and out.exists()


def test_convert_embeds_into_the_users_own_pdf(tmp_path):
    own = tmp_path / "own.pdf"
    assert (
        runner.invoke(
            app, ["convert", str(EXAMPLES / "credit-note.json"), "--to", "facturx", "--out", str(own)]
        ).exit_code
        == 0
    )
    out = tmp_path / "out.pdf"
    result = runner.invoke(
        app,
        ["convert", str(EXAMPLES / "goods.json"), "--to", "facturx", "--pdf", str(own), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    check = runner.invoke(app, ["check", "--json", str(out)])
    assert json.loads(check.stdout)["reports"][0]["source"].endswith("(factur-x.xml)")
