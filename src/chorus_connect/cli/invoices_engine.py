"""`chorus invoices ...`: the invoice life cycle from the command line, on the store.

    chorus invoices import FILE... --structure acme      # JSON, CSV, Factur-X, CII, UBL
    chorus invoices check --structure acme --all         # pre-flight checks (recipient read from Chorus Pro)
    chorus invoices deposit --structure acme --all [--batch-size 100] [--now]
    chorus invoices sync                                 # follow deposited invoices
    chorus invoices list [--json] / show REF [--json]
    chorus invoices complete REF --comment ... [--attach FILE]
    chorus invoices recycle REF [--recipient SIRET] [--service CODE] [--engagement EJ]
    chorus invoices resend REF --number NEW / cancel REF --number AVOIR / withdraw REF

The store is ``--store``, else ``CHORUS_STORE_URL``, else ``CHORUS_DATABASE_URL``, else
``sqlite:///chorus.sqlite3`` in the working directory (see ``cli/_store.py``); the secrets key comes from
``CHORUS_SECRET_KEY`` / ``CHORUS_SECRET_KEY_FILE``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from chorus_connect.api import ChorusError
from chorus_connect.cli._store import CliError, open_store, store_option
from chorus_connect.engine.errors import EngineError, ImportRefusedError, InvoiceFileError
from chorus_connect.engine.service import Engine, invoice_summary, store_url
from chorus_connect.invoice import InvoiceInputError, OutputFormat
from chorus_connect.store import InvalidInputError, InvoiceStatus, NotFoundError, StoreError

invoices_app = typer.Typer(
    help="Invoices in the store: import, check, deposit, follow, and act on Chorus Pro's answers.",
    no_args_is_help=True,
)
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
T = TypeVar("T")

STORE_OPTION = store_option()  # --store / CHORUS_STORE_URL, shared with `chorus structures`
STRUCTURE_OPTION = typer.Option(None, "--structure", "-s", help="Structure name or id.")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of tables.")


def register(app: typer.Typer) -> None:
    app.add_typer(invoices_app, name="invoices")


# --- shared plumbing (also used by `chorus worker`) -----------------------------------------------------


def fail(message: str, *, code: int = EXIT_FAILED) -> NoReturn:
    Console(stderr=True, soft_wrap=True, highlight=False).print(f"[red]Error:[/red] {escape(message)}")
    raise typer.Exit(code=code)


@contextmanager
def engine_for(store_url: str | None, *, actor: str = "cli") -> Iterator[Engine]:
    """An engine on the store; known errors become one clear line on stderr and an exit code."""
    with reported_errors():
        store = open_store(as_store_url(store_url))
        try:
            with Engine(store, actor=actor) as engine:
                yield engine
        finally:
            store.close()


def as_store_url(given: str | None) -> str | None:
    """A database URL as given; a plain file path is taken as a SQLite file."""
    if given is None or not given.strip() or "://" in given:
        return given
    return store_url(given)


@contextmanager
def reported_errors() -> Iterator[None]:
    try:
        yield
    except (
        InvoiceFileError,
        ImportRefusedError,
        InvalidInputError,
        InvoiceInputError,
        NotFoundError,
    ) as error:
        fail(str(error), code=EXIT_BAD_INPUT)
    except (EngineError, StoreError, ChorusError, CliError) as error:
        fail(str(error))


def print_json(payload: object) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def with_progress(label: str, total: int, work: Callable[[Callable[[int], None]], T]) -> T:
    """Run ``work(advance)`` under a progress bar (on stderr, so --json output stays clean)."""
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=total < 2) as progress:
        task = progress.add_task(label, total=total)
        return work(lambda step: progress.advance(task, step))


# --- import / check / deposit ---------------------------------------------------------------------------


@invoices_app.command("import")
def import_command(
    files: list[Path] = typer.Argument(..., help="Invoice files: JSON, CSV, Factur-X PDF, CII or UBL."),
    structure: str = typer.Option(..., "--structure", "-s", help="The supplier structure (name or id)."),
    skip_existing: bool = typer.Option(False, "--skip-existing", help="Leave out numbers already imported."),
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Import invoices (all or nothing: one bad file and nothing is imported)."""
    with engine_for(store) as engine:
        report = engine.import_files(structure, files, skip_existing=skip_existing)
    if as_json:
        print_json(
            {
                "imported": [
                    {
                        "id": item.invoice_id,
                        "number": item.number,
                        "source": item.source,
                        "market_conflicts": [c.__dict__ for c in item.market_conflicts],
                    }
                    for item in report.imported
                ],
                "skipped": [{"number": n, "reason": r} for n, r in report.skipped],
            }
        )
        return
    console = Console(highlight=False)
    console.print(f"Imported {len(report.imported)} invoice(s), skipped {len(report.skipped)}.")
    for item in report.imported:
        console.print(f"  #{item.invoice_id} {escape(item.number)}  ({escape(item.source)})")
        for conflict in item.market_conflicts:
            console.print(
                f"    [yellow]market:[/yellow] {conflict.field} {escape(conflict.invoice_value)} "
                f"differs from the market's {escape(conflict.market_value)} (kept)"
            )
    for number, reason in report.skipped:
        console.print(f"  [dim]skipped {escape(number)}: {escape(reason)}[/dim]")
    console.print("Next: chorus invoices check --structure " + structure + " --all")


