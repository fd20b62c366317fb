"""`chorus demo` end to end through the CLI: the embedded simulator, a new SQLite store in a temporary
directory, the bundled samples followed to their end, the summary table, summary.json and report.html.

One run is shared by the module's tests (it takes a few seconds); the outcomes are read back from the
store the demo leaves behind and from the simulator's own counters (written to summary.json)."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from typer.testing import CliRunner, Result

from chorus_connect.cli.main import app
from chorus_connect.store import InvoiceRecord, Store

# What each bundled sample must end as: (engine status, Chorus status, terminal).
EXPECTED = {
    "01-services": ("integrated", "MISE_EN_PAIEMENT", True),
    "02-goods": ("integrated", "MISE_EN_PAIEMENT", True),
    "03-exemption": ("integrated", "MISE_EN_PAIEMENT", True),
    "04-works-situation": ("integrated", "MISE_EN_PAIEMENT", True),
    "05-missing-engagement": ("check_failed", None, False),
    "06-suspended": ("integrated", "MISE_EN_PAIEMENT", True),
    "07-to-recycle": ("integrated", "MISE_EN_PAIEMENT", True),
    "08-rejected": ("integrated", "REJETEE", True),
    "09-payment-not-reported": ("integrated", "MANDATEE", True),
}


@dataclass
class DemoRun:
    result: Result
    out: Path

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.out / "summary.json").read_text(encoding="utf-8"))

    def document(self, key: str) -> dict[str, Any]:
        return json.loads((self.out / "invoices" / f"{key}.json").read_text(encoding="utf-8"))

    def number(self, key: str) -> str:
        return self.document(key)["number"]

    def store(self) -> Store:
        return Store.open(f"sqlite:///{self.out / 'chorus-demo.sqlite3'}", environ={})

    def record(self, key: str) -> InvoiceRecord:
        with self.store() as store, store.read() as tx:
            page = tx.invoices.search(limit=100)
            [found] = [r for r in page.items if r.number == self.number(key)]
            tx.session.expunge(found)
            return found

    def history(self, key: str) -> list[Any]:
        invoice_id = self.record(key).id
        with self.store() as store, store.read() as tx:
            events = tx.invoices.history(invoice_id)
            tx.session.expunge_all()
            return events


def run_demo(out: Path, *extra: str) -> DemoRun:
    result = CliRunner().invoke(app, ["demo", "--out", str(out), *extra], env={"COLUMNS": "220"})
    return DemoRun(result, out)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    run = run_demo(tmp_path_factory.mktemp("demo") / "chorus-demo")
    assert run.result.exit_code == 0, run.result.output
    return run


def test_the_command_prints_a_summary_row_per_invoice_and_names_its_files(demo):
    output = demo.result.output
    for key, (status, chorus, _terminal) in EXPECTED.items():
        rows = [line for line in output.splitlines() if f"│ {demo.number(key)} " in line]
        assert rows, f"no summary row for {key}"
        assert (chorus or status) in rows[0], rows[0]
    assert str(demo.out / "report.html") in output.replace("\n", "")
    assert "never sent: " + demo.number("05-missing-engagement") in output


def test_every_sample_ends_with_its_expected_status(demo):
    with demo.store() as store, store.read() as tx:
        assert tx.invoices.search(limit=100).total == len(EXPECTED)
    for key, (status, chorus, terminal) in EXPECTED.items():
        record = demo.record(key)
        final = (record.status.value, record.chorus_status, record.is_terminal)
        assert final == (status, chorus, terminal), key


def test_the_invoice_missing_its_engagement_is_stopped_by_the_checks_and_never_deposited(demo):
    record = demo.record("05-missing-engagement")
    errors = [f for f in record.findings if f["severity"] == "error"]
    assert [(f["rule_id"], f["path"]) for f in errors] == [("CPRO-DEST-06", "engagement_number")]
    with demo.store() as store, store.read() as tx:
        assert tx.deposits.attempts(invoice_id=record.id) == []
    assert record.flux_number is None and record.chorus_invoice_id is None

    stats = demo.summary["simulator_stats"]
    siret = demo.summary["supplier"]["siret"]
    received = stats["invoice_numbers_by_supplier"][siret]
    deposited = sorted(demo.number(key) for key in EXPECTED if key != "05-missing-engagement")
    assert sorted(received) == deposited  # each deposited invoice exactly once, the stopped one never
    assert stats["deposits_by_supplier"][siret] == len(deposited)


def test_the_suspended_invoice_is_completed_with_a_pdf_and_a_comment(demo):
    events = demo.history("06-suspended")
    chorus = [e.chorus_status for e in events if e.chorus_status]
    assert chorus.index("SUSPENDUE") < chorus.index("COMPLETEE") < chorus.index("MISE_EN_PAIEMENT")
    [completion] = [e for e in events if (e.details or {}).get("action") == "complete"]
    [attachment] = completion.details["attachments"]
    assert attachment["file_name"].endswith(".pdf") and completion.details["comment"]
    with demo.store() as store, store.read() as tx:
        content = tx.files.content(attachment["file_id"])
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) == 1
    assert demo.summary["simulator_stats"]["attachments"] == 1


def test_the_invoice_to_recycle_is_recycled_with_the_buyers_engagement_then_paid(demo):
    wrong = demo.document("07-to-recycle")["engagement_number"]
    events = demo.history("07-to-recycle")
    recycle_request = next(e for e in events if e.chorus_status == "A_RECYCLER")
    assert wrong in recycle_request.comment  # the buyer's motif names the unknown engagement
    [recycling] = [e for e in events if (e.details or {}).get("action") == "recycle"]
    right = recycling.details["after"]["engagement_number"]
    assert recycling.details["before"]["engagement_number"] == wrong and right != wrong
    assert demo.record("07-to-recycle").engagement_number == right
    warnings = [f["rule_id"] for f in demo.record("07-to-recycle").findings if f["severity"] == "warning"]
    assert "CPRO-DEST-08" in warnings  # the checks had said the buyer would send it back


def test_the_rejected_invoice_keeps_the_buyers_motif(demo):
    [rejection] = [e for e in demo.history("08-rejected") if e.chorus_status == "REJETEE"]
    assert len(rejection.comment) > len("Chorus status REJETEE: ")


def test_the_works_situation_inherits_its_routing_from_the_market(demo):
    document = demo.document("04-works-situation")
    assert "service_code" not in document and "engagement_number" not in document
    record = demo.record("04-works-situation")
    assert record.market_id is not None and record.market_number == document["market_number"]
    assert record.service_code and record.engagement_number


def test_the_report_names_every_invoice_with_its_outcome(demo):
    html = (demo.out / "report.html").read_text(encoding="utf-8")
    for key, (status, chorus, _terminal) in EXPECTED.items():
        number = demo.number(key)
        row = re.search(rf'<tr [^>]*data-invoice="{re.escape(number)}" data-status="([A-Za-z_]+)"', html)
        assert row is not None and row.group(1) == (chorus or status), key
        section = html.split(f'id="{number}"', 1)[1].split("<section", 1)[0]
        assert (chorus or status) in section and "Timeline" in section
    assert "CPRO-DEST-06" in html and "bon" in html.lower()


def test_a_second_run_starts_afresh_and_gives_the_same_outcomes(demo, tmp_path):
    again = run_demo(tmp_path / "again")
    assert again.result.exit_code == 0, again.result.output
    first = [(i["number"], i["final_status"], i["summary"]) for i in demo.summary["invoices"]]
    second = [(i["number"], i["final_status"], i["summary"]) for i in again.summary["invoices"]]
    assert first == second
    rerun = run_demo(again.out)  # the same directory: the previous store and files are replaced
    assert rerun.result.exit_code == 0, rerun.result.output
    with rerun.store() as store, store.read() as tx:
        assert tx.invoices.search(limit=100).total == len(EXPECTED)


def test_the_samples_fit_another_data_set(tmp_path):
    run = run_demo(tmp_path / "seed7", "--seed", "7")
    assert run.result.exit_code == 0, run.result.output
    finals = {i["key"]: i["final_status"] for i in run.summary["invoices"]}
    assert finals == {key: chorus or status for key, (status, chorus, _t) in EXPECTED.items()}


def test_an_output_path_that_is_a_file_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    result = run_demo(blocker).result
    assert result.exit_code == 1
    assert "is not a directory" in result.output and "--out" in result.output
    assert "Traceback" not in result.output
