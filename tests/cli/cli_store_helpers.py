"""Fixtures of the store-backed command tests (structures, received, secrets): a store URL on SQLite and
PostgreSQL (as tests/store), the real simulator, and ``Chorus``, which runs ``chorus`` commands with a clean
environment (store URL, secret key, secrets) and reads ``--json`` output."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from chorus_connect.cli.main import app
from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.simulator.state import Invoice
from chorus_connect.store import Store, generate_key
from postgres_testing import SchemaFactory

SCHEMAS = SchemaFactory("cli")

# Every variable a command could read; unset unless a test gives it.
CLEAN_ENV = {
    name: None
    for name in (
        "CHORUS_STORE_URL",
        "CHORUS_DATABASE_URL",
        "CHORUS_SECRET_KEY",
        "CHORUS_SECRET_KEY_FILE",
        "CHORUS_NEW_SECRET_KEY",
        "CHORUS_CLIENT_ID",
        "CHORUS_CLIENT_SECRET",
        "CHORUS_TECH_LOGIN",
        "CHORUS_TECH_PASSWORD",
        "CHORUS_WEBHOOK_SECRET",
    )
}


# Fixtures carry ``name=``: test modules import them under the function name (no shadowed import).
@pytest.fixture(
    name="database_url",
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url_fixture(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chorus.sqlite3'}"
        return
    with SCHEMAS.url() as url:
        yield url


@pytest.fixture(name="sim")
def sim_fixture() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as server:
        yield server


class Chorus:
    """``chorus ...`` in-process, against one store, with the given secret key."""

    def __init__(self, store_url: str, secret_key: str | None) -> None:
        self.store_url = store_url
        self.secret_key = secret_key

    def __call__(
        self, *args: str, env: Mapping[str, str | None] | None = None, input: str | None = None
    ) -> Result:
        environment: dict[str, str | None] = {
            **CLEAN_ENV,
            "CHORUS_STORE_URL": self.store_url,
            "CHORUS_SECRET_KEY": self.secret_key,
            "COLUMNS": "200",
        }
        environment.update(env or {})
        return CliRunner().invoke(app, list(args), env=environment, input=input)

    def ok(self, *args: str, **options: Any) -> Result:
        result = self(*args, **options)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str, **options: Any) -> Any:
        return json.loads(self.ok(*args, "--json", **options).stdout)

    def open(self) -> Store:
        return Store.open(self.store_url, secret_key=self.secret_key, environ={})


@pytest.fixture(name="chorus")
def chorus_fixture(database_url: str) -> Chorus:
    return Chorus(database_url, generate_key())


def add_args(
    sim: SimulatorServer,
    name: str,
    *,
    role: str = "supplier",
    siret: str | None = None,
    shared_application: str | None = None,
) -> list[str]:
    """`chorus structures add` arguments for a structure of the simulator's data set (secrets apart); with
    ``shared_application`` (an id or name), the PISTE application already in the store is reused."""
    dataset = sim.dataset
    if role == "supplier":
        structure = dataset.main_supplier()
        account = dataset.supplier_account(structure.structure_id)
    else:
        structure = dataset.recipient_with()
        account = dataset.recipient_account(structure.structure_id)
    if shared_application:
        application = ["--piste-application", shared_application]
    else:
        client_id = dataset.main_application().client_id
        application = [
            "--client-id",
            client_id,
            "--piste-name",
            f"simulator for {name}",
            "--api-url",
            sim.base_url,
        ]
    return [
        "structures",
        "add",
        name,
        "--environment",
        "local",
        "--role",
        role,
        "--siret",
        siret or structure.siret,
        "--tech-login",
        account.login,
        *application,
    ]


def secrets_env(sim: SimulatorServer, role: str = "supplier") -> dict[str, str]:
    dataset = sim.dataset
    if role == "supplier":
        account = dataset.supplier_account(dataset.main_supplier().structure_id)
    else:
        account = dataset.recipient_account(dataset.recipient_with().structure_id)
    return {
        "CHORUS_CLIENT_SECRET": dataset.main_application().client_secret,
        "CHORUS_TECH_PASSWORD": account.password,
    }


def put_received_invoice(sim: SimulatorServer, **fields: Any) -> Invoice:
    """An invoice from the main supplier, MISE_A_DISPOSITION of the first plain public structure, straight
    in the simulator's state (as tests/simulator/conftest.py ``make_invoice`` does)."""
    dataset, state = sim.dataset, sim.platform.state
    supplier, recipient = dataset.main_supplier(), dataset.recipient_with()
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
            "amount_without_tax": "500.00",
            "vat_amount": "100.00",
            "amount_with_tax": "600.00",
            "amount_due": "600.00",
            "file_key": f"cli-test:{invoice_id}",
            "file_name": f"facture-{invoice_id}.pdf",
            **fields,
        }
        state.put_blob(values["file_key"], b"%PDF-1.7 cli " + str(invoice_id).encode())
        invoice = Invoice(**values)
        state.invoices[invoice_id] = invoice
        state.save(invoice)
    return invoice
