"""Entry point of the `chorus` command: one sub-command group per part of the product."""

from __future__ import annotations

import typer

from chorus_connect import __version__

app = typer.Typer(
    name="chorus",
    help="Connector to Chorus Pro, the French public sector's e-invoicing platform.",
    no_args_is_help=True,
    add_completion=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"chorus-connect {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Connector to Chorus Pro, the French public sector's e-invoicing platform."""


def _register_groups() -> None:
    # Each part of the product owns its command module; registered here so `chorus --help` lists them all.
    from chorus_connect.cli import connection, demo, invoices, simulator

    simulator.register(app)
    invoices.register(app)
    connection.register(app)
    demo.register(app)

    from chorus_connect.cli import invoices_engine, worker

    invoices_engine.register(app)
    worker.register(app)

    from chorus_connect.cli import received, secrets, structures

    structures.register(app)
    received.register(app)
    secrets.register(app)

    from chorus_connect.cli import web

    web.register(app)


_register_groups()


def main() -> None:
    app()
