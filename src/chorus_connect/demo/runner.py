"""The main job, end to end, against the embedded simulator: what ``chorus demo`` runs.

1. Start the simulator (``SimulatorServer(SimulatorConfig(frozen_clock=True))``) on a generated data set
   (seed 0 by default, anchored on today), on a free loopback port.
2. Create a new store — a SQLite file in the output directory (``./chorus-demo/`` by default) — with a
   supplier structure in the ``local`` environment pointing at that simulator (its PISTE application,
   technical account, bank details), and the market the works situation is billed on.
3. Write the bundled samples, addressed to the data set, as JSON files in ``<out>/invoices/`` and import
   them like ``chorus invoices import`` does.
4. Check them (every layer, with the recipient's requirements read through the API); queue those without
   blocking finding; tell the simulated buyers what to do with each (``set_scenario``); deposit them in
   one worker round (the exactly-once path: journaled attempt, then ``deposer/flux``).
5. Follow them: advance the simulated clock ``step_hours`` at a time and sync (one status search per
   sync), completing a suspended invoice with the document its motif asks for and recycling an invoice
   the buyer sends back with the right engagement number, until every deposited invoice is final.
6. Read back what happened from the store and write ``report.html`` and ``summary.json``.

The store's secrets are encrypted with a key generated for the run and never written down: the
simulator's credentials are worthless once it stops, and listing or showing the invoices afterwards
(``chorus invoices list --store …``) needs no key.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from chorus_connect.demo.documents import supporting_document
from chorus_connect.demo.outcomes import (
    PAID,
    PARIS,
    REJECTED,
    SUSPENDED,
    TO_RECYCLE,
    InvoiceOutcome,
    SimulatedTime,
    describe_invoice,
    motif_text,
)
from chorus_connect.demo.samples import AddressedSample, address_samples, load_samples
from chorus_connect.engine.actions import Attachment
from chorus_connect.engine.service import Engine
from chorus_connect.engine.tracking import SyncReport
from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.simulator.datagen import generate_dataset
from chorus_connect.store import (
    EnvironmentName,
    InvoiceRecord,
    InvoiceStatus,
    NewPisteApplication,
    NewStructure,
    Store,
    generate_key,
)

DEFAULT_OUT_DIR = Path("chorus-demo")
STORE_FILE = "chorus-demo.sqlite3"
REPORT_FILE = "report.html"
SUMMARY_FILE = "summary.json"
INVOICES_DIR = "invoices"
STRUCTURE_NAME = "demo"
ACTOR = "demo"
INTEGRATION_WAIT_SECONDS = 60  # the simulator integrates a flux 3 simulated seconds after its deposit
FOLLOWED = (InvoiceStatus.DEPOSITED, InvoiceStatus.INTEGRATED, InvoiceStatus.DEPOSITING, InvoiceStatus.QUEUED)


class DemoError(Exception):
    """A problem the user can fix (e.g. an output directory that cannot be written)."""

    def __init__(self, message: str, *, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class DemoOptions:
    out_dir: Path = DEFAULT_OUT_DIR
    seed: int = 0  # the simulator's data set
    step_hours: float = 6.0  # simulated time between two syncs
    max_days: int = 40  # give up following after this many simulated days


class ProgressStep(Protocol):
    def advance(self, count: int = 1) -> None: ...

    def finish(self) -> None: ...


class DemoOutput(Protocol):
    """Where the demo tells what it does (the CLI prints it with rich; tests may stay silent)."""

    def info(self, text: str) -> None: ...

    def event(self, at: dt.datetime, number: str, text: str) -> None: ...

    def progress(self, label: str, total: int) -> AbstractContextManager[ProgressStep]: ...


class _NoStep:
    def advance(self, count: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None


class SilentOutput:
    def info(self, text: str) -> None:
        return None

    def event(self, at: dt.datetime, number: str, text: str) -> None:
        return None

    @contextmanager
    def progress(self, label: str, total: int) -> Iterator[ProgressStep]:
        yield _NoStep()


@dataclass
class TrackingFigures:
    """What following the invoices cost in API calls (from the engine's sync reports)."""

    syncs: int = 0
    api_calls: int = 0
    invoice_syncs: int = 0  # Σ invoices tracked per sync: what one call per invoice per sync would cost
    calls_by_operation: Counter[str] = field(default_factory=Counter)

    def add(self, report: SyncReport) -> None:
        if report.tracked == 0:
            return
        self.syncs += 1
        self.api_calls += report.api_calls
        self.invoice_syncs += report.tracked
        self.calls_by_operation.update(report.calls_by_operation)

    @property
    def calls_per_tracked_invoice_per_sync(self) -> float:
        return self.api_calls / self.invoice_syncs if self.invoice_syncs else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "syncs": self.syncs,
            "api_calls": self.api_calls,
            "one_call_per_invoice_would_be": self.invoice_syncs,
            "calls_per_tracked_invoice_per_sync": round(self.calls_per_tracked_invoice_per_sync, 4),
            "calls_by_operation": dict(self.calls_by_operation),
        }


