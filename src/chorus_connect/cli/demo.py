"""`chorus demo`: the main job end to end against the embedded simulator, with no account — the work is
done by :mod:`chorus_connect.demo`; this module only prints it (progress bars, events, summary table)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from chorus_connect.cli._store import fail, reported_errors

if TYPE_CHECKING:
    from chorus_connect.demo import DemoResult

DEFAULT_OUT_DIR = Path(
    "chorus-demo"
)  # chorus_connect.demo.runner.DEFAULT_OUT_DIR (not imported: startup time)

OUTCOME_STYLES = {
    "paid": "green",
    "payment_ordered": "blue",
    "rejected": "red",
    "refused": "red",
    "stopped": "yellow",
    "in_progress": "magenta",
}


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    out: Path = typer.Option(
        DEFAULT_OUT_DIR,
        "--out",
        help="Directory for the demo's store (chorus-demo.sqlite3), the imported invoices, report.html and "
        "summary.json; the previous demo's files there are replaced.",
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the simulator's generated data set."),
) -> None:
    """Run the main job end to end against the embedded Chorus Pro simulator (no account needed)."""
    from chorus_connect.demo import DemoError, DemoOptions, run_demo

    console = Console(highlight=False)
    console.print("[bold]chorus-connect demo[/bold] — the main job against the embedded Chorus Pro simulator")
    with reported_errors():
        try:
            result = run_demo(DemoOptions(out_dir=out, seed=seed), RichOutput(console))
        except DemoError as error:
            fail(error.message, error.fix)
    print_summary(console, result)
    if result.unfinished:
        numbers = ", ".join(o.number for o in result.unfinished)
        fail(
            f"{len(result.unfinished)} invoice(s) had not reached a final status when the demo stopped: "
            f"{numbers}.",
            "This is a bug of the demo or the simulator: please report it with report.html.",
        )


class _Step:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def advance(self, count: int = 1) -> None:
        self._progress.advance(self._task, count)

    def finish(self) -> None:
        # Done before the allowed maximum: the bar ends full, at the number of steps actually taken.
        done = self._progress.tasks[self._task].completed
        self._progress.update(self._task, total=done, completed=done)


class RichOutput:
    """The demo's output on a rich console."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def info(self, text: str) -> None:
        self.console.print(escape(text))

    def event(self, at: dt.datetime, number: str, text: str) -> None:
        from chorus_connect.demo.outcomes import paris

        self.console.print(f"  [dim]{paris(at)}[/dim]  [bold]{escape(number)}[/bold]  {escape(text)}")

    @contextmanager
    def progress(self, label: str, total: int) -> Iterator[_Step]:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=self.console) as progress:
            yield _Step(progress, progress.add_task(label, total=total))


def print_summary(console: Console, result: DemoResult) -> None:
    table = Table(title="What happened to each invoice", show_lines=True)
    table.add_column("Invoice", no_wrap=True)
    table.add_column("Recipient")
    table.add_column("Amount", justify="right", no_wrap=True)
    table.add_column("Final status", no_wrap=True)
    table.add_column("What happened")
    for outcome in result.outcomes:
        style = OUTCOME_STYLES.get(outcome.outcome, "")
        table.add_row(
            escape(outcome.number),
            escape(outcome.recipient_name),
            f"{outcome.amount_tax_inclusive} {outcome.currency}",
            f"[{style}]{escape(outcome.final_status)}[/{style}]",
            f"[dim]{escape(outcome.title)}[/dim]\n{escape(outcome.summary)}",
        )
    console.print(table)
    tracking = result.tracking
    console.print(
        f"Tracking: {tracking.syncs} syncs, {tracking.api_calls} API calls "
        f"({tracking.calls_per_tracked_invoice_per_sync:.3f} per followed invoice per sync; asking for each "
        f"invoice at each sync would have taken {tracking.invoice_syncs})."
    )
    held_back = [o.number for o in result.outcomes if not o.deposited]
    received = result.received_numbers
    console.print(
        f"Chorus Pro received {len(received)} invoice(s) from {escape(result.supplier_name)}, each once"
        + (f"; never sent: {', '.join(held_back)}." if held_back else ".")
    )
    console.print(f"Report:  [bold]{escape(str(result.report_path))}[/bold]")
    console.print(f"Summary: {escape(str(result.summary_path))}")
    console.print(
        f"Store:   {escape(str(result.store_path))} — try "
        f"`chorus invoices list --store {escape(str(result.store_path))}`"
    )
    days = (result.ended_at - result.started_at).total_seconds() / 86400
    console.print(f"Done in {result.elapsed_seconds:.1f} s ({days:.1f} simulated days).")
