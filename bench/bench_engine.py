"""Benchmark of the engine against the simulator, in one run:

1. **End to end** — ``--invoices`` (300) invoices imported, checked (every layer, the recipient's settings
   read through the API), queued, deposited by one worker round (one Factur-X flux each, or zip batches
   with ``--batch-size``) and followed by syncs while the simulated clock advances 12 h at a time, until
   every invoice is final (90 % paid, 10 % rejected, chosen with a ``SCENARIO=`` note). The simulator
   runs in its own process (``chorus simulator serve --frozen-clock``, pinned to one core, the engine on
   the other), like a remote platform. Figure: invoices deposited and tracked to a final status per
   minute of wall time (the simulated days cost nothing but the syncs).
2. **Tracking cost** — ``--tracked`` (10,000) invoices put straight into the simulator's state (as if
   integrated: ``workflow.create_invoice``, which schedules their routing and their buyer's seeded
   scenario) and into the store (``invoices.add`` + a transition to ``integrated`` with their
   ``identifiantFactureCPP``), then synced: once cold (no cursor), once with nothing changed, then every
   6 simulated hours for 12 days. Figure: API calls per tracked invoice per sync, counted by the engine
   (``SyncReport``) and cross-checked with the simulator's ``requests_by_operation``; one call per
   invoice per sync (1.0) is what the other connectors do, the target is at most 0.05. This part runs the
   simulator in-process (the injection needs its state); call counts do not depend on that.

The stores are new SQLite files in a temporary folder. Run: ``.venv/bin/python bench/bench_engine.py
[--invoices 300] [--tracked 10000] [--batch-size N]`` — prints JSON figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from chorus_connect.engine.service import Engine
from chorus_connect.engine.tracking import SyncReport
from chorus_connect.invoice import Invoice
from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.simulator.dataset import Dataset
from chorus_connect.simulator.flux_files import FluxInvoice, SourceFormat
from chorus_connect.simulator.workflow import create_invoice
from chorus_connect.store import (
    EnvironmentName,
    EventSource,
    InvoiceStatus,
    NewPisteApplication,
    NewStructure,
    Store,
    generate_key,
)

PARIS = ZoneInfo("Europe/Paris")
STEP_HOURS_END_TO_END = 12
STEP_HOURS_TRACKING = 6
TRACKING_DAYS = 12
INSERT_CHUNK = 500


# --- shared --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def simulator_process():
    """``chorus simulator serve --frozen-clock`` on a free port, pinned to core 0 (this process: core 1)."""
    port = free_port()
    command = [sys.executable, "-m", "chorus_connect", "simulator", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--frozen-clock"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    if pinned:
        os.sched_setaffinity(process.pid, {0})
        os.sched_setaffinity(0, {1})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/_simulator/clock", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("the simulator did not start") from None
                time.sleep(0.1)
        yield base, pinned
    finally:
        process.terminate()
        process.wait(timeout=30)
        if pinned:
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def open_store(path: Path) -> Store:
    """A new SQLite store (the default deployment; one worker)."""
    return Store.open(f"sqlite:///{path}", secret_key=generate_key(), environ={})


def add_structure(store: Store, dataset: Dataset, base_url: str) -> int:
    supplier = dataset.main_supplier()
    account = dataset.supplier_account(supplier.structure_id)
    application = dataset.main_application()
    with store.transaction(actor="bench") as tx:
        return tx.structures.add(
            NewStructure(
                name=f"bench-{time.monotonic_ns()}",
                environment=EnvironmentName.LOCAL,
                siret=supplier.siret,
                technical_login=account.login,
                technical_password=account.password,
                piste=NewPisteApplication(
                    name=f"bench-{time.monotonic_ns()}",
                    client_id=application.client_id,
                    client_secret=application.client_secret,
                    token_url=f"{base_url}/api/oauth/token",
                    api_url=base_url,
                ),
            )
        ).id


def invoice_document(
    dataset: Dataset, number: str, day: dt.date, index: int, scenario: str
) -> dict[str, Any]:
    supplier, recipient = dataset.main_supplier(), dataset.recipient_with()
    lines = [
        {
            "id": str(n + 1),
            "name": f"Prestation {n + 1}",
            "quantity": str(1 + (index + n) % 7),
            "unit_code": "HUR",
            "net_price": f"{45 + (index * 7 + n) % 90}.00",
            "vat_rate": "20" if n % 3 else "10",
        }
        for n in range(1 + index % 4)
    ]
    return {
        "number": number,
        "issue_date": day.isoformat(),
        "notes": [{"text": f"SCENARIO={scenario}"}],
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
        "payment_means": {"mode": "VIREMENT", "iban": dataset.main_bank_account().iban},
        "due_date": (day + dt.timedelta(days=30)).isoformat(),
        "lines": lines,
    }


def sync_figures(reports: list[SyncReport]) -> dict[str, Any]:
    ratios = [r.calls_per_tracked_invoice for r in reports if r.tracked]
    return {
        "syncs": len(reports),
        "api_calls": sum(r.api_calls for r in reports),
        "calls_by_operation": dict(sum((r.calls_by_operation for r in reports), Counter())),
        "calls_per_tracked_invoice_per_sync": {
            "mean": round(statistics.fmean(ratios), 5) if ratios else 0.0,
            "max": round(max(ratios), 5) if ratios else 0.0,
            "overall": round(sum(r.api_calls for r in reports) / max(sum(r.tracked for r in reports), 1), 5),
        },
    }


# --- 1. end to end ---------------------------------------------------------------------------------------


def end_to_end(count: int, batch_size: int | None, folder: Path) -> dict[str, Any]:
    with simulator_process() as (base, pinned):
        admin = httpx.Client(base_url=f"{base}/_simulator", timeout=600)
        dataset = Dataset.model_validate_json(admin.get("/dataset").content)
        now = dt.datetime.fromisoformat(admin.get("/clock").json()["now"])
        store = open_store(folder / "end-to-end.sqlite3")
        structure_id = add_structure(store, dataset, base)
        documents = [
            invoice_document(
                dataset, f"E2E-{i:05d}", now.astimezone(PARIS).date(), i, "REJETEE" if i % 10 == 9 else "PAYE"
            )
            for i in range(count)
        ]
        phases: dict[str, float] = {}
        reports: list[SyncReport] = []
        started = time.perf_counter()
        with Engine(store, actor="bench") as engine:
            mark = time.perf_counter()
            ids = engine.import_documents(structure_id, documents).invoice_ids
            phases["import"] = time.perf_counter() - mark
            mark = time.perf_counter()
            outcomes = engine.check(ids)
            phases["check"] = time.perf_counter() - mark
            failed = [o.number for o in outcomes if not o.ok]
            if failed:
                raise SystemExit(f"{len(failed)} invoices failed their checks, e.g. {failed[0]}")
            mark = time.perf_counter()
            engine.queue(ids, batch_size=batch_size)
            phases["queue (build deposit files)"] = time.perf_counter() - mark
            mark = time.perf_counter()
            deposit = engine.deposit_now(structure=structure_id)
            phases["deposit"] = time.perf_counter() - mark
            mark = time.perf_counter()
            simulated_days = 0.0
            while True:
                admin.post("/clock/advance", json={"hours": STEP_HOURS_END_TO_END})
                simulated_days += STEP_HOURS_END_TO_END / 24
                reports.extend(engine.sync(structure_id))
                records = engine.invoices(structure=structure_id, limit=count).items
                open_ = sum(1 for r in records if not r.is_terminal)
                if open_ == 0 or simulated_days > 30:
                    break
            phases["follow (syncs + clock advances)"] = time.perf_counter() - mark
        total = time.perf_counter() - started
        statuses = Counter(r.chorus_status or r.status.value for r in records)
        stats = admin.get("/stats").json()
        store.close()
    supplier = dataset.main_supplier().siret
    return {
        "invoices": count,
        "deposit_mode": f"zip batches of {batch_size}" if batch_size else "one Factur-X flux per invoice",
        "simulator": f"separate process{' pinned to one core' if pinned else ''}",
        "final_statuses": dict(statuses),
        "all_final": open_ == 0,
        "deposited_once": stats["deposits_by_supplier"].get(supplier)
        == (count if not batch_size else -(-count // batch_size))
        and len(stats["invoice_numbers_by_supplier"].get(supplier, [])) == count,
        "deposits": dict(deposit.deposits),
        "simulated_days": simulated_days,
        "seconds": {name: round(value, 2) for name, value in phases.items()} | {"total": round(total, 2)},
        "invoices_per_minute_end_to_end": round(count / total * 60, 1),
        "checks_per_second": round(count / phases["check"], 1),
        "deposits_per_second": round(count / phases["deposit"], 1),
        "tracking": sync_figures(reports),
    }


# --- 2. tracking cost --------------------------------------------------------------------------------------


def tracking_cost(count: int, folder: Path) -> dict[str, Any]:
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as sim:
        dataset = sim.dataset
        store = open_store(folder / "tracking.sqlite3")
        structure_id = add_structure(store, dataset, sim.base_url)
        mark = time.perf_counter()
        inject(sim, store, structure_id, count)
        injection_seconds = time.perf_counter() - mark
        runs: dict[str, list[SyncReport]] = {}
        seconds: dict[str, float] = {}
        with Engine(store, actor="bench") as engine:
            before = dict(sim.admin.stats()["requests_by_operation"])
            for name, hours, times in (
                ("cold (no cursor yet)", 0, 1),
                ("nothing changed", 0, 1),
                (
                    f"every {STEP_HOURS_TRACKING} h for {TRACKING_DAYS} days",
                    STEP_HOURS_TRACKING,
                    TRACKING_DAYS * 24 // STEP_HOURS_TRACKING,
                ),
            ):
                mark = time.perf_counter()
                runs[name] = []
                for _ in range(times):
                    if hours:
                        sim.admin.advance_clock(hours=hours)
                    runs[name].extend(engine.sync(structure_id))
                seconds[name] = time.perf_counter() - mark
            after = dict(sim.admin.stats()["requests_by_operation"])
            still_tracked = engine.sync(structure_id)[0].tracked
        store.close()
    every = [r for reports in runs.values() for r in reports]
    seen_by_simulator = {
        k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)
    }
    return {
        "tracked_invoices": count,
        "injection_seconds": round(injection_seconds, 1),
        "syncs": {
            name: {
                **sync_figures(reports),
                "tracked_at_first_sync": reports[0].tracked,
                "changes_recorded": sum(r.changed for r in reports),
                "seconds_per_sync": round(seconds[name] / len(reports), 3),
            }
            for name, reports in runs.items()
        },
        "all_syncs": sync_figures(every),
        "simulator_requests_during_syncs": seen_by_simulator,
        "engine_counted_calls": sum(r.api_calls for r in every),
        "still_tracked_after": still_tracked,
        "one_call_per_invoice_per_sync_would_be": sum(r.tracked for r in every),
        "target": 0.05,
    }


def inject(sim: SimulatorServer, store: Store, structure_id: int, count: int) -> None:
    """``count`` integrated invoices, on the simulator and in the store, with the same Chorus ids."""
    dataset = sim.dataset
    supplier, recipient = dataset.main_supplier(), dataset.recipient_with()
    account = dataset.supplier_account(supplier.structure_id)
    platform = sim.platform
    now = platform.now()
    day = now.astimezone(PARIS).date()
    template = Invoice.model_validate(invoice_document(dataset, "T-0", day, 0, "PAYE"))
    totals = template.totals
    for start in range(0, count, INSERT_CHUNK):
        numbers = [f"TRK-{i:06d}" for i in range(start, min(start + INSERT_CHUNK, count))]
        with platform.state.lock:
            chorus_ids = [
                create_invoice(
                    platform,
                    FluxInvoice(
                        source_format=SourceFormat.CII,
                        file_name=f"{number}.xml",
                        xml=b"",
                        pdf=None,
                        paths={},
                        number=number,
                        issue_date=day.isoformat(),
                        type_code="380",
                        currency="EUR",
                        supplier_id=supplier.siret,
                        recipient_id=recipient.siret,
                        payment_means_code="30",
                        total_without_vat=totals.tax_exclusive,
                        total_vat=totals.tax_total,
                        total_with_vat=totals.tax_inclusive,
                        amount_due=totals.payable or Decimal(0),
                        line_count=1,
                    ),
                    now,
                    flux_number=None,
                    deposit_mode="UPLOAD_API",
                    deposited_at=now,
                    depositor_login=account.login,
                    file_key=None,
                    file_name=None,
                ).invoice_id
                for number in numbers
            ]
        with store.transaction(actor="bench") as tx:
            for number, chorus_id in zip(numbers, chorus_ids, strict=True):
                record = tx.invoices.add(structure_id, template.model_copy(update={"number": number}))
                tx.invoices.transition(
                    record.id,
                    source=EventSource.CHORUS,
                    status=InvoiceStatus.INTEGRATED,
                    chorus_invoice_id=chorus_id,
                    chorus_status="DEPOSEE",
                    chorus_status_at=now,
                    deposited_at=now,
                    syntax="IN_DP_E1_CII_16B",
                    comment="Injected by the benchmark as integrated.",
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--invoices", type=int, default=300, help="invoices for the end-to-end part (0: skip)"
    )
    parser.add_argument(
        "--tracked", type=int, default=10_000, help="tracked invoices for the cost part (0: skip)"
    )
    parser.add_argument("--batch-size", type=int, default=None, help="deposit zip batches of this size")
    args = parser.parse_args()
    result: dict[str, Any] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        folder = Path(tmp)
        if args.invoices:
            result["end_to_end"] = end_to_end(args.invoices, args.batch_size, folder)
        if args.tracked:
            result["tracking_cost"] = tracking_cost(args.tracked, folder)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
