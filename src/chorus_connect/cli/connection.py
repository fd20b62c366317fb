"""`chorus check-connection`: is everything in place to talk to Chorus Pro? Each step passed or failed, with
the fix. With no credentials at all, it checks against the embedded simulator and its default data set."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from rich.console import Console

from chorus_connect.api import ChorusClient, ChorusError, ConfigurationError, Credentials, Environment
from chorus_connect.api._auth import ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_TECH_LOGIN, ENV_TECH_PASSWORD
from chorus_connect.api._diagnostics import ConnectionReport, StepStatus, check_connection
from chorus_connect.api._environments import ENVIRONMENT_NAMES

_MARKS = {
    StepStatus.PASSED: "[green]✔ passed[/green] ",
    StepStatus.WARNING: "[yellow]! warning[/yellow]",
    StepStatus.FAILED: "[red]✘ failed[/red] ",
    StepStatus.SKIPPED: "[dim]- skipped[/dim]",
}


def register(app: typer.Typer) -> None:
    app.command("check-connection")(check_connection_command)


def check_connection_command(
    environment: str | None = typer.Option(
        None,
        "--environment",
        "-e",
        envvar="CHORUS_ENVIRONMENT",
        help="production, sandbox (PISTE sandbox = Chorus Pro qualification) or local (a simulator). "
        "Default: local when no credentials are given.",
    ),
    token_url: str | None = typer.Option(
        None, "--token-url", envvar="CHORUS_TOKEN_URL", help="OAuth2 token URL (overrides the preset)."
    ),
    api_url: str | None = typer.Option(
        None, "--api-url", envvar="CHORUS_API_URL", help="API gateway root URL (overrides the preset)."
    ),
    client_id: str = typer.Option("", "--client-id", envvar=ENV_CLIENT_ID, help="PISTE OAuth2 client id."),
    client_secret: str = typer.Option(
        "",
        "--client-secret",
        envvar=ENV_CLIENT_SECRET,
        help="PISTE OAuth2 client secret.",
        show_default=False,
    ),
    tech_login: str = typer.Option(
        "", "--tech-login", envvar=ENV_TECH_LOGIN, help="Technical account login."
    ),
    tech_password: str = typer.Option(
        "",
        "--tech-password",
        envvar=ENV_TECH_PASSWORD,
        help="Technical account password.",
        show_default=False,
    ),
    timeout: float = typer.Option(30.0, "--timeout", min=1.0, help="Seconds to wait for each answer."),
) -> None:
    """Check the PISTE credentials, the Chorus Pro technical account and the API subscriptions."""
    console = Console(soft_wrap=True, highlight=False)
    given = [client_id, client_secret, tech_login, tech_password]
    try:
        with (
            _target(environment, token_url, api_url, given, console) as (env, credentials),
            ChorusClient(credentials, env, timeout=timeout) as client,
        ):
            report = check_connection(client)
    except ChorusError as error:
        Console(stderr=True, soft_wrap=True, highlight=False).print(f"[red]Error:[/red] {error}")
        raise typer.Exit(code=2) from None
    _print(report, console)
    raise typer.Exit(code=0 if report.ok else 1)


@contextlib.contextmanager
def _target(
    environment: str | None, token_url: str | None, api_url: str | None, given: list[str], console: Console
) -> Iterator[tuple[Environment, Credentials]]:
    if not any(given) and (environment or "local") == "local" and not api_url:
        yield from _embedded_simulator(console)
        return
    if environment is None:
        raise ConfigurationError(
            "Credentials were given but no environment.",
            fix=f"Add --environment ({', '.join(ENVIRONMENT_NAMES)}) or set CHORUS_ENVIRONMENT.",
        )
    env = Environment.named(environment, token_url=token_url, api_url=api_url)
    yield env, Credentials(*given)


def _embedded_simulator(console: Console) -> Iterator[tuple[Environment, Credentials]]:
    from chorus_connect.simulator import SimulatorServer

    with SimulatorServer() as server:
        dataset = server.dataset
        application = dataset.main_application()
        account = dataset.supplier_account(dataset.main_supplier().structure_id)
        console.print(
            f"No credentials given: checking against the embedded simulator at {server.base_url} "
            f"(default data set, application {application.name}, account {account.login})."
        )
        credentials = Credentials(
            application.client_id, application.client_secret, account.login, account.password
        )
        yield Environment.local(server.base_url), credentials


def _print(report: ConnectionReport, console: Console) -> None:
    console.print(f"Connection check — environment [bold]{report.environment}[/bold] ({report.api_url})")
    for step in report.steps:
        console.print(f"  {_MARKS[step.status]}  [bold]{step.name}[/bold]: {step.detail}")
        if step.fix and step.status in (StepStatus.FAILED, StepStatus.WARNING):
            console.print(f"              [bold]Fix:[/bold] {step.fix}")
    failed = sum(step.status is StepStatus.FAILED for step in report.steps)
    verdict = "[green]All checks passed.[/green]" if report.ok else f"[red]{failed} check(s) failed.[/red]"
    console.print(verdict)