@dataclass
class DemoResult:
    out_dir: Path
    store_path: Path
    report_path: Path
    summary_path: Path
    invoices_dir: Path
    simulator_url: str
    seed: int
    supplier_name: str
    supplier_siret: str
    technical_login: str
    markets: list[str]
    started_at: dt.datetime  # simulated
    ended_at: dt.datetime  # simulated
    outcomes: list[InvoiceOutcome]
    tracking: TrackingFigures
    simulator_stats: dict[str, Any]
    elapsed_seconds: float = 0.0

    @property
    def unfinished(self) -> list[InvoiceOutcome]:
        return [o for o in self.outcomes if o.outcome == "in_progress"]

    @property
    def received_numbers(self) -> list[str]:
        """The invoice numbers Chorus Pro (simulated) holds for the supplier."""
        return list(self.simulator_stats.get("invoice_numbers_by_supplier", {}).get(self.supplier_siret, []))

    def as_dict(self) -> dict[str, Any]:
        stats = self.simulator_stats
        return {
            "store": str(self.store_path),
            "report": str(self.report_path),
            "invoices_dir": str(self.invoices_dir),
            "simulator": {"url": self.simulator_url, "seed": self.seed},
            "supplier": {"name": self.supplier_name, "siret": self.supplier_siret},
            "markets": self.markets,
            "simulated_period": {"from": self.started_at.isoformat(), "to": self.ended_at.isoformat()},
            "elapsed_seconds": round(self.elapsed_seconds, 2),
            "invoices": [o.as_dict() for o in self.outcomes],
            "tracking": self.tracking.as_dict(),
            "simulator_stats": {
                name: stats.get(name)
                for name in (
                    "deposits_by_supplier",
                    "invoice_numbers_by_supplier",
                    "invoices_by_status",
                    "fluxes_by_status",
                    "requests_by_operation",
                    "attachments",
                )
            },
        }


