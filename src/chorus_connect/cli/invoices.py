"""`chorus check FILE...` and `chorus convert FILE... --to facturx|cii|ubl --out OUT | --out-dir DIR`.

`chorus check` reads the recipient's requirements from the Chorus Pro directory when a client can be
built: the credentials from the environment (CHORUS_CLIENT_ID, CHORUS_CLIENT_SECRET, CHORUS_TECH_LOGIN,
CHORUS_TECH_PASSWORD) with CHORUS_ENVIRONMENT / --environment, or `--local URL` for a simulator. Without
them it runs every other layer and says, on one warning line, that the recipient checks were skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from chorus_connect.api import ChorusClient, ConfigurationError, Credentials, Environment
from chorus_connect.api._auth import CREDENTIAL_ENV_VARS
from chorus_connect.engine.payloads import deposit_file_name
from chorus_connect.invoice import (
    Invoice,
    InvoiceInputError,
    LoadedInvoice,
    OutputFormat,
    Profile,
    load_documents,
)
from chorus_connect.invoice.facturx import FacturxError, PageRenderError
from chorus_connect.validation import (
    CheckedOutput,
    CheckOptions,
    Report,
    Severity,
    check_file,
    write_checked,
    write_checked_many,
)
from chorus_connect.validation.recipient_api import ApiRecipientDirectory
from chorus_connect.validation.schematron import SchematronNotRunError

EXIT_ERRORS = 1
EXIT_UNREADABLE = 2
ENV_ENVIRONMENT = "CHORUS_ENVIRONMENT"
ENV_TOKEN_URL = "CHORUS_TOKEN_URL"
ENV_API_URL = "CHORUS_API_URL"
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_LABEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}
_T = TypeVar("_T")
# write_checked_many's gain (each engine's caches warm through the batch) is reached by 50 invoices.
BATCH_SIZE = 50
_PAGE_FIX = "replace the characters CPRO-FX-04 names, or give your own PDF with --pdf"


def register(app: typer.Typer) -> None:
    app.command("check", help="Check invoices (JSON, CSV, Factur-X PDF, CII, UBL) before depositing them.")(
        check
    )
    app.command(
        "convert",
        help="Write invoices as Factur-X PDF, CII or UBL (holds back any that fails the checks).",
    )(convert)


def _profile(value: str) -> Profile:
    try:
        return Profile.from_level(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


# --------------------------------------------------------------------------------------------- directory


class _NoDirectory(Exception):
    """Why the recipient checks cannot run (a warning line, not a failure)."""


def _environment(local: str | None, environment: str | None) -> Environment:
    if local is None and environment is None:
        raise _NoDirectory(
            f"no Chorus Pro environment: set {ENV_ENVIRONMENT} (production, sandbox) or give --local URL"
        )
    try:
        if local is not None:
            return Environment.local(local)
        return Environment.named(
            environment or "", token_url=os.environ.get(ENV_TOKEN_URL), api_url=os.environ.get(ENV_API_URL)
        )
    except ConfigurationError as error:
        raise _NoDirectory(error.message) from error


def _credentials() -> Credentials:
    if not any(os.environ.get(name) for name in CREDENTIAL_ENV_VARS):
        raise _NoDirectory(
            f"no Chorus Pro connection: set {', '.join(CREDENTIAL_ENV_VARS)} with {ENV_ENVIRONMENT}, "
            "or with --local URL for a simulator"
        )
    try:
        return Credentials.from_env()
    except ConfigurationError as error:
        raise _NoDirectory(error.message) from error


@contextlib.contextmanager
def _directory(
    local: str | None, environment: str | None, offline: bool
) -> Iterator[tuple[ApiRecipientDirectory | None, Environment | None, str | None]]:
    """The API-backed directory, its environment, or why there is none."""
    if offline:
        yield None, None, "--offline"
        return
    try:
        credentials = _credentials()
        env = _environment(local, environment)
    except _NoDirectory as why:
        yield None, None, str(why)
        return
    with ChorusClient(credentials, env) as client:
        yield ApiRecipientDirectory(client), env, None


def _skipped_line(reason: str) -> str:
    return f"Recipient checks skipped ({reason}): the buyer's directory requirements were not checked."


# --------------------------------------------------------------------------------------------- check


def check(
    files: list[Path] = typer.Argument(..., help="Invoice files to check.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    production: bool = typer.Option(
        False, "--production", help="Production rules (SIRET checksums); implied by environment production."
    ),
    to: OutputFormat = typer.Option(
        OutputFormat.FACTURX, "--to", help="Format JSON/CSV invoices are checked as."
    ),
    profile: str = typer.Option("en16931", "--profile", help="Factur-X profile for JSON/CSV invoices."),
    syntax: str | None = typer.Option(
        None,
        "--syntax",
        help="Check the PDF/XML files for a deposit under this syntaxeFlux (e.g. IN_DP_E1_CII_16B) and their "
        "own file name: both must match the content. (chorus-connect derives both itself when it deposits.)",
    ),
    allow_reform_frames: bool = typer.Option(
        False, "--allow-reform-frames", help="Accept the 2026 reform's BT-23 codes (B1, S1, M1…)."
    ),
    public_supplier: bool = typer.Option(
        False, "--public-supplier", help="The supplier is a public structure (FACTURES_PUBLIQUES allowed)."
    ),
    local: str | None = typer.Option(
        None, "--local", metavar="URL", help="Read the directory from a simulator at URL (env credentials)."
    ),
    environment: str | None = typer.Option(
        None,
        "--environment",
        "-e",
        envvar=ENV_ENVIRONMENT,
        help="production or sandbox: read the recipient's requirements there (env credentials).",
    ),
    offline: bool = typer.Option(False, "--offline", help="Do not read the Chorus Pro directory."),
) -> None:
    """Exit code: 0 when no invoice has errors, 1 when one has, 2 when a file cannot be read."""
    console = Console(stderr=False, highlight=False)
    with _directory(local, environment, offline) as (directory, env, skipped):
        options = CheckOptions(
            target=to,
            profile=_profile(profile),
            production=production or (env is not None and env.name == "production"),
            supplier_public=public_supplier,
            directory=directory,
            refuse_reform_frame_codes=not allow_reform_frames,
        )
        reports, unreadable = _check_files(files, options, syntax)
    if skipped is not None and not offline:
        # Humans read the line on stderr in --json mode too; the JSON says it as well.
        Console(stderr=True, highlight=False).print(f"[yellow]![/] {escape(_skipped_line(skipped))}")
    if as_json:
        payload = {
            "recipient_checks": {"run": directory is not None, "skipped_because": skipped},
            "reports": [report.as_dict() for report in reports],
            "unreadable": [
                {"source": e.source, "problems": [str(p) for p in e.problems]} for e in unreadable
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for error in unreadable:
            _print_unreadable(console, error)
        for report in reports:
            _print_report(console, report)
    if unreadable:
        raise typer.Exit(EXIT_UNREADABLE)
    if any(not report.ok for report in reports):
        raise typer.Exit(EXIT_ERRORS)


def _check_files(
    files: list[Path], options: CheckOptions, syntax: str | None
) -> tuple[list[Report], list[InvoiceInputError]]:
    reports: list[Report] = []
    unreadable: list[InvoiceInputError] = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            unreadable.append(
                InvoiceInputError.single(str(path), "", f"cannot read the file ({exc.strerror})")
            )
            continue
        try:
            # The name matters only for a deposit made as the user says (--syntax), under this file's name.
            name = path.name if syntax is not None else None
            reports.extend(
                _run(
                    lambda d=data, p=path, n=name: check_file(d, str(p), options, file_name=n, syntax=syntax)
                )
            )
        except InvoiceInputError as exc:
            unreadable.append(exc)
    return reports, unreadable


def _run(action: Callable[[], _T]) -> _T:
    try:
        return action()
    except SchematronNotRunError as exc:
        # Never report "valid" when a schematron did not run.
        typer.echo(f"internal error: {exc}", err=True)
        raise typer.Exit(EXIT_ERRORS) from exc


def _print_unreadable(console: Console, error: InvoiceInputError) -> None:
    console.print(f"[bold red]✗ {escape(error.source)}[/] : fichier illisible")
    for problem in error.problems:
        console.print(f"    {escape(str(problem))}")


def _print_report(console: Console, report: Report) -> None:
    status = "[bold green]✓[/]" if report.ok else "[bold red]✗[/]"
    summary = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    console.print(f"{status} {escape(report.source)} : {summary}  [dim]({', '.join(report.layers_run)})[/]")
    if not report.findings:
        return
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    for column in ("Severity", "Rule", "Field", "What to fix (as Chorus Pro users read it)"):
        table.add_column(column, overflow="fold")
    for finding in report.findings:
        table.add_row(
            f"[{_STYLE[finding.severity]}]{_LABEL[finding.severity]}[/]",
            escape(finding.rule_id),
            escape(finding.path),
            escape(finding.message) + (f"\n[dim]{escape(finding.detail)}[/]" if finding.detail else ""),
        )
    console.print(table)


def convert(
    files: list[Path] = typer.Argument(
        ..., help="Invoices to convert (JSON, CSV, Factur-X PDF, CII or UBL).", show_default=False
    ),
    to: OutputFormat = typer.Option(..., "--to", help="Output format."),
    out: Path | None = typer.Option(None, "--out", help="Output file (one invoice)."),
    out_dir: Path | None = typer.Option(
        None, "--out-dir", help="Output directory: one file per invoice, named after its number."
    ),
    pdf: Path | None = typer.Option(
        None, "--pdf", help="Your own PDF to embed the XML into (Factur-X, one invoice)."
    ),
    profile: str = typer.Option("en16931", "--profile", help="Factur-X / CII profile."),
    production: bool = typer.Option(False, "--production", help="Production rules (SIRET checksums)."),
    allow_reform_frames: bool = typer.Option(
        False, "--allow-reform-frames", help="Accept the 2026 reform's BT-23 codes (B1, S1, M1…)."
    ),
    public_supplier: bool = typer.Option(
        False, "--public-supplier", help="The supplier is a public structure (FACTURES_PUBLIQUES allowed)."
    ),
    force: bool = typer.Option(False, "--force", help="Write the file even if the checks find errors."),
) -> None:
    """Written once: the bytes checked (XML, then the final file) are the bytes written.

    Exit code: 0 when every invoice was written, 1 when the checks held one back, 2 when a file cannot be
    read (the readable ones are still converted with --out-dir).
    """
    console = Console(highlight=False)
    if (out is None) == (out_dir is None):
        raise typer.BadParameter("give --out FILE for one invoice, or --out-dir DIR", param_hint="--out")
    if pdf is not None and to is not OutputFormat.FACTURX:
        raise typer.BadParameter("--pdf only applies to --to facturx", param_hint="--pdf")
    if pdf is not None and out is None:
        raise typer.BadParameter("--pdf applies to one invoice written with --out", param_hint="--pdf")
    options = CheckOptions(
        target=to,
        profile=_profile(profile),
        production=production,
        supplier_public=public_supplier,
        refuse_reform_frame_codes=not allow_reform_frames,
    )
    documents, unreadable = _load_all(files)
    for error in unreadable:
        _print_unreadable(console, error)
    if out is not None:
        if unreadable:
            raise typer.Exit(EXIT_UNREADABLE)
        _convert_one(console, files, documents, options, out, pdf, force)
        return
    assert out_dir is not None
    written = _convert_batch(console, documents, options, out_dir, force)
    if unreadable:
        raise typer.Exit(EXIT_UNREADABLE)
    if written < len(documents):
        raise typer.Exit(EXIT_ERRORS)


def _load_all(files: list[Path]) -> tuple[list[LoadedInvoice], list[InvoiceInputError]]:
    documents: list[LoadedInvoice] = []
    unreadable: list[InvoiceInputError] = []
    for path in files:
        try:
            documents.extend(load_documents(path))
        except InvoiceInputError as exc:
            unreadable.append(exc)
    return documents, unreadable


def _convert_one(
    console: Console,
    files: list[Path],
    documents: list[LoadedInvoice],
    options: CheckOptions,
    out: Path,
    pdf: Path | None,
    force: bool,
) -> None:
    if len(documents) != 1:
        console.print(
            f"[bold red]✗[/] {escape(', '.join(map(str, files)))} hold {len(documents)} invoices: "
            "give --out-dir DIR to write one file per invoice."
        )
        raise typer.Exit(EXIT_UNREADABLE)
    try:
        own_pdf = pdf.read_bytes() if pdf is not None else None
    except OSError as exc:
        console.print(f"[bold red]✗[/] {escape(str(pdf))} : {escape(exc.strerror or str(exc))}")
        raise typer.Exit(EXIT_UNREADABLE) from exc
    try:
        result = _run(lambda: write_checked(documents[0].invoice, options, pdf=own_pdf, force=force))
    except PageRenderError as exc:  # only with --force: the check reports CPRO-FX-04 first
        console.print(f"[bold red]✗[/] {escape(str(exc))}: {_PAGE_FIX}.")
        raise typer.Exit(EXIT_UNREADABLE) from exc
    except FacturxError as exc:
        console.print(f"[bold red]✗[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_UNREADABLE) from exc
    result.report.source = documents[0].source
    _print_report(console, result.report)
    if result.output is None:
        console.print("[bold red]File not written[/]: fix the errors above, or run again with --force.")
        raise typer.Exit(EXIT_ERRORS)
    out.write_bytes(result.output.data)
    console.print(f"[green]Wrote[/] {escape(str(out))} — syntaxeFlux [bold]{result.output.syntaxe_flux}[/]")


def _convert_batch(
    console: Console, documents: list[LoadedInvoice], options: CheckOptions, out_dir: Path, force: bool
) -> int:
    """Each invoice to `out_dir/<number>.<ext>`, through `write_checked_many` a batch at a time."""
    names = [deposit_file_name(document.invoice.number, options.target) for document in documents]
    _refuse_duplicate_names(console, documents, names)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Converting", total=len(documents))
        for first in range(0, len(documents), BATCH_SIZE):
            batch, batch_names = documents[first : first + BATCH_SIZE], names[first : first + BATCH_SIZE]
            results = _write_batch(batch, options, force)
            for document, name, result in zip(batch, batch_names, results, strict=True):
                written += _save(progress.console, document, out_dir / name, result)
            progress.advance(task, len(batch))
    console.print(f"Wrote {written} of {len(documents)} invoice(s) to {escape(str(out_dir))}.")
    return written


def _refuse_duplicate_names(console: Console, documents: list[LoadedInvoice], names: list[str]) -> None:
    first_source: dict[str, str] = {}
    for document, name in zip(documents, names, strict=True):
        if name in first_source:
            console.print(
                f"[bold red]✗[/] invoice {escape(document.invoice.number)} ({escape(document.source)}) would "
                f"be written to {escape(name)} as the one from {escape(first_source[name])}: each invoice "
                "needs its own number. Nothing was written."
            )
            raise typer.Exit(EXIT_UNREADABLE)
        first_source[name] = document.source


def _write_batch(
    batch: list[LoadedInvoice], options: CheckOptions, force: bool
) -> list[CheckedOutput | FacturxError]:
    invoices = [document.invoice for document in batch]
    try:
        return list(_run(lambda: write_checked_many(invoices, options, force=force)))
    except FacturxError:  # forced through a page that cannot be drawn: find which, write the others
        return [_write_one(invoice, options, force) for invoice in invoices]


def _write_one(invoice: Invoice, options: CheckOptions, force: bool) -> CheckedOutput | FacturxError:
    try:
        return _run(lambda: write_checked(invoice, options, force=force))
    except FacturxError as error:
        return error


def _save(console: Console, document: LoadedInvoice, path: Path, result: CheckedOutput | FacturxError) -> int:
    label = f"{document.source} [{document.invoice.number}]"
    if isinstance(result, FacturxError):
        fix = f": {_PAGE_FIX}" if isinstance(result, PageRenderError) else ""
        console.print(f"[bold red]✗[/] {escape(label)} : {escape(str(result))}{fix}")
        return 0
    result.report.source = label
    _print_report(console, result.report)
    if result.output is None:
        return 0
    path.write_bytes(result.output.data)
    return 1
