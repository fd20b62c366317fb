"""`chorus received sync|list|show|download|approve|suspend|reject`: invoices received by public buyers."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from chorus_connect.cli._store import CliError, console, open_store, print_json, reported_errors, store_option
from chorus_connect.engine.buyers import (
    APPROVAL_STATUSES,
    BuyerError,
    ReceivedInvoices,
    ReceivedInvoiceView,
    SyncReport,
    Treatment,
)
from chorus_connect.store import Store, StructureRole

app = typer.Typer(
    name="received",
    help="Invoices received by public-buyer structures: sync, list, download, approve, suspend, reject.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="received")


@app.command("sync")
def sync(
    structure: str | None = typer.Argument(None, help="Id or name; default: every active public buyer."),
    full: bool = typer.Option(False, "--full", help="Read everything again, not only what changed."),
    as_json: bool = typer.Option(False, "--json", help="Print the reports as JSON."),
    store_url: str | None = store_option(),
) -> None:
    """Fetch the received invoices from Chorus Pro (every page) into the store."""
    reports: list[SyncReport] = []
    failures: list[tuple[str, str]] = []
    with reported_errors(), open_store(store_url) as store:
        desk = ReceivedInvoices(store, actor="cli")
        names = [structure] if structure else _public_buyers(store)
        if not names:
            raise CliError(
                "No active public-buyer structure in the store.", fix="Add one with --role public_buyer."
            )
        for name in names:
            try:
                reports.append(desk.sync(name, full=full))
            except BuyerError as error:
                if structure:
                    raise
                failures.append((name, str(error)))
    if as_json:
        failed = [{"structure": name, "error": error} for name, error in failures]
        print_json({"synced": [r.as_dict() for r in reports], "failed": failed})
    else:
        out = console()
        for report in reports:
            since = f" (changes since {report.since.isoformat()})" if report.since else ""
            out.print(
                f"[bold]{escape(report.structure_name)}[/bold]{since}: {report.seen} seen, "
                f"{report.created} new, {report.updated} changed status."
            )
        for name, error in failures:
            out.print(f"[red]{escape(name)}: {escape(error)}[/red]")
    if failures:
        raise typer.Exit(1)


def _public_buyers(store: Store) -> list[str]:
    with store.read() as tx:
        return [s.name for s in tx.structures.list(role=StructureRole.PUBLIC_BUYER, active_only=True)]


@app.command("list")
def list_received(
    structure: str = typer.Argument(..., help="Id or name of the public-buyer structure."),
    status: list[str] = typer.Option([], "--status", help="Only these Chorus statuses (repeat)."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    store_url: str | None = store_option(),
) -> None:
    """List received invoices as last synced (no call to Chorus Pro), most recent first."""
    with reported_errors(), open_store(store_url) as store:
        rows = ReceivedInvoices(store).list(structure, statuses=status, limit=limit, offset=offset)
    if as_json:
        print_json([row.as_dict() for row in rows])
        return
    if not rows:
        console().print("No received invoice: run `chorus received sync` first.")
        return
    table = Table("Id", "Number", "Date", "Supplier", "Amount incl. VAT", "Chorus status", "File")
    for row in rows:
        table.add_row(
            str(row.id),
            escape(row.number),
            row.issue_date.isoformat() if row.issue_date else "",
            escape(row.supplier_name or row.supplier_identifier or ""),
            f"{row.amount_tax_inclusive} {row.currency or ''}"
            if row.amount_tax_inclusive is not None
            else "",
            row.chorus_status or "",
            "kept" if row.has_file else "",
        )
    console().print(table)


@app.command("show")
def show(
    received_id: int = typer.Argument(..., help="Id shown by `chorus received list`."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    store_url: str | None = store_option(),
) -> None:
    """Show a received invoice and its history (statuses seen and decisions taken, with motifs)."""
    with reported_errors(), open_store(store_url) as store:
        desk = ReceivedInvoices(store)
        invoice = desk.get(received_id)
        history = desk.history(received_id)
    if as_json:
        print_json({**invoice.as_dict(), "history": [line.as_dict() for line in history]})
        return
    out = console()
    for name, value in invoice.as_dict().items():
        out.print(f"[bold]{name}[/bold]: {escape(str(value))}")
    out.print("[bold]history[/bold]:")
    for line in history:
        comment = f" — {line.comment}" if line.comment else ""
        who = f" by {line.actor}" if line.actor else ""
        out.print(
            f"  {line.at.isoformat(timespec='seconds')} {line.source}: {line.chorus_status}"
            f"{escape(comment)}{escape(who)}"
        )


@app.command("download")
def download(
    received_id: int = typer.Argument(..., help="Id shown by `chorus received list`."),
    out: Path | None = typer.Option(None, "--out", "-o", help="File or directory to write (default: here)."),
    refresh: bool = typer.Option(False, "--refresh", help="Download again even if the file is kept."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    store_url: str | None = store_option(),
) -> None:
    """Download the invoice (telecharger/groupe); the file is kept in the store and written to disk."""
    with reported_errors(), open_store(store_url) as store:
        downloaded = ReceivedInvoices(store, actor="cli").download(received_id, refresh=refresh)
        target = out or Path(downloaded.file_name)
        if target.is_dir():
            target = target / downloaded.file_name
        if target.exists() and not force:
            raise CliError(f"{target} exists already.", fix="Choose another --out, or add --force.")
        target.write_bytes(downloaded.content)
    origin = "from the store" if downloaded.from_store else "from Chorus Pro (kept in the store)"
    console().print(f"Wrote {escape(str(target))} ({len(downloaded.content)} bytes, {origin}).")


@app.command("approve")
def approve(
    received_id: int = typer.Argument(..., help="Id shown by `chorus received list`."),
    status: str = typer.Option("SERVICE_FAIT", "--status", help=f"One of {', '.join(APPROVAL_STATUSES)}."),
    mandate_number: str | None = typer.Option(
        None, "--mandate-number", help="numeroDPMandat (with MANDATEE)."
    ),
    store_url: str | None = store_option(),
) -> None:
    """Move the invoice forward (service fait, mandated, paid…)."""
    with reported_errors(), open_store(store_url) as store:
        treatment = ReceivedInvoices(store, actor="cli").approve(
            received_id, status=status, mandate_number=mandate_number
        )
    _print_treatment(treatment)


@app.command("suspend")
def suspend(
    received_id: int = typer.Argument(..., help="Id shown by `chorus received list`."),
    motif: str | None = typer.Option(None, "--motif", "-m", help="What is missing (mandatory)."),
    store_url: str | None = store_option(),
) -> None:
    """Suspend the invoice with a motif; the supplier can then complete it."""
    with reported_errors(), open_store(store_url) as store:
        treatment = ReceivedInvoices(store, actor="cli").suspend(received_id, motif or "")
    _print_treatment(treatment)


@app.command("reject")
def reject(
    received_id: int = typer.Argument(..., help="Id shown by `chorus received list`."),
    motif: str | None = typer.Option(None, "--motif", "-m", help="Why it is rejected (mandatory)."),
    store_url: str | None = store_option(),
) -> None:
    """Reject the invoice with a motif (final)."""
    with reported_errors(), open_store(store_url) as store:
        treatment = ReceivedInvoices(store, actor="cli").reject(received_id, motif or "")
    _print_treatment(treatment)


def _print_treatment(treatment: Treatment) -> None:
    invoice: ReceivedInvoiceView = treatment.invoice
    motif = f" (motif: {treatment.motif})" if treatment.motif else ""
    console().print(
        f"Invoice {escape(invoice.number)}: {treatment.previous_status} → [bold]{treatment.new_status}[/bold]"
        f"{escape(motif)}."
    )