@invoices_app.command("check")
def check_command(
    refs: list[str] = typer.Argument(None, help="Invoice ids or numbers."),
    structure: str | None = STRUCTURE_OPTION,
    all_pending: bool = typer.Option(False, "--all", help="Every imported or check_failed invoice."),
    output_format: str = typer.Option(
        "auto", "--format", help="auto (the imported file, else Factur-X), facturx, cii or ubl."
    ),
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the pre-flight checks (XSD, schematrons, Chorus Pro rules, the recipient's requirements)."""
    target = _format(output_format)
    with engine_for(store) as engine:
        ids = _select(
            engine, refs, structure, all_pending, (InvoiceStatus.IMPORTED, InvoiceStatus.CHECK_FAILED)
        )
        outcomes = with_progress(
            "Checking", len(ids), lambda advance: engine.check(ids, target=target, progress=advance)
        )
    if as_json:
        print_json([outcome.__dict__ | {"status": outcome.status.value} for outcome in outcomes])
        return
    console = Console(highlight=False)
    for outcome in outcomes:
        mark = "[green]✔ checked[/green]" if outcome.ok else "[red]✘ check_failed[/red]"
        console.print(
            f"{mark} #{outcome.invoice_id} {escape(outcome.number)}: {outcome.errors} error(s), "
            f"{outcome.warnings} warning(s) ({outcome.syntax})"
        )
        for finding in outcome.findings:
            if finding["severity"] in ("error", "warning"):
                colour = "red" if finding["severity"] == "error" else "yellow"
                console.print(
                    f"    [{colour}]{finding['severity']}[/{colour}] {finding['rule_id']} "
                    f"{escape(str(finding['path']))}: {escape(str(finding['message']))}"
                )
    failed = sum(not o.ok for o in outcomes)
    if failed:
        raise typer.Exit(EXIT_FAILED)


@invoices_app.command("deposit")
def deposit_command(
    refs: list[str] = typer.Argument(None, help="Invoice ids or numbers."),
    structure: str | None = STRUCTURE_OPTION,
    all_checked: bool = typer.Option(False, "--all", help="Every checked invoice."),
    batch_size: int | None = typer.Option(
        None,
        "--batch-size",
        min=1,
        max=500,
        help="Zip batches of this many invoices (default: one flux each).",
    ),
    now: bool = typer.Option(
        False, "--now", help="Deposit here and now instead of leaving it to the worker."
    ),
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Queue checked invoices for deposit (exactly once, whatever fails); --now deposits them at once."""
    with engine_for(store) as engine:
        ids = _select(engine, refs, structure, all_checked, (InvoiceStatus.CHECKED,))
        queued = with_progress(
            "Preparing", len(ids), lambda advance: engine.queue(ids, batch_size=batch_size, progress=advance)
        )
        report = None
        if now:
            total = len(queued.batch_ids) or len(queued.invoice_ids)
            report = with_progress(
                "Depositing",
                total,
                lambda advance: engine.deposit_now(
                    structure=structure, on_progress=lambda _kind, n: advance(n)
                ),
            )
    if as_json:
        print_json(
            {
                "queued": queued.invoice_ids,
                "batches": queued.batch_ids,
                "deposit": report.as_dict() if report else None,
            }
        )
        return
    console = Console(highlight=False)
    batches = f" in {len(queued.batch_ids)} batch(es)" if queued.batch_ids else ""
    console.print(f"Queued {len(queued.invoice_ids)} invoice(s){batches}.")
    if report is None:
        console.print("The worker deposits them (`chorus worker run`), or use --now.")
    else:
        console.print(
            "Deposit: " + ", ".join(f"{k} {v}" for k, v in report.deposits.items()) or "nothing to do"
        )


@invoices_app.command("sync")
def sync_command(
    structure: str | None = STRUCTURE_OPTION,
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Ask Chorus Pro what happened to the deposited invoices (few calls: see `docs/engine.md`)."""
    with engine_for(store) as engine:
        reports = engine.sync(structure)
    if as_json:
        print_json([r.as_dict() for r in reports])
        return
    table = Table(title="Sync")
    for column in ("Structure", "Tracked", "API calls", "Calls/invoice", "Changed", "Refused", "Finished"):
        table.add_column(column, justify="right")
    for r in reports:
        table.add_row(
            str(r.structure_id),
            str(r.tracked),
            str(r.api_calls),
            f"{r.calls_per_tracked_invoice:.3f}",
            str(r.changed),
            str(r.refused),
            str(r.finished),
        )
    Console().print(table)


# --- reading -------------------------------------------------------------------------------------------


@invoices_app.command("list")
def list_command(
    structure: str | None = STRUCTURE_OPTION,
    status: list[str] = typer.Option(None, "--status", help="Engine status (repeatable), e.g. integrated."),
    chorus_status: list[str] = typer.Option(None, "--chorus-status", help="Chorus status, e.g. SUSPENDUE."),
    number: str | None = typer.Option(None, "--number", help="Number contains this text."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    offset: int = typer.Option(0, "--offset", min=0),
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List invoices, newest first."""
    statuses = [_status(s) for s in status or []]
    with engine_for(store) as engine:
        page = engine.invoices(
            structure=structure,
            statuses=statuses or None,
            chorus_statuses=[s.upper() for s in chorus_status or []] or None,
            number_contains=number,
            limit=limit,
            offset=offset,
        )
        rows = [invoice_summary(r) for r in page.items]
    if as_json:
        print_json({"total": page.total, "limit": page.limit, "offset": page.offset, "items": rows})
        return
    table = Table(title=f"Invoices {offset + 1}–{offset + len(rows)} of {page.total}")
    for column in ("Id", "Number", "Date", "Recipient", "Amount", "Status", "Chorus status", "Flux"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            escape(row["number"]),
            row["issue_date"],
            escape(row["recipient_siret"] or ""),
            f"{row['amount_tax_inclusive']} {row['currency']}",
            row["status"],
            row["chorus_status"] or "",
            row["flux_number"] or "",
        )
    Console().print(table)


@invoices_app.command("show")
def show_command(
    ref: str = typer.Argument(..., help="Invoice id or number."),
    structure: str | None = STRUCTURE_OPTION,
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """One invoice: its status, history, deposit attempts, findings and what can be done with it."""
    with engine_for(store) as engine:
        view = engine.show(engine.find_invoice(ref, structure=structure))
    if as_json:
        print_json(view.__dict__)
        return
    console = Console(highlight=False)
    info = view.invoice
    chorus = f" / Chorus {info['chorus_status']}" if info["chorus_status"] else ""
    console.print(f"[bold]#{info['id']} {escape(info['number'])}[/bold] — {info['status']}{chorus}")
    console.print(
        f"  {info['issue_date']} to {info['recipient_siret']} service {info['service_code'] or '-'} "
        f"EJ {info['engagement_number'] or '-'}: {info['amount_tax_inclusive']} {info['currency']}"
    )
    if info["flux_number"]:
        console.print(f"  flux {info['flux_number']}, Chorus id {info['chorus_invoice_id'] or '-'}")
    history = Table(title="History")
    for column in ("At", "Source", "Status", "Chorus", "Comment"):
        history.add_column(column)
    for event in view.history:
        history.add_row(
            event["at"][:19],
            event["source"],
            event["status"],
            event["chorus_status"] or "",
            escape(event["comment"] or ""),
        )
    console.print(history)
    if view.attempts:
        console.print(
            "Deposit attempts: "
            + "; ".join(
                f"#{a['attempt']} {a['state']} {a['flux_number'] or ''}".strip() for a in view.attempts
            )
        )
    for finding in view.findings:
        if finding.get("severity") in ("error", "warning"):
            console.print(
                f"  {finding['severity']} {finding['rule_id']} {escape(str(finding['path']))}: "
                f"{escape(str(finding['message']))}"
            )
    console.print("Possible actions: " + (", ".join(view.allowed_actions) or "none (nothing to do)"))


# --- actions -------------------------------------------------------------------------------------------


@invoices_app.command("complete")
def complete_command(
    ref: str = typer.Argument(..., help="Invoice id or number (Chorus status SUSPENDUE)."),
    comment: str = typer.Option(..., "--comment", help="What you add or correct (the recipient reads it)."),
    attach: list[Path] = typer.Option(None, "--attach", help="A file to attach (repeatable)."),
    structure: str | None = STRUCTURE_OPTION,
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Answer a suspension: upload the attachments and complete the invoice on Chorus Pro."""
    with engine_for(store) as engine:
        result = engine.complete(
            engine.find_invoice(ref, structure=structure), comment=comment, attachments=attach or []
        )
    _print_result(result, as_json)


@invoices_app.command("recycle")
def recycle_command(
    ref: str = typer.Argument(..., help="Invoice id or number (Chorus status A_RECYCLER)."),
    recipient: str | None = typer.Option(None, "--recipient", help="The right recipient SIRET."),
    service: str | None = typer.Option(None, "--service", help="The right service code."),
    engagement: str | None = typer.Option(None, "--engagement", help="The right engagement (EJ) number."),
    comment: str | None = typer.Option(None, "--comment"),
    structure: str | None = STRUCTURE_OPTION,
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Send an invoice to recycle to the right recipient / service / engagement."""
    with engine_for(store) as engine:
        result = engine.recycle(
            engine.find_invoice(ref, structure=structure),
            recipient_siret=recipient,
            service_code=service,
            engagement_number=engagement,
            comment=comment,
        )
    _print_result(result, as_json)


@invoices_app.command("resend")
def resend_command(
    ref: str = typer.Argument(..., help="Invoice id or number (refused at integration or REJETEE)."),
    number: str = typer.Option(..., "--number", help="The new invoice number."),
    issue_date: str | None = typer.Option(None, "--issue-date", help="YYYY-MM-DD (default: today)."),
    changes: list[str] = typer.Option(
        None, "--set", help="A corrected field, e.g. --set engagement_number=EJ-42 (repeatable)."
    ),
    structure: str | None = STRUCTURE_OPTION,
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create the corrected invoice under a new number, linked to this one (then check and deposit it)."""
    with engine_for(store) as engine:
        result = engine.resend(
            engine.find_invoice(ref, structure=structure),
            number=number,
            issue_date=_date(issue_date),
            changes=_changes(changes or []),
        )
    _print_result(result, as_json)


@invoices_app.command("cancel")
def cancel_command(
    ref: str = typer.Argument(..., help="Invoice id or number (REJETEE or paid)."),
    number: str = typer.Option(..., "--number", help="The credit note's number."),
    reason: str | None = typer.Option(None, "--reason"),
    issue_date: str | None = typer.Option(None, "--issue-date", help="YYYY-MM-DD (default: today)."),
    structure: str | None = STRUCTURE_OPTION,
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Cancel an invoice with a credit note (AVOIR) referencing it (then check and deposit the note)."""
    with engine_for(store) as engine:
        result = engine.cancel(
            engine.find_invoice(ref, structure=structure),
            number=number,
            issue_date=_date(issue_date),
            reason=reason,
        )
    _print_result(result, as_json)


@invoices_app.command("withdraw")
def withdraw_command(
    ref: str = typer.Argument(..., help="Invoice id or number (not deposited yet)."),
    reason: str | None = typer.Option(None, "--reason"),
    structure: str | None = STRUCTURE_OPTION,
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Take out an invoice that was never deposited."""
    with engine_for(store) as engine:
        result = engine.withdraw(engine.find_invoice(ref, structure=structure), reason=reason)
    _print_result(result, as_json)


# --- helpers -------------------------------------------------------------------------------------------


def _select(
    engine: Engine,
    refs: Sequence[str] | None,
    structure: str | None,
    everything: bool,
    statuses: tuple[InvoiceStatus, ...],
) -> list[int]:
    if refs:
        return [engine.find_invoice(ref, structure=structure) for ref in refs]
    if not everything:
        fail(
            "Name the invoices (ids or numbers), or pass --all (with --structure to narrow it).",
            code=EXIT_BAD_INPUT,
        )
    ids: list[int] = []
    offset = 0
    while True:
        page = engine.invoices(structure=structure, statuses=list(statuses), limit=1000, offset=offset)
        ids.extend(r.id for r in page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
    return sorted(ids)


def _format(value: str) -> OutputFormat | None:
    if value.lower() == "auto":
        return None
    try:
        return OutputFormat(value.lower())
    except ValueError:
        fail(f"--format: {value!r} is not auto, facturx, cii or ubl.", code=EXIT_BAD_INPUT)


def _status(value: str) -> InvoiceStatus:
    try:
        return InvoiceStatus(value.lower())
    except ValueError:
        names = ", ".join(s.value for s in InvoiceStatus)
        fail(f"--status: {value!r} is not one of {names}.", code=EXIT_BAD_INPUT)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--issue-date: {value!r} is not a date; use YYYY-MM-DD.", code=EXIT_BAD_INPUT)


def _changes(items: Sequence[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            fail(f"--set {item!r}: write field=value, e.g. engagement_number=EJ-42.", code=EXIT_BAD_INPUT)
        changes[name.strip()] = value.strip()
    return changes


def _print_result(result: Any, as_json: bool) -> None:
    if as_json:
        print_json(result.__dict__)
        return
    extra = f" (new invoice #{result.new_invoice_id})" if result.new_invoice_id else ""
    status = f" Chorus status: {result.chorus_status}." if result.chorus_status else ""
    Console(highlight=False).print(f"#{result.invoice_id}: {escape(result.message)}{extra}{status}")
