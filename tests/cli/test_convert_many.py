"""`chorus convert FILE... --out-dir DIR`: one checked file per invoice, written batch by batch."""

import copy
import json
from pathlib import Path

from typer.testing import CliRunner

from chorus_connect.cli.invoices import BATCH_SIZE
from chorus_connect.cli.main import app
from chorus_connect.invoice import Invoice, OutputFormat, load_invoice
from chorus_connect.validation import CheckOptions, write_checked

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOODS = json.loads((EXAMPLES / "goods.json").read_text(encoding="utf-8"))


def goods(number: str, **changes: object) -> dict:
    data = copy.deepcopy(GOODS)
    data["number"] = number
    data.update(changes)
    return data


def write_json(path, payload) -> str:
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_every_invoice_of_every_file_gets_its_own_checked_file(tmp_path):
    many = write_json(tmp_path / "batch.json", [goods(f"FA-{n:03d}") for n in range(BATCH_SIZE + 5)])
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["convert", many, str(EXAMPLES / "services.csv"), "--to", "facturx", "--out-dir", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {BATCH_SIZE + 6} of {BATCH_SIZE + 6} invoice(s)" in result.output
    written = sorted(path.name for path in out.iterdir())
    assert written == sorted([f"FA-{n:03d}.pdf" for n in range(BATCH_SIZE + 5)] + ["FA-2026-0050.pdf"])
    # Past the first batch too, the bytes are those of the one-invoice path, and they read back.
    last = Invoice.model_validate(goods(f"FA-{BATCH_SIZE + 4:03d}"))
    expected = write_checked(last, CheckOptions(target=OutputFormat.FACTURX)).output
    assert expected is not None and (out / f"FA-{BATCH_SIZE + 4:03d}.pdf").read_bytes() == expected.data
    assert load_invoice(out / "FA-2026-0050.pdf").number == "FA-2026-0050"
    assert runner.invoke(app, ["check", "--offline", *map(str, sorted(out.iterdir()))]).exit_code == 0


def test_an_invoice_with_errors_is_held_back_and_the_others_are_written(tmp_path):
    bad = goods("FA-BAD", service_code="SERVICE/INFO")
    source = write_json(tmp_path / "mixed.json", [goods("FA-OK-1"), bad, goods("FA-OK-2")])
    out = tmp_path / "out"
    result = runner.invoke(app, ["convert", source, "--to", "cii", "--out-dir", str(out)])
    assert result.exit_code == 1
    assert "CPRO-SRV-01" in result.output and "Wrote 2 of 3 invoice(s)" in result.output
    assert sorted(path.name for path in out.iterdir()) == ["FA-OK-1.xml", "FA-OK-2.xml"]
    forced = runner.invoke(app, ["convert", source, "--to", "cii", "--out-dir", str(out), "--force"])
    assert forced.exit_code == 0 and (out / "FA-BAD.xml").exists()


def test_forcing_a_page_that_cannot_be_drawn_still_writes_the_rest_of_the_batch(tmp_path):
    undrawable = goods("FA-CJK")
    undrawable["lines"][0]["name"] = "紙"
    source = write_json(tmp_path / "mixed.json", [goods("FA-1"), undrawable, goods("FA-2")])
    out = tmp_path / "out"
    result = runner.invoke(app, ["convert", source, "--to", "facturx", "--out-dir", str(out), "--force"])
    assert result.exit_code == 1, result.output
    assert "FA-CJK" in result.output and "cannot be rendered" in result.output and "--pdf" in result.output
    assert sorted(path.name for path in out.iterdir()) == ["FA-1.pdf", "FA-2.pdf"]


def test_two_invoices_with_one_number_write_nothing(tmp_path):
    first = write_json(tmp_path / "a.json", goods("FA-7"))
    second = write_json(tmp_path / "b.json", goods("FA-7"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["convert", first, second, "--to", "ubl", "--out-dir", str(out)])
    assert result.exit_code == 2
    assert "FA-7" in result.output and "b.json" in result.output and "a.json" in result.output
    assert not out.exists()


def test_an_unreadable_file_is_reported_and_the_readable_ones_are_converted(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"number": "X"}', encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["convert", str(broken), str(EXAMPLES / "goods.json"), "--to", "cii", "--out-dir", str(out)]
    )
    assert result.exit_code == 2
    assert "broken.json" in result.output and "issue_date" in result.output
    assert [path.name for path in out.iterdir()] == ["FA-2026-0043.xml"]


def test_out_is_for_one_invoice_and_out_dir_for_many(tmp_path):
    many = write_json(tmp_path / "two.json", [goods("FA-1"), goods("FA-2")])
    single = runner.invoke(app, ["convert", many, "--to", "cii", "--out", str(tmp_path / "x.xml")])
    assert single.exit_code == 2 and "--out-dir" in single.output
    assert not (tmp_path / "x.xml").exists()
    neither = runner.invoke(app, ["convert", many, "--to", "cii"])
    both = runner.invoke(app, ["convert", many, "--to", "cii", "--out", "x", "--out-dir", "y"])
    for result in (neither, both):
        assert result.exit_code == 2 and "--out-dir" in result.output
    own_pdf = runner.invoke(
        app, ["convert", many, "--to", "facturx", "--pdf", many, "--out-dir", str(tmp_path / "d")]
    )
    assert own_pdf.exit_code == 2 and "--pdf" in own_pdf.output
