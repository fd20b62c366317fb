"""`chorus received ...` for a public buyer, against the real simulator and a real store (SQLite and
PostgreSQL): sync, list, show, download, approve, suspend, reject, and clear refusals."""

from __future__ import annotations

import io
import zipfile

import pytest
from cli_store_helpers import (  # noqa: F401  (the *_fixture names are fixtures)
    Chorus,
    add_args,
    chorus_fixture,
    database_url_fixture,
    put_received_invoice,
    secrets_env,
    sim_fixture,
)


@pytest.fixture
def buyer(chorus: Chorus, sim) -> Chorus:
    chorus.ok(*add_args(sim, "quimper", role="public_buyer"), env=secrets_env(sim, "public_buyer"))
    return chorus


def synced_ids(chorus: Chorus) -> dict[int, int]:
    """Chorus invoice id → the id the commands take."""
    return {row["chorus_invoice_id"]: row["id"] for row in chorus.json("received", "list", "quimper")}


def test_sync_then_list_and_show(buyer, sim):
    invoices = [put_received_invoice(sim) for _ in range(3)]
    report = buyer.json("received", "sync", "quimper")
    assert report["failed"] == []
    [synced] = report["synced"]
    assert (synced["structure_name"], synced["seen"], synced["created"]) == ("quimper", 3, 0 + 3)

    rows = buyer.json("received", "list", "quimper")
    assert sorted(r["number"] for r in rows) == sorted(i.number for i in invoices)
    assert {r["amount_tax_inclusive"] for r in rows} == {"600.00"}
    table = buyer.ok("received", "list", "quimper").output
    assert all(i.number in table for i in invoices) and "MISE_A_DISPOSITION" in table

    shown = buyer.json("received", "show", str(rows[0]["id"]))
    assert shown["history"][0]["chorus_status"] == "MISE_A_DISPOSITION"
    # Without a name, every active public buyer is synced.
    assert buyer.ok("received", "sync").output.startswith("quimper")


def test_download_writes_the_file_and_keeps_it(buyer, sim, tmp_path):
    invoice = put_received_invoice(sim)
    buyer.ok("received", "sync", "quimper")
    received_id = synced_ids(buyer)[invoice.invoice_id]

    first = buyer.ok("received", "download", str(received_id), "--out", str(tmp_path))
    target = tmp_path / f"{invoice.number}_{invoice.invoice_id}.zip"
    assert "from Chorus Pro (kept in the store)" in first.output
    with zipfile.ZipFile(io.BytesIO(target.read_bytes())) as archive:
        assert archive.read(archive.namelist()[0]) == b"%PDF-1.7 cli " + str(invoice.invoice_id).encode()

    again = buyer("received", "download", str(received_id), "--out", str(tmp_path))
    assert again.exit_code == 1 and "exists already" in again.output and "--force" in again.output
    forced = buyer.ok("received", "download", str(received_id), "--out", str(target), "--force")
    assert "from the store" in forced.output


def test_approve_suspend_reject(buyer, sim):
    approved, suspended, rejected = (put_received_invoice(sim) for _ in range(3))
    buyer.ok("received", "sync", "quimper")
    ids = synced_ids(buyer)
    platform = sim.platform.state.invoices

    out = buyer.ok("received", "approve", str(ids[approved.invoice_id])).output
    assert "MISE_A_DISPOSITION → SERVICE_FAIT" in out
    buyer.ok(
        "received",
        "approve",
        str(ids[approved.invoice_id]),
        "--status",
        "MANDATEE",
        "--mandate-number",
        "DP-9",
    )
    assert (platform[approved.invoice_id].status, platform[approved.invoice_id].mandate_number) == (
        "MANDATEE",
        "DP-9",
    )

    missing = buyer("received", "suspend", str(ids[suspended.invoice_id]))
    assert missing.exit_code == 1 and "motif is mandatory" in missing.output
    assert platform[suspended.invoice_id].status == "MISE_A_DISPOSITION"
    buyer.ok("received", "suspend", str(ids[suspended.invoice_id]), "-m", "Bon de livraison manquant")
    assert platform[suspended.invoice_id].status_comment == "Bon de livraison manquant"

    buyer.ok("received", "reject", str(ids[rejected.invoice_id]), "--motif", "Mauvais destinataire")
    assert platform[rejected.invoice_id].status == "REJETEE"
    final = buyer("received", "approve", str(ids[rejected.invoice_id]))
    assert final.exit_code == 1 and "final status" in final.output

    refused = buyer("received", "approve", str(ids[suspended.invoice_id]))
    assert refused.exit_code == 1 and "Chorus Pro allows: REJETEE" in refused.output
    statuses = {r["id"]: r["chorus_status"] for r in buyer.json("received", "list", "quimper")}
    assert statuses[ids[suspended.invoice_id]] == "SUSPENDUE"


def test_refusals_are_clear_and_change_nothing(buyer, sim):
    supplier_env = {"CHORUS_TECH_PASSWORD": secrets_env(sim)["CHORUS_TECH_PASSWORD"]}
    buyer.ok(*add_args(sim, "atelier", shared_application="simulator for quimper"), env=supplier_env)
    supplier = buyer("received", "sync", "atelier")
    assert supplier.exit_code == 1 and "is a supplier" in supplier.output
    unknown = buyer("received", "list", "nowhere")
    assert unknown.exit_code == 1 and "No structure 'nowhere'" in unknown.output
    missing = buyer("received", "approve", "999")
    assert missing.exit_code == 1 and "No received invoice 999" in missing.output
    status = buyer("received", "approve", "1", "--status", "PAYEE")
    assert status.exit_code == 1 and "not an approval status" in status.output
    assert "Traceback" not in status.output + missing.output + unknown.output
    assert buyer.json("received", "list", "quimper") == []
