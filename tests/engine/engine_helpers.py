"""Builders shared by the engine tests: a structure wired to a running simulator, invoices addressed to
the simulator's data set (a module of its own: conftest modules are not importable)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from chorus_connect.simulator import SimulatorServer
from chorus_connect.simulator.dataset import Structure as SimStructure
from chorus_connect.store import EnvironmentName, NewPisteApplication, NewStructure, Store

PARIS = ZoneInfo("Europe/Paris")


def add_structure(
    store: Store, sim: SimulatorServer, name: str = "acme", supplier: SimStructure | None = None
) -> int:
    """A local structure for the simulator's main supplier (or ``supplier``), using the simulator's URLs."""
    dataset = sim.dataset
    supplier = supplier or dataset.main_supplier()
    application = dataset.main_application()
    account = dataset.supplier_account(supplier.structure_id)
    with store.transaction(actor="test") as tx:
        shared = next((a for a in tx.piste_applications.list() if a.client_id == application.client_id), None)
        structure = tx.structures.add(
            NewStructure(
                name=name,
                environment=EnvironmentName.LOCAL,
                siret=supplier.siret,
                technical_login=account.login,
                technical_password=account.password,
                piste_application_id=shared.id if shared else None,
                piste=None
                if shared
                else NewPisteApplication(
                    name=f"sim-{application.client_id[:8]}",
                    client_id=application.client_id,
                    client_secret=application.client_secret,
                    token_url=sim.token_url,
                    api_url=sim.base_url,
                ),
            )
        )
        return structure.id


def today_paris(sim: SimulatorServer) -> dt.date:
    return dt.datetime.fromisoformat(sim.admin.now()).astimezone(PARIS).date()


def invoice_data(
    sim: SimulatorServer,
    number: str,
    *,
    recipient: SimStructure | None = None,
    scenario: str | None = None,
    supplier: SimStructure | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A small valid invoice from the main supplier to a recipient without requirements."""
    dataset = sim.dataset
    supplier = supplier or dataset.main_supplier()
    recipient = recipient or dataset.recipient_with()
    bank = supplier.valid_bank_accounts()[0]
    day = today_paris(sim)
    data: dict[str, Any] = {
        "number": number,
        "issue_date": day.isoformat(),
        "seller": {
            "name": supplier.name,
            "siret": supplier.siret,
            "vat_id": supplier.vat_number or None,
            "address": {"line1": "1 rue du Test", "city": "Lyon", "postcode": "69002", "country_code": "FR"},
        },
        "buyer": {
            "name": recipient.name,
            "siret": recipient.siret,
            "address": {
                "line1": "Place de la Mairie",
                "city": "Quimper",
                "postcode": "29000",
                "country_code": "FR",
            },
        },
        "payment_means": {"mode": "VIREMENT", "iban": bank.iban},
        "due_date": (day + dt.timedelta(days=30)).isoformat(),
        "lines": [
            {
                "id": "1",
                "name": "Maintenance",
                "quantity": "3",
                "unit_code": "HUR",
                "net_price": "65.00",
                "vat_rate": "20",
            }
        ],
    }
    if scenario:
        data["notes"] = [{"text": f"SCENARIO={scenario}"}]
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def write_json(path: Path, documents: Iterable[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(list(documents), ensure_ascii=False), encoding="utf-8")
    return path


def prepare(
    engine: Any,
    structure_id: int,
    documents: list[dict[str, Any]],
    *,
    target: Any = None,
    batch_size: int | None = None,
) -> list[int]:
    """Import, check (as CII unless told) and queue invoices; every one must pass its checks."""
    from chorus_connect.invoice import OutputFormat

    report = engine.import_documents(structure_id, documents)
    outcomes = engine.check(report.invoice_ids, target=target or OutputFormat.CII)
    failed = [(o.number, o.findings) for o in outcomes if not o.ok]
    assert not failed, failed
    engine.queue(report.invoice_ids, batch_size=batch_size)
    return report.invoice_ids


def record(store: Store, invoice_id: int) -> Any:
    with store.read() as tx:
        found = tx.invoices.get(invoice_id)
        tx.session.expunge(found)
        return found


def history(store: Store, invoice_id: int) -> list[Any]:
    with store.read() as tx:
        events = tx.invoices.history(invoice_id)
        tx.session.expunge_all()
        return events


def follow(engine: Any, sim: SimulatorServer, *, days: int = 12, step_hours: float = 12) -> list[Any]:
    """Advance the simulated clock step by step, syncing after each step; the sync reports."""
    reports = []
    for _ in range(int(days * 24 / step_hours)):
        sim.admin.advance_clock(hours=step_hours)
        reports.extend(engine.sync())
    return reports


def follow_until(
    engine: Any, sim: SimulatorServer, store: Store, invoice_id: int, chorus_status: str, *, days: int = 10
) -> Any:
    """Advance the clock 6 h at a time, syncing, until the invoice shows ``chorus_status``."""
    for _ in range(days * 4):
        sim.admin.advance_clock(hours=6)
        engine.sync()
        current = record(store, invoice_id)
        if current.chorus_status == chorus_status:
            return current
    raise AssertionError(f"invoice {invoice_id} never reached {chorus_status}: {record(store, invoice_id)}")


def deposited(
    engine: Any, sim: SimulatorServer, structure_id: int, documents: list[dict[str, Any]]
) -> list[int]:
    """Prepared, deposited and integrated invoices."""
    ids = prepare(engine, structure_id, documents)
    engine.deposit_now()
    sim.admin.advance_clock(seconds=10)
    engine.sync()
    return ids
