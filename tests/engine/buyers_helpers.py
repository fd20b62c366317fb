"""Fixtures and builders of the public-buyer and notification tests (a module of its own: conftest modules
are not importable, and the engine's conftest belongs to the engine core's tests).

- ``store``: a store on SQLite (a file in ``tmp_path``) and on PostgreSQL (a fresh schema of the local
  server, marker ``postgres``; skipped with the reason when no server answers), as in tests/store.
- ``sim``: the real simulator on loopback, frozen clock, one per test (its state is then the test's own).
- builders: a public-buyer structure acting through the data set's recipient account, invoices put
  straight into the simulator's state (as tests/simulator/conftest.py ``make_invoice`` does).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.simulator.state import Invoice
from chorus_connect.store import (
    EnvironmentName,
    NewPisteApplication,
    NewStructure,
    Store,
    StructureRole,
    UnitOfWork,
    generate_key,
)
from postgres_testing import SchemaFactory

SCHEMAS = SchemaFactory("buyers")


# Fixtures carry a ``name=``: test modules import them under the function name, so that a test's
# parameter never shadows an import (ruff F811).
@pytest.fixture(
    name="database_url",
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url_fixture(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    with SCHEMAS.url() as url:
        yield url


@pytest.fixture(name="secret_key")
def secret_key_fixture() -> str:
    return generate_key()


@pytest.fixture(name="store")
def store_fixture(database_url: str, secret_key: str) -> Iterator[Store]:
    opened = Store.open(database_url, secret_key=secret_key, environ={})
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(name="sim")
def sim_fixture() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as server:
        yield server


# --- builders ---------------------------------------------------------------------------------------------


def piste_for(sim: SimulatorServer, name: str = "simulator") -> NewPisteApplication:
    application = sim.dataset.main_application()
    return NewPisteApplication(
        name=name,
        client_id=application.client_id,
        client_secret=application.client_secret,
        api_url=sim.base_url,
    )


def add_public_buyer(tx: UnitOfWork, sim: SimulatorServer, name: str = "quimper", **overrides: Any) -> int:
    """The data set's first plain public structure, acting through its DESTINATAIRE technical account."""
    recipient = sim.dataset.recipient_with()
    account = sim.dataset.recipient_account(recipient.structure_id)
    values: dict[str, Any] = {
        "name": name,
        "environment": EnvironmentName.LOCAL,
        "role": StructureRole.PUBLIC_BUYER,
        "siret": recipient.siret,
        "technical_login": account.login,
        "technical_password": account.password,
        "piste": piste_for(sim),
    }
    values.update(overrides)
    return tx.structures.add(NewStructure(**values)).id


def put_invoice(sim: SimulatorServer, recipient_structure_id: int | None = None, **fields: Any) -> Invoice:
    """An invoice from the main supplier, MISE_A_DISPOSITION of the recipient, straight in the platform's
    state (its document is a small PDF), at the simulated clock's time."""
    dataset, state = sim.dataset, sim.platform.state
    supplier = dataset.main_supplier()
    recipient = dataset.structure(recipient_structure_id or dataset.recipient_with().structure_id)
    assert recipient is not None
    now = sim.platform.now()
    with state.lock:
        invoice_id = state.next_invoice_id()
        values: dict[str, Any] = {
            "invoice_id": invoice_id,
            "number": f"FA-2026-{invoice_id:05d}",
            "flux_number": None,
            "deposit_mode": "SAISIE_API",
            "invoice_type": "FACTURE",
            "invoice_date": now.date(),
            "deposited_at": now,
            "supplier_structure_id": supplier.structure_id,
            "supplier_identifier": supplier.siret,
            "recipient_structure_id": recipient.structure_id,
            "recipient_identifier": recipient.siret,
            "status": "MISE_A_DISPOSITION",
            "status_at": now,
            "amount_without_tax": "1000.00",
            "vat_amount": "200.00",
            "amount_with_tax": "1200.00",
            "amount_due": "1200.00",
            "file_key": f"buyers-test:{invoice_id}",
            "file_name": f"facture-{invoice_id}.pdf",
            **fields,
        }
        state.put_blob(values["file_key"], b"%PDF-1.7 invoice " + str(invoice_id).encode())
        invoice = Invoice(**values)
        state.invoices[invoice_id] = invoice
        state.save(invoice)
    return invoice


def platform_status(sim: SimulatorServer, invoice_id: int) -> str:
    return str(sim.platform.state.invoices[invoice_id].status)