def run_demo(options: DemoOptions = DemoOptions(), output: DemoOutput | None = None) -> DemoResult:
    """Run the whole demo; the files it writes are named in the result."""
    from chorus_connect.demo.report import write_report

    started = time.monotonic()
    out = output or SilentOutput()
    out_dir = prepare_directory(options.out_dir)
    dataset = generate_dataset(options.seed, dt.datetime.now(PARIS).date())
    with SimulatorServer(SimulatorConfig(dataset=dataset, frozen_clock=True)) as sim:
        store = Store.open(f"sqlite:///{out_dir / STORE_FILE}", secret_key=generate_key(), environ={})
        try:
            with Engine(store, actor=ACTOR) as engine:
                result = _Run(sim, store, engine, out, options, out_dir).execute()
        finally:
            store.close()
    result.elapsed_seconds = time.monotonic() - started
    write_report(result)
    result.summary_path.write_text(
        json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    return result


def prepare_directory(path: Path) -> Path:
    """The output directory, created if needed, without the files of a previous demo (a new store each run:
    the simulator starts afresh, so yesterday's invoices would only confuse the summary)."""
    out_dir = path.expanduser().resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise DemoError(f"{path} exists and is not a directory.", fix="Give a directory with --out.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in (STORE_FILE, f"{STORE_FILE}-wal", f"{STORE_FILE}-shm", REPORT_FILE, SUMMARY_FILE):
            (out_dir / name).unlink(missing_ok=True)
        invoices = out_dir / INVOICES_DIR
        invoices.mkdir(exist_ok=True)
        for old in invoices.glob("*.json"):
            old.unlink()
    except OSError as error:
        raise DemoError(
            f"Cannot prepare the output directory {path}: {error.strerror}.",
            fix="Give a directory you can write to with --out.",
        ) from None
    return out_dir


class _Run:
    """One demo run: the simulator, the store, the engine and what has been seen so far."""

    def __init__(
        self,
        sim: SimulatorServer,
        store: Store,
        engine: Engine,
        output: DemoOutput,
        options: DemoOptions,
        out_dir: Path,
    ) -> None:
        self.sim = sim
        self.store = store
        self.engine = engine
        self.output = output
        self.options = options
        self.out_dir = out_dir
        self.clock = SimulatedTime()
        self.clock.mark(self._simulated_now())
        self.tracking = TrackingFigures()
        self.seen: dict[int, tuple[InvoiceStatus, str | None]] = {}
        self.ids: dict[str, int] = {}  # invoice number → store id
        self.structure_id = 0

    # --- the steps -----------------------------------------------------------------------------------

    def execute(self) -> DemoResult:
        dataset = self.sim.dataset
        supplier = dataset.main_supplier()
        account = dataset.supplier_account(supplier.structure_id)
        today = self.clock.now.astimezone(PARIS).date()
        samples = address_samples(load_samples(), dataset, today)
        self.output.info(
            f"Simulator   {self.sim.base_url} — PISTE + Chorus Pro API, data set seed {self.options.seed}, "
            f"clock frozen at {self.clock.now.astimezone(PARIS):%Y-%m-%d %H:%M} (moved only by the demo)"
        )
        self.output.info(f"Store       {self.out_dir / STORE_FILE} (SQLite, new for this run)")
        self.structure_id = self._add_structure()
        self.output.info(
            f"Supplier    structure '{STRUCTURE_NAME}': {supplier.name}, SIRET {supplier.siret}, "
            f"technical account {account.login}, environment local"
        )
        markets = self._add_markets(samples)
        by_number = {item.number: item for item in samples}
        self._import(samples)
        deposited = self._check_and_deposit(samples)
        self._follow(deposited, by_number)
        outcomes = [
            describe_invoice(item, self.engine.show(self.ids[item.number]), self.clock) for item in samples
        ]
        return DemoResult(
            out_dir=self.out_dir,
            store_path=self.out_dir / STORE_FILE,
            report_path=self.out_dir / REPORT_FILE,
            summary_path=self.out_dir / SUMMARY_FILE,
            invoices_dir=self.out_dir / INVOICES_DIR,
            simulator_url=self.sim.base_url,
            seed=self.options.seed,
            supplier_name=supplier.name,
            supplier_siret=supplier.siret,
            technical_login=account.login,
            markets=markets,
            started_at=self.clock.start,
            ended_at=self.clock.now,
            outcomes=outcomes,
            tracking=self.tracking,
            simulator_stats=self.sim.admin.stats(),
        )

    def _add_structure(self) -> int:
        """The supplier, set up as `chorus structures add --environment local` would, with the embedded
        simulator's URLs on its PISTE application."""
        dataset = self.sim.dataset
        supplier = dataset.main_supplier()
        account = dataset.supplier_account(supplier.structure_id)
        application = dataset.main_application()
        bank = dataset.main_bank_account()
        with self.store.transaction(actor=ACTOR) as tx:
            structure = tx.structures.add(
                NewStructure(
                    name=STRUCTURE_NAME,
                    environment=EnvironmentName.LOCAL,
                    siret=supplier.siret,
                    technical_login=account.login,
                    technical_password=account.password,
                    technical_password_expires_on=account.password_expires_on,
                    piste=NewPisteApplication(
                        name="demo-simulator",
                        client_id=application.client_id,
                        client_secret=application.client_secret,
                        token_url=self.sim.token_url,
                        api_url=self.sim.base_url,
                    ),
                    engagement_management=True,
                    default_payment_mode="VIREMENT",
                    bank_account_id=bank.bank_account_id,
                    bank_account_label=bank.name,
                    referent_email=supplier.email or None,
                )
            )
            return structure.id

    def _add_markets(self, samples: list[AddressedSample]) -> list[str]:
        described = []
        with self.store.transaction(actor=ACTOR) as tx:
            for item in samples:
                if item.market is None:
                    continue
                tx.markets.add(self.structure_id, item.market)
                described.append(
                    f"{item.market.number} ({item.market.label}) with {item.recipient.name}: service "
                    f"{item.market.service_code or '-'}, engagement {item.market.engagement_number or '-'}"
                )
        for text in described:
            self.output.info(f"Market      {text}")
        return described

    def _import(self, samples: list[AddressedSample]) -> None:
        folder = self.out_dir / INVOICES_DIR
        paths = []
        for item in samples:
            path = folder / f"{item.key}.json"
            path.write_text(json.dumps(item.document, ensure_ascii=False, indent=2), encoding="utf-8")
            paths.append(path)
        report = self.engine.import_files(self.structure_id, paths)
        self.ids = {imported.number: imported.invoice_id for imported in report.imported}
        self.output.info(f"Imported    {len(report.imported)} invoices from {folder}")

    def _check_and_deposit(self, samples: list[AddressedSample]) -> list[int]:
        ids = [self.ids[item.number] for item in samples]
        label = "Checking (XSD, EN 16931, Factur-X, Chorus Pro rules, recipient's settings via the API)"
        with self.output.progress(label, len(ids)) as step:
            outcomes = self.engine.check(ids, progress=step.advance)
        for outcome in outcomes:
            errors = [f for f in outcome.findings if f.get("severity") == "error"]
            warnings = [f for f in outcome.findings if f.get("severity") == "warning"]
            for finding in errors:
                self._event(
                    outcome.number, f"[error] {finding['rule_id']} {finding['path']}: {finding['message']}"
                )
            for finding in warnings:
                self._event(
                    outcome.number, f"[warning] {finding['rule_id']} {finding['path']}: {finding['message']}"
                )
            if errors:
                self._event(outcome.number, "held back: not deposited")
        ready = [o for o in outcomes if o.ok]
        by_number = {item.number: item for item in samples}
        for outcome in ready:
            scenario = by_number[outcome.number].sample.plan.buyer
            if scenario:
                self.sim.admin.set_scenario(outcome.number, scenario)
        self.engine.queue([o.invoice_id for o in ready])
        with self.output.progress(f"Depositing {len(ready)} invoices, one flux each", len(ready)) as step:
            report = self.engine.deposit_now(
                structure=self.structure_id, on_progress=lambda _kind, count: step.advance(count)
            )
        self.output.info(
            f"Deposited   {report.deposits.get('deposited', 0)} invoices "
            f"({len(outcomes) - len(ready)} held back by the checks)"
        )
        return [o.invoice_id for o in ready]

    def _follow(self, followed: list[int], samples: dict[str, AddressedSample]) -> None:
        self._changes()  # what the store holds now is known: only what changes from here is news
        self._advance(seconds=INTEGRATION_WAIT_SECONDS)
        self._sync_and_act(samples)
        steps = int(self.options.max_days * 24 / self.options.step_hours)
        label = f"Following on Chorus Pro ({self.options.step_hours:g} simulated hours per sync)"
        with self.output.progress(label, steps) as step:
            for _ in range(steps):
                if self._all_final(followed):
                    break
                self._advance(hours=self.options.step_hours)
                self._sync_and_act(samples)
                step.advance()
            step.finish()

    # --- following -----------------------------------------------------------------------------------

    def _sync_and_act(self, samples: dict[str, AddressedSample]) -> None:
        for report in self.engine.sync(self.structure_id):
            self.tracking.add(report)
        changes = self._changes()
        integrated = [r for r, before in changes if _newly_integrated(r, before)]
        if integrated:
            ids = sorted(r.chorus_invoice_id or 0 for r in integrated)
            self._event(
                f"{len(integrated)} invoice(s)",
                f"integrated by Chorus Pro (Chorus ids {ids[0]}–{ids[-1]}), made available to the buyers",
            )
        for record, _before in changes:
            self._announce(record, samples)

    def _changes(self) -> list[tuple[InvoiceRecord, tuple[InvoiceStatus, str | None] | None]]:
        page = self.engine.invoices(structure=self.structure_id, limit=1000)
        changed = []
        for record in sorted(page.items, key=lambda r: r.number):
            now = (record.status, record.chorus_status)
            before = self.seen.get(record.id)
            if before != now:
                self.seen[record.id] = now
                changed.append((record, before))
        return changed

    def _announce(self, record: InvoiceRecord, samples: dict[str, AddressedSample]) -> None:
        chorus = record.chorus_status
        if chorus == SUSPENDED:
            self._complete(record)
        elif chorus == TO_RECYCLE:
            self._recycle(record, samples[record.number])
        elif chorus == REJECTED:
            self._event(record.number, f"REJETEE by the buyer: {self._last_motif(record)}")
        elif chorus == PAID:
            self._event(record.number, "MISE_EN_PAIEMENT: paid")
        elif record.is_terminal and chorus:
            self._event(record.number, f"{chorus}: the buyer never reports payment, so tracking stops here")

    def _complete(self, record: InvoiceRecord) -> None:
        motif = self._last_motif(record)
        self._event(record.number, f"SUSPENDUE by the buyer: {motif}")
        document = supporting_document(motif, record.number, self.sim.dataset.main_supplier().name)
        comment = f"{document.title} signé joint à la facture, comme demandé."
        self.engine.complete(
            record.id,
            comment=comment,
            attachments=[Attachment(document.file_name, document.content, "application/pdf")],
        )
        self._event(record.number, f"→ completed with {document.file_name}: “{comment}”")
        self._remember(record.id)

    def _recycle(self, record: InvoiceRecord, item: AddressedSample) -> None:
        motif = self._last_motif(record)
        self._event(record.number, f"A_RECYCLER asked by the buyer: {motif}")
        engagement = item.right_engagement
        comment = f"Numéro d'engagement juridique corrigé : {engagement} (bon de commande de l'acheteur)."
        self.engine.recycle(record.id, engagement_number=engagement, comment=comment)
        self._event(
            record.number, f"→ recycled with engagement {engagement} (was {record.engagement_number})"
        )
        self._remember(record.id)

    def _last_motif(self, record: InvoiceRecord) -> str:
        history = self.engine.show(record.id).history
        for event in reversed(history):
            if event["source"] == "chorus" and event["chorus_status"] == record.chorus_status:
                return motif_text(event["comment"]) or "no motif given"
        return "no motif given"

    def _remember(self, invoice_id: int) -> None:
        """After an action the engine records the new status itself: do not announce it as news."""
        record = next(
            r
            for r in self.engine.invoices(structure=self.structure_id, limit=1000).items
            if r.id == invoice_id
        )
        self.seen[invoice_id] = (record.status, record.chorus_status)

    def _all_final(self, followed: list[int]) -> bool:
        wanted = set(followed)
        page = self.engine.invoices(structure=self.structure_id, limit=1000)
        return all(r.is_terminal or r.status not in FOLLOWED for r in page.items if r.id in wanted)

    # --- clock and output ----------------------------------------------------------------------------

    def _advance(self, *, seconds: float = 0, hours: float = 0) -> None:
        answer = self.sim.admin.advance_clock(seconds, hours=hours)
        self.clock.mark(dt.datetime.fromisoformat(answer["now"]))

    def _simulated_now(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.sim.admin.now())

    def _event(self, number: str, text: str) -> None:
        self.output.event(self.clock.now, number, text)


def _newly_integrated(record: InvoiceRecord, before: tuple[InvoiceStatus, str | None] | None) -> bool:
    return (
        before is not None
        and before[0] != InvoiceStatus.INTEGRATED
        and record.status == InvoiceStatus.INTEGRATED
    )
