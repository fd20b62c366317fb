"""`chorus worker run`: the loop that deposits queued invoices exactly once, settles unknown deposits and
follows invoices on Chorus Pro. Stop it with Ctrl+C or SIGTERM (it finishes the item in hand).

    chorus worker run                      # until stopped
    chorus worker run --once               # one round (deposit what is queued, one sync), then exit
    chorus worker run --exit-when-idle     # until nothing is queued or being deposited

On PostgreSQL run as many workers as you like, on any machines; on SQLite run one.
"""

from __future__ import annotations

import datetime as dt
import logging

import typer
from rich.console import Console

from chorus_connect.cli._store import open_store
from chorus_connect.cli.invoices_engine import STORE_OPTION, as_store_url, fail, print_json, reported_errors
from chorus_connect.engine.service import Engine
from chorus_connect.engine.settings import DEFAULT_SETTINGS
from chorus_connect.engine.worker import Worker, WorkerOptions, default_worker_id, run_signals
from chorus_connect.store import Store

worker_app = typer.Typer(
    help="The background worker: deposits, settles and follows invoices.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(worker_app, name="worker")


@worker_app.command("run")
def run_command(
    store: str | None = STORE_OPTION,
    once: bool = typer.Option(False, "--once", help="One round, then exit."),
    exit_when_idle: bool = typer.Option(
        False, "--exit-when-idle", help="Exit once no invoice is queued or being deposited."
    ),
    worker_id: str | None = typer.Option(
        None, "--worker-id", help="Name in claims and logs (default host:pid)."
    ),
    structure: list[str] = typer.Option(
        None, "--structure", "-s", help="Only these structures (repeatable)."
    ),
    lease_seconds: float = typer.Option(
        DEFAULT_SETTINGS.lease.total_seconds(), "--lease-seconds", min=1, help="How long a claim lasts."
    ),
    claim_size: int = typer.Option(DEFAULT_SETTINGS.claim_size, "--claim-size", min=1, max=500),
    poll_interval: float = typer.Option(
        2.0, "--poll-interval", min=0.01, help="Seconds between idle rounds."
    ),
    sync_interval: float = typer.Option(
        DEFAULT_SETTINGS.sync_interval.total_seconds(),
        "--sync-interval",
        min=0.0,
        help="Seconds between syncs.",
    ),
    timeout: float = typer.Option(
        DEFAULT_SETTINGS.client_timeout, "--timeout", min=0.1, help="HTTP timeout of Chorus Pro calls (s)."
    ),
    no_sync: bool = typer.Option(False, "--no-sync", help="Deposit only, do not follow invoices."),
    no_notify: bool = typer.Option(False, "--no-notify", help="Do not send notifications (webhook, e-mail)."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
    as_json: bool = typer.Option(False, "--json", help="Print the final report as JSON."),
) -> None:
    """Run the worker."""
    _logging(log_level)
    if timeout >= lease_seconds:
        fail(
            f"--timeout {timeout} s must be shorter than --lease-seconds {lease_seconds} s: a claim must "
            "outlive the longest Chorus call.",
            code=2,
        )
    settings = DEFAULT_SETTINGS.with_changes(
        lease=dt.timedelta(seconds=lease_seconds),
        claim_size=claim_size,
        sync_interval=dt.timedelta(seconds=sync_interval),
        client_timeout=timeout,
    )
    with reported_errors():
        opened = open_store(as_store_url(store))
        try:
            ids = _structure_ids(opened, structure) if structure else None
            if not opened.supports_concurrent_workers:
                logging.getLogger("chorus_connect.engine.worker").info(
                    "engine.worker.sqlite: run a single worker on this store"
                )
            worker = Worker(
                opened,
                worker_id=worker_id or default_worker_id(),
                settings=settings,
                options=WorkerOptions(
                    once=once,
                    exit_when_idle=exit_when_idle,
                    poll_interval=poll_interval,
                    sync=not no_sync,
                    notify=not no_notify,
                    structure_ids=ids,
                ),
            )
            with run_signals(worker):
                report = worker.run()
        finally:
            opened.close()
    if as_json:
        print_json(report.as_dict())
        return
    deposits = ", ".join(f"{k} {v}" for k, v in report.deposits.items()) or "none"
    Console(stderr=True, highlight=False).print(
        f"Worker {report.worker_id} stopped after {report.rounds} round(s): deposits {deposits}; "
        f"{len(report.syncs)} sync(s); {report.errors} error(s)."
    )


def _structure_ids(store: Store, names: list[str]) -> tuple[int, ...]:
    with Engine(store) as engine:
        return tuple(engine.structure_id(name) for name in names)


def _logging(level: str) -> None:
    value = getattr(logging, level.upper(), None)
    if not isinstance(value, int):
        fail(f"--log-level: {level!r} is not debug, info, warning or error.", code=2)
    logging.basicConfig(level=value, format="%(asctime)s %(levelname)s %(name)s %(message)s")
