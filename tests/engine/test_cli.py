"""`chorus invoices ...` on a store file, against the simulator: JSON listings, clear errors, exit codes."""

from __future__ import annotations

import json

import pytest
from engine_helpers import add_structure, invoice_data, write_json
from typer.testing import CliRunner

from chorus_connect.cli.main import app
from chorus_connect.store import Store


@pytest.fixture
def cli(sqlite_url, secret_key, monkeypatch):
    monkeypatch.setenv("CHORUS_STORE_URL", sqlite_url)
    monkeypatch.setenv("CHORUS_SECRET_KEY", secret_key)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> object:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result

    return run


@pytest.fixture
def acme(sqlite_url, secret_key, sim) -> str:
    store = Store.open(sqlite_url, secret_key=secret_key, environ={})
    add_structure(store, sim, name="acme")
    store.close()
    return "acme"


def test_import_check_deposit_sync_list_and_show(cli, acme, sim, tmp_path):
    path = write_json(tmp_path / "batch.json", [invoice_data(sim, f"CLI-{i}") for i in range(3)])
    imported = json.loads(cli("invoices", "import", str(path), "--structure", acme, "--json").stdout)
    ids = [item["id"] for item in imported["imported"]]
    assert len(ids) == 3

    checks = json.loads(cli("invoices", "check", "--all", "-s", acme, "--format", "cii", "--json").stdout)
    assert [c["status"] for c in checks] == ["checked"] * 3

    deposit = json.loads(
        cli("invoices", "deposit", "--all", "-s", acme, "--batch-size", "3", "--now", "--json").stdout
    )
    assert len(deposit["batches"]) == 1 and deposit["deposit"]["deposits"] == {"deposited": 1}

    sim.admin.advance_clock(seconds=10)
    [sync] = json.loads(cli("invoices", "sync", "--json").stdout)
    assert sync["integrated"] == 3 and sync["api_calls"] >= 1

    listing = json.loads(cli("invoices", "list", "--json", "--status", "integrated").stdout)
    assert listing["total"] == 3 and {row["status"] for row in listing["items"]} == {"integrated"}

    shown = json.loads(cli("invoices", "show", "CLI-1", "--json").stdout)
    assert shown["invoice"]["number"] == "CLI-1" and shown["invoice"]["flux_number"]
    assert [e["status"] for e in shown["history"]][:2] == ["imported", "checked"]
    assert shown["attempts"][0]["state"] == "confirmed"
    table = cli("invoices", "show", str(ids[0])).stdout
    assert "History" in table and "Possible actions" in table


def test_bad_input_gets_a_clear_error_and_an_exit_code(cli, acme, sim, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    result = cli("invoices", "import", str(broken), "-s", acme, code=2)
    assert "broken.json" in result.output and "Nothing was imported" in result.output
    ok = write_json(tmp_path / "ok.json", [invoice_data(sim, "CLI-E")])
    result = cli("invoices", "import", str(ok), "-s", "nobody", code=2)
    assert "nobody" in result.output and "List the structures" in result.output
    assert "No invoice" in cli("invoices", "show", "999", code=2).output
    assert "--all" in cli("invoices", "check", code=2).output
    assert "not auto" in cli("invoices", "check", "--all", "--format", "pdf", code=2).output


def test_a_forbidden_action_names_the_status_and_what_is_allowed(cli, acme, sim, tmp_path):
    path = write_json(tmp_path / "one.json", [invoice_data(sim, "CLI-F")])
    cli("invoices", "import", str(path), "-s", acme)
    result = cli("invoices", "complete", "CLI-F", "--comment", "x", code=1)
    assert "imported" in result.output and "SUSPENDUE" in result.output and "Allowed now" in result.output
    result = cli("invoices", "deposit", "CLI-F", code=1)
    assert "check it first" in result.output.lower() or "checked invoice" in result.output
