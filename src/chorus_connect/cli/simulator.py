"""`chorus simulator ...`: run the local Chorus Pro and generate its test data sets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.table import Table

from chorus_connect.simulator.dataset import AccountRole, Dataset, Structure

simulator_app = typer.Typer(
    help="The local Chorus Pro simulator (PISTE + Chorus Pro API).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(simulator_app, name="simulator")


@simulator_app.command("dataset")
def dataset_command(
    out: Path = typer.Option(..., "--out", help="JSON file to write (its directory must exist)."),
    seed: int = typer.Option(0, "--seed", help="Seed: the same seed always gives the same data set."),
    today: str | None = typer.Option(
        None, "--today", help="Date that anchors password expiries etc., YYYY-MM-DD (default 2026-01-01)."
    ),
) -> None:
    """Generate a test data set (structures, services, accounts, PISTE applications, EJs) as JSON."""
    from chorus_connect.simulator.datagen import generate_dataset

    anchor = _parse_today(today)
    if not out.parent.is_dir():
        _fail(f"--out: directory {out.parent} does not exist; create it first or choose another path.")
    if out.is_dir():
        _fail(f"--out: {out} is a directory; give a file name such as {out / 'dataset.json'}.")
    dataset = generate_dataset(seed, anchor)
    try:
        dataset.save(out)
    except OSError as error:
        _fail(f"--out: cannot write {out}: {error.strerror}.")
    _print_summary(dataset, out)


def _parse_today(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"--today: {value!r} is not a date; use the YYYY-MM-DD form, e.g. 2026-01-01.")


def _fail(message: str) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[red]Error:[/red] {message}", highlight=False)
    raise typer.Exit(code=2)


def _print_summary(dataset: Dataset, out: Path) -> None:
    table = Table(title=f"Data set seed {dataset.seed} (today {dataset.generated_on}) → {out}")
    table.add_column("What")
    table.add_column("Count", justify="right")
    suppliers, recipients = dataset.suppliers(), dataset.recipients()
    rows = [
        ("Supplier structures (PRIVEE)", len(suppliers)),
        ("  of which inactive", sum(not s.active for s in suppliers)),
        ("Public structures (PUBLIQUE)", len(recipients)),
        ("  of which inactive", sum(not s.active for s in recipients)),
        ("  EJ required", sum(s.engagement_required for s in recipients)),
        ("  service code required", sum(s.service_required for s in recipients)),
        ("  EJ or service code", sum(s.engagement_or_service for s in recipients)),
        ("  no requirement", sum(not _any_requirement(s) for s in recipients)),
        ("  payment status not reported", sum(s.payment_status_not_reported for s in recipients)),
        ("Services (inactive)", _services_summary(dataset)),
        ("Bank accounts (valid)", _bank_summary(suppliers)),
        ("Technical accounts FOURNISSEUR", _count_role(dataset, AccountRole.SUPPLIER)),
        ("Technical accounts DESTINATAIRE", _count_role(dataset, AccountRole.RECIPIENT)),
        (
            "  password expired",
            sum(a.password_expired(dataset.generated_on) for a in dataset.technical_accounts),
        ),
        ("PISTE applications", len(dataset.applications)),
        ("Engagements juridiques", len(dataset.commitments)),
    ]
    for label, count in rows:
        table.add_row(label, str(count))
    Console().print(table)


def _any_requirement(structure: Structure) -> bool:
    return structure.engagement_required or structure.service_required or structure.engagement_or_service


def _services_summary(dataset: Dataset) -> str:
    services = [service for structure in dataset.structures for service in structure.services]
    return f"{len(services)} ({sum(not s.active for s in services)})"


def _bank_summary(suppliers: list[Structure]) -> str:
    accounts = [account for supplier in suppliers for account in supplier.bank_accounts]
    return f"{len(accounts)} ({sum(a.valid for a in accounts)})"


def _count_role(dataset: Dataset, role: AccountRole) -> int:
    return sum(a.role is role for a in dataset.technical_accounts)


@simulator_app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (keep it on loopback)."),
    port: int = typer.Option(8700, "--port", help="Port to listen on (0: any free port)."),
    state: Path | None = typer.Option(
        None, "--state", help="SQLite file that keeps every flux, invoice and status across restarts."
    ),
    dataset_file: Path | None = typer.Option(
        None, "--dataset", help="Data set JSON from `chorus simulator dataset` (default: the built-in one)."
    ),
    token_ttl: int = typer.Option(3600, "--token-ttl", min=1, help="Lifetime of access tokens, in seconds."),
    frozen_clock: bool = typer.Option(
        False, "--frozen-clock", help="Simulated time moves only through POST /_simulator/clock/advance."
    ),
    integration_delay: float = typer.Option(
        3.0, "--integration-delay", min=0, help="Simulated seconds between a deposit and its verdict."
    ),
    latency_ms: int = typer.Option(0, "--latency-ms", min=0, help="Fault: added latency per /cpro call."),
    rate_limit: float | None = typer.Option(
        None,
        "--rate-limit",
        min=0.1,
        help="Fault: requests per second per PISTE application before HTTP 429.",
    ),
    accept_reform_frames: bool = typer.Option(
        False, "--accept-reform-frames", help="Accept the 2026 reform's BT-23 codes (B1, S1, M1...)."
    ),
    luhn_unknown_sirets: bool = typer.Option(
        False, "--luhn-unknown-sirets", help="Production-like: unknown SIRETs failing Luhn are 'invalide'."
    ),
) -> None:
    """Serve the simulated PISTE gateway and Chorus Pro API until Ctrl+C."""
    from chorus_connect.simulator import FaultConfig, SimulatorConfig, SimulatorServer
    from chorus_connect.simulator.integration import RuleOptions

    dataset = _load_dataset(dataset_file) if dataset_file else None
    if state is not None and not state.parent.is_dir():
        _fail(f"--state: directory {state.parent} does not exist; create it first or choose another path.")
    config = SimulatorConfig(
        dataset=dataset,
        state_path=state,
        token_ttl_seconds=token_ttl,
        frozen_clock=frozen_clock,
        integration_delay_seconds=integration_delay,
        faults=FaultConfig(latency_ms=latency_ms, rate_limit_per_second=rate_limit),
        rules=RuleOptions(
            refuse_reform_frame_codes=not accept_reform_frames, luhn_check_unknown_sirets=luhn_unknown_sirets
        ),
    )
    try:
        server = SimulatorServer(config, host=host, port=port)
    except Exception as error:  # a corrupt state file must give a sentence, not a traceback
        _fail(f"cannot start the simulator: {error}")
    console = Console()
    console.print(
        f"Chorus Pro simulator on [bold]http://{host}:{port}[/bold]  (state: {state or 'in memory'})"
    )
    console.print(f"  token URL  http://{host}:{port}/api/oauth/token")
    console.print(
        f"  API base   http://{host}:{port}/cpro/...   admin: http://{host}:{port}/_simulator/stats"
    )
    application = server.dataset.main_application()
    console.print(f"  PISTE application {application.name}: client_id {application.client_id}")
    console.print("  credentials of every account: GET /_simulator/dataset")
    server.serve_forever()


def _load_dataset(path: Path) -> Dataset:
    try:
        return Dataset.load(path)
    except FileNotFoundError:
        _fail(f"--dataset: {path} does not exist; generate one with `chorus simulator dataset --out {path}`.")
    except ValueError as error:
        _fail(f"--dataset: {path} is not a valid data set ({str(error).splitlines()[0]}).")
