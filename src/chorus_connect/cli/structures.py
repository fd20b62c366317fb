"""`chorus structures add|list|show|edit|check-connection|move-to-production`: the tenants of the store.

Secrets (PISTE client secret, technical password, webhook secret) are never options: they come from the
environment (``CHORUS_CLIENT_SECRET``, ``CHORUS_TECH_PASSWORD``, ``CHORUS_WEBHOOK_SECRET``) or a hidden
prompt, and are never printed back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from chorus_connect.api import ChorusClient, ChorusError
from chorus_connect.api._auth import ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_TECH_LOGIN, ENV_TECH_PASSWORD
from chorus_connect.api._diagnostics import (
    PASSWORD_WARNING_DAYS,
    CheckStep,
    ConnectionReport,
    StepStatus,
    check_connection,
)
from chorus_connect.cli._store import (
    CliError,
    console,
    new_or_existing_store,
    open_store,
    print_json,
    read_secret,
    reported_errors,
    require_secret_key,
    store_option,
)
from chorus_connect.engine.connection import Connections
from chorus_connect.store import (
    EnvironmentName,
    NewPisteApplication,
    NewStructure,
    ProductionMove,
    Store,
    Structure,
    StructureRole,
    UnitOfWork,
    password_expiry,
)

ENV_WEBHOOK_SECRET = "CHORUS_WEBHOOK_SECRET"

app = typer.Typer(
    name="structures",
    help="Structures (tenants): connection settings, options, connection check, move to production.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="structures")


def _key(value: str) -> int | str:
    """A structure is named by its id or its name."""
    return int(value) if value.strip().isdigit() else value.strip()


def _date(value: str | None, option: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise CliError(f"{option} {value!r} is not a date.", fix="Write it as YYYY-MM-DD.") from None


# --- add ------------------------------------------------------------------------------------------------


@app.command("add")
def add(
    name: str = typer.Argument(..., help="A name for the structure (unique in the store)."),
    environment: str = typer.Option(
        ...,
        "--environment",
        "-e",
        help="production, sandbox (Chorus Pro qualification) or local (simulator).",
    ),
    siret: str = typer.Option(..., "--siret", help="The structure's 14-digit SIRET on Chorus Pro."),
    role: StructureRole = typer.Option(
        StructureRole.SUPPLIER, "--role", help="supplier (issues invoices) or public_buyer (receives them)."
    ),
    tech_login: str = typer.Option(
        ..., "--tech-login", envvar=ENV_TECH_LOGIN, help="Technical account login (TECH_1_…@cpro.fr)."
    ),
    client_id: str | None = typer.Option(
        None, "--client-id", envvar=ENV_CLIENT_ID, help="Client id of a new PISTE application."
    ),
    piste_application: str | None = typer.Option(
        None, "--piste-application", help="Id or name of a PISTE application already in the store (shared)."
    ),
    piste_name: str | None = typer.Option(None, "--piste-name", help="Name of the new PISTE application."),
    token_url: str | None = typer.Option(None, "--token-url", help="OAuth2 token URL override."),
    api_url: str | None = typer.Option(None, "--api-url", help="API URL override (e.g. a local simulator)."),
    password_expires_on: str | None = typer.Option(
        None, "--password-expires-on", help="dateExpirationMotPasseCompteTech (YYYY-MM-DD), if known."
    ),
    service_code: str | None = typer.Option(None, "--service-code", help="Default service code."),
    engagement_management: bool = typer.Option(
        False, "--engagement-management/--no-engagement-management", help="Engagement numbers required."
    ),
    payment_mode: str | None = typer.Option(None, "--payment-mode", help="Default mode de règlement."),
    bank_account_id: int | None = typer.Option(None, "--bank-account-id", help="Chorus bank details id."),
    bank_account_label: str | None = typer.Option(None, "--bank-account-label"),
    referent_email: str | None = typer.Option(None, "--referent-email", help="Referent e-mail."),
    chorus_structure_id: int | None = typer.Option(None, "--chorus-structure-id", help="idStructureCPP."),
    webhook_url: str | None = typer.Option(None, "--webhook-url", help="Webhook for notifications."),
    notify_emails: list[str] = typer.Option([], "--notify-email", help="E-mail for notifications (repeat)."),
    as_json: bool = typer.Option(False, "--json", help="Print the structure as JSON."),
    store_url: str | None = store_option(),
) -> None:
    """Add a structure. Secrets: CHORUS_CLIENT_SECRET, CHORUS_TECH_PASSWORD, CHORUS_WEBHOOK_SECRET, else
    asked at a hidden prompt."""
    with reported_errors():
        require_secret_key()
        if (client_id is None) == (piste_application is None):
            raise CliError(
                "Give either --client-id (a new PISTE application) or --piste-application (an existing one).",
                fix="Use --piste-application to share an application already in the store.",
            )
        expires_on = _date(password_expires_on, "--password-expires-on")
        piste = None
        if client_id is not None:
            secret = read_secret(ENV_CLIENT_SECRET, "PISTE client secret")
            piste = NewPisteApplication(
                name=piste_name or f"{name} ({environment})",
                client_id=client_id,
                client_secret=secret,
                environment=environment,
                token_url=token_url,
                api_url=api_url,
            )
        password = read_secret(ENV_TECH_PASSWORD, "Technical account password", confirm=True)
        webhook_secret = read_secret(ENV_WEBHOOK_SECRET, "Webhook secret") if webhook_url else None
        with new_or_existing_store(store_url) as store, store.transaction(actor="cli") as tx:
            structure = tx.structures.add(
                NewStructure(
                    name=name,
                    environment=environment,
                    siret=siret,
                    role=role,
                    technical_login=tech_login,
                    technical_password=password,
                    piste=piste,
                    piste_application_id=_application_id(tx, piste_application),
                    technical_password_expires_on=expires_on,
                    default_service_code=service_code,
                    engagement_management=engagement_management,
                    default_payment_mode=payment_mode,
                    bank_account_id=bank_account_id,
                    bank_account_label=bank_account_label,
                    referent_email=referent_email,
                    chorus_structure_id=chorus_structure_id,
                    webhook_url=webhook_url,
                    webhook_secret=webhook_secret,
                    notification_emails=list(notify_emails),
                )
            )
            shown = _structure_dict(structure, tx.now().date())
    if as_json:
        print_json(shown)
        return
    console().print(
        f"Structure [bold]{escape(name)}[/bold] added (id {shown['id']}). Next: "
        f"`chorus structures check-connection {escape(name)}`."
    )


def _application_id(tx: UnitOfWork, key: str | None) -> int | None:
    if key is None:
        return None
    if key.strip().isdigit():
        return tx.piste_applications.get(int(key)).id
    for application in tx.piste_applications.list():
        if application.name == key.strip():
            return application.id
    names = ", ".join(a.name for a in tx.piste_applications.list()) or "none yet"
    raise CliError(f"No PISTE application named {key!r}.", fix=f"Use one of: {names}; or give --client-id.")


# --- list / show ----------------------------------------------------------------------------------------


@app.command("list")
def list_structures(
    role: StructureRole | None = typer.Option(None, "--role", help="Only this role."),
    environment: str | None = typer.Option(None, "--environment", "-e", help="Only this environment."),
    as_json: bool = typer.Option(False, "--json", help="Print the structures as JSON."),
    store_url: str | None = store_option(),
) -> None:
    """List the structures, with their technical password's expiry."""
    with reported_errors(), open_store(store_url) as store, store.read() as tx:
        env = _environment(environment)
        today = tx.now().date()
        rows = [_structure_dict(s, today) for s in tx.structures.list(role=role, environment=env)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console().print("No structure yet: add one with `chorus structures add`.")
        return
    table = Table(
        "Id", "Name", "Role", "Environment", "SIRET", "Technical login", "Password expires", "Active"
    )
    for row in rows:
        expiry = row["technical_password_expiry"]
        style = "red" if expiry["warn"] else ""
        table.add_row(
            str(row["id"]),
            escape(row["name"]),
            row["role"],
            row["environment"],
            row["siret"],
            escape(row["technical_login"]),
            f"[{style}]{expiry['expires_on']} ({expiry['days_left']} d)[/{style}]"
            if style
            else f"{expiry['expires_on']} ({expiry['days_left']} d)",
            "yes" if row["is_active"] else "no",
        )
    console().print(table)


@app.command("show")
def show(
    structure: str = typer.Argument(..., help="Id or name."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    store_url: str | None = store_option(),
) -> None:
    """Show a structure's settings (secrets only as set / not set)."""
    with reported_errors(), open_store(store_url) as store, store.read() as tx:
        row = tx.structures.get(_key(structure))
        shown = _structure_dict(row, tx.now().date())
        application = row.piste_application
        shown["piste_application"] = {
            "id": application.id,
            "name": application.name,
            "client_id": application.client_id,
            "client_secret": "set",
            "token_url": application.token_url,
            "api_url": application.api_url,
            "shared_by": len(application.structures),
        }
        message = password_expiry(row, tx.now().date()).message()
    if as_json:
        print_json(shown)
        return
    out = console()
    for name, value in shown.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        out.print(f"[bold]{name}[/bold]: {escape(str(value))}")
    out.print(
        f"[yellow]{escape(message)}[/yellow]" if shown["technical_password_expiry"]["warn"] else message
    )


def _structure_dict(structure: Structure, today: dt.date) -> dict[str, Any]:
    expiry = password_expiry(structure, today)
    return {
        "id": structure.id,
        **structure.settings(),
        "technical_password_expiry": {
            "expires_on": expiry.expires_on.isoformat(),
            "days_left": expiry.days_left,
            "source": expiry.source,
            "warn": expiry.warn,
        },
    }


def _environment(value: str | None) -> EnvironmentName | None:
    if value is None:
        return None
    try:
        return EnvironmentName(value.strip().lower())
    except ValueError:
        raise CliError(f"{value!r} is not an environment.", fix="Use production, sandbox or local.") from None


# --- edit -----------------------------------------------------------------------------------------------


@app.command("edit")
def edit(
    structure: str = typer.Argument(..., help="Id or name."),
    name: str | None = typer.Option(None, "--name", help="New name."),
    siret: str | None = typer.Option(None, "--siret", help="New SIRET."),
    tech_login: str | None = typer.Option(None, "--tech-login", help="New technical login."),
    new_tech_password: bool = typer.Option(
        False, "--new-tech-password", help=f"Enter a new technical password (${ENV_TECH_PASSWORD} or prompt)."
    ),
    password_expires_on: str | None = typer.Option(
        None, "--password-expires-on", help="Expiry date of the technical password (YYYY-MM-DD)."
    ),
    new_client_secret: bool = typer.Option(
        False,
        "--new-client-secret",
        help=f"Enter a new PISTE client secret (${ENV_CLIENT_SECRET} or prompt).",
    ),
    service_code: str | None = typer.Option(None, "--service-code"),
    engagement_management: bool | None = typer.Option(
        None, "--engagement-management/--no-engagement-management"
    ),
    payment_mode: str | None = typer.Option(None, "--payment-mode"),
    bank_account_id: int | None = typer.Option(None, "--bank-account-id"),
    bank_account_label: str | None = typer.Option(None, "--bank-account-label"),
    referent_email: str | None = typer.Option(None, "--referent-email"),
    chorus_structure_id: int | None = typer.Option(None, "--chorus-structure-id"),
    webhook_url: str | None = typer.Option(None, "--webhook-url", help="Set the notification webhook."),
    new_webhook_secret: bool = typer.Option(
        False, "--new-webhook-secret", help=f"Enter a new webhook secret (${ENV_WEBHOOK_SECRET} or prompt)."
    ),
    no_webhook: bool = typer.Option(False, "--no-webhook", help="Remove the webhook."),
    notify_emails: list[str] = typer.Option([], "--notify-email", help="Replace the notification e-mails."),
    clear_notify_emails: bool = typer.Option(False, "--clear-notify-emails", help="No notification e-mail."),
    active: bool | None = typer.Option(None, "--active/--inactive", help="Resume or pause the structure."),
    store_url: str | None = store_option(),
) -> None:
    """Change a structure's settings; every change is checked first and all are saved together or none."""
    changes: dict[str, Any] = {
        key: value
        for key, value in {
            "name": name,
            "siret": siret,
            "technical_login": tech_login,
            "default_service_code": service_code,
            "engagement_management": engagement_management,
            "default_payment_mode": payment_mode,
            "bank_account_id": bank_account_id,
            "bank_account_label": bank_account_label,
            "referent_email": referent_email,
            "chorus_structure_id": chorus_structure_id,
            "is_active": active,
        }.items()
        if value is not None
    }
    if notify_emails or clear_notify_emails:
        changes["notification_emails"] = [] if clear_notify_emails else list(notify_emails)
    with reported_errors():
        if webhook_url and no_webhook:
            raise CliError("--webhook-url and --no-webhook contradict each other.", fix="Give only one.")
        expires_on = _date(password_expires_on, "--password-expires-on")
        if new_tech_password or new_client_secret or new_webhook_secret or webhook_url:
            require_secret_key()
        with open_store(store_url) as store:
            with store.read() as tx:
                row = tx.structures.get(_key(structure))
                structure_id, had_webhook = row.id, row.webhook_url is not None
                had_secret = row.webhook_secret_encrypted is not None
            if new_webhook_secret and not (webhook_url or had_webhook):
                raise CliError("The structure has no webhook to give a secret to.", fix="Add --webhook-url.")
            # Prompts come before the write transaction: never hold the store's write lock while typing.
            secrets = _Secrets(
                password=_maybe_secret(
                    new_tech_password, ENV_TECH_PASSWORD, "New technical account password"
                ),
                client_secret=_maybe_secret(new_client_secret, ENV_CLIENT_SECRET, "New PISTE client secret"),
                webhook_secret=_maybe_secret(
                    new_webhook_secret or bool(webhook_url and not had_secret),
                    ENV_WEBHOOK_SECRET,
                    "Webhook secret",
                ),
            )
            with store.transaction(actor="cli") as tx:
                if changes:
                    tx.structures.update(structure_id, changes)
                changed = sorted(changes) + _apply_secrets(tx, structure_id, secrets, expires_on)
                changed += _apply_webhook(tx, structure_id, webhook_url, secrets.webhook_secret, no_webhook)
                final_name = tx.structures.get(structure_id).name
    if not changed:
        console().print("Nothing to change: give at least one option (see --help).")
        return
    console().print(f"Structure [bold]{escape(final_name)}[/bold] updated: {', '.join(changed)}.")


@dataclass(frozen=True, slots=True)
class _Secrets:
    password: str | None
    client_secret: str | None
    webhook_secret: str | None


def _maybe_secret(wanted: bool, env_var: str, prompt: str) -> str | None:
    confirm = env_var == ENV_TECH_PASSWORD
    return read_secret(env_var, prompt, confirm=confirm) if wanted else None


def _apply_secrets(
    tx: UnitOfWork, structure_id: int, secrets: _Secrets, expires_on: dt.date | None
) -> list[str]:
    changed = []
    if secrets.password is not None:
        tx.structures.set_technical_password(structure_id, secrets.password, expires_on=expires_on)
        changed.append("technical_password")
    elif expires_on is not None:
        tx.structures.record_password_expiry(structure_id, expires_on)
    if expires_on is not None:
        changed.append("technical_password_expires_on")
    if secrets.client_secret is not None:
        application_id = tx.structures.get(structure_id).piste_application_id
        tx.piste_applications.set_client_secret(application_id, secrets.client_secret)
        changed.append("client_secret")
    return changed


def _apply_webhook(
    tx: UnitOfWork, structure_id: int, url: str | None, secret: str | None, remove: bool
) -> list[str]:
    if remove:
        tx.structures.set_webhook(structure_id, None)
        return ["webhook (removed)"]
    if url is None and secret is None:
        return []
    tx.structures.set_webhook(structure_id, url or tx.structures.get(structure_id).webhook_url, secret)
    return ["webhook"]


# --- check-connection -----------------------------------------------------------------------------------

_MARKS = {
    StepStatus.PASSED: "[green]✔ passed[/green] ",
    StepStatus.WARNING: "[yellow]! warning[/yellow]",
    StepStatus.FAILED: "[red]✘ failed[/red] ",
    StepStatus.SKIPPED: "[dim]- skipped[/dim]",
}
STRUCTURE_STEP = "Structure on Chorus Pro"
PASSWORD_STEP = "Technical password expiry"
ACCOUNT_STEP = "Technical account"


@app.command("check-connection")
def check_connection_command(
    structure: str = typer.Argument(..., help="Id or name."),
    as_json: bool = typer.Option(False, "--json", help="Print the steps as JSON."),
    store_url: str | None = store_option(),
) -> None:
    """Check the structure's credentials against Chorus Pro, find its idStructureCPP from its SIRET and read
    its technical password's expiry date (both saved)."""
    with reported_errors(), open_store(store_url) as store:
        with store.read() as tx:
            row = tx.structures.get(_key(structure))
            structure_id, role, siret = row.id, row.role, row.siret
        with Connections(store) as connections:
            client = connections.get(structure_id).client
            report = check_connection(client)
            _role_aware_steps(store, client, report, structure_id, role, siret)
    if as_json:
        print_json(
            {
                "environment": report.environment,
                "api_url": report.api_url,
                "ok": report.ok,
                "steps": [
                    {"name": s.name, "status": s.status.value, "detail": s.detail, "fix": s.fix}
                    for s in report.steps
                ],
            }
        )
    else:
        _print_report(report)
    raise typer.Exit(0 if report.ok else 1)


def _role_aware_steps(
    store: Store,
    client: ChorusClient,
    report: ConnectionReport,
    structure_id: int,
    role: StructureRole,
    siret: str,
) -> None:
    """The generic check looks at supplier structures; here the structure's own SIRET is looked up among the
    structures the account acts for in its role, and the expiry read for that structure."""
    if report.steps and report.steps[0].status is StepStatus.FAILED:
        report.steps.append(CheckStep(STRUCTURE_STEP, StepStatus.SKIPPED, "not run: no token"))
        return
    found = _structure_step(client, role, siret)
    steps = [s for s in report.steps if s.name != PASSWORD_STEP]
    if role == StructureRole.PUBLIC_BUYER and found[0].status is StepStatus.PASSED:
        # The generic step complains that a recipient account acts for no supplier structure: expected.
        steps = [s for s in steps if s.name != ACCOUNT_STEP]
    steps.append(found[0])
    chorus_id = found[1]
    if chorus_id is not None:
        steps.append(_expiry_step(store, client, structure_id, chorus_id))
        with store.transaction(actor="cli") as tx:
            tx.structures.update(structure_id, {"chorus_structure_id": chorus_id})
    report.steps[:] = steps


def _structure_step(client: ChorusClient, role: StructureRole, siret: str) -> tuple[CheckStep, int | None]:
    lister = (
        client.transverses.active_recipient_structures
        if role == StructureRole.PUBLIC_BUYER
        else client.transverses.active_supplier_structures
    )
    try:
        structures = lister({"paging": {"page": 1, "page_size": 100}}).structures
    except ChorusError as error:
        return CheckStep(STRUCTURE_STEP, StepStatus.FAILED, error.message, error.fix), None
    match = next((s for s in structures if (s.identifier or "").replace(" ", "") == siret), None)
    kind = "receives invoices" if role == StructureRole.PUBLIC_BUYER else "invoices"
    if match is None or match.structure_id is None:
        listed = ", ".join(f"{s.identifier} ({s.name})" for s in structures) or "none"
        return (
            CheckStep(
                STRUCTURE_STEP,
                StepStatus.FAILED,
                f"SIRET {siret} is not among the structures the technical account {kind} for: {listed}.",
                "Correct the SIRET (chorus structures edit <structure> --siret ...), or have the structure's "
                "main manager attach the technical account to it on Chorus Pro.",
            ),
            None,
        )
    detail = f"SIRET {siret} is {match.name} (idStructureCPP {match.structure_id}); the account {kind} for it"
    return CheckStep(STRUCTURE_STEP, StepStatus.PASSED, detail), int(match.structure_id)


def _expiry_step(store: Store, client: ChorusClient, structure_id: int, chorus_id: int) -> CheckStep:
    try:
        info = client.structures.consult(chorus_id).general_info
    except ChorusError as error:
        return CheckStep(PASSWORD_STEP, StepStatus.FAILED, error.message, error.fix)
    expires = info.technical_password_expires_at if info else None
    if expires is None:
        return CheckStep(PASSWORD_STEP, StepStatus.PASSED, "no expiry date published; the estimate is kept")
    day = expires.date() if isinstance(expires, dt.datetime) else expires
    with store.transaction(actor="cli") as tx:
        tx.structures.record_password_expiry(structure_id, day)
        left = (day - tx.now().date()).days
    if left <= PASSWORD_WARNING_DAYS:
        return CheckStep(
            PASSWORD_STEP,
            StepStatus.WARNING,
            f"the technical password expires on {day.isoformat()} ({left} days left); date saved.",
            "Have the structure's main manager set a new technical password on the Chorus Pro portal, then "
            "enter it with `chorus structures edit <structure> --new-tech-password`.",
        )
    return CheckStep(
        PASSWORD_STEP, StepStatus.PASSED, f"valid until {day.isoformat()} ({left} days left); saved"
    )


def _print_report(report: ConnectionReport) -> None:
    out = console()
    out.print(f"Connection check — environment [bold]{report.environment}[/bold] ({report.api_url})")
    for step in report.steps:
        out.print(f"  {_MARKS[step.status]}  [bold]{step.name}[/bold]: {escape(step.detail)}")
        if step.fix and step.status in (StepStatus.FAILED, StepStatus.WARNING):
            out.print(f"              [bold]Fix:[/bold] {escape(step.fix)}")
    failed = sum(step.status is StepStatus.FAILED for step in report.steps)
    out.print("[green]All checks passed.[/green]" if report.ok else f"[red]{failed} check(s) failed.[/red]")


# --- move-to-production ---------------------------------------------------------------------------------


@app.command("move-to-production")
def move_to_production(
    structure: str = typer.Argument(..., help="Id or name of the sandbox (or local) structure."),
    siret: str = typer.Option(..., "--siret", help="The real SIRET (the sandbox's test SIRET differs)."),
    tech_login: str = typer.Option(..., "--tech-login", help="Production technical account login."),
    client_id: str | None = typer.Option(
        None, "--client-id", help="Client id of the production application."
    ),
    piste_application: str | None = typer.Option(
        None, "--piste-application", help="Id or name of a production PISTE application already in the store."
    ),
    piste_name: str | None = typer.Option(None, "--piste-name", help="Name of the new PISTE application."),
    password_expires_on: str | None = typer.Option(None, "--password-expires-on", help="YYYY-MM-DD."),
    chorus_structure_id: int | None = typer.Option(None, "--chorus-structure-id"),
    service_code: str | None = typer.Option(None, "--service-code"),
    bank_account_id: int | None = typer.Option(None, "--bank-account-id"),
    bank_account_label: str | None = typer.Option(None, "--bank-account-label"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    store_url: str | None = store_option(),
) -> None:
    """Move a structure to production, keeping its history; asks for the production credentials."""
    with reported_errors():
        require_secret_key()
        if (client_id is None) == (piste_application is None):
            raise CliError(
                "Give either --client-id (a new production PISTE application) or --piste-application.",
                fix="Production needs its own PISTE application: sandbox credentials do not work there.",
            )
        expires_on = _date(password_expires_on, "--password-expires-on")
        if not yes:
            typer.confirm(
                f"Move {structure} to production? Test invoices not yet deposited are withdrawn, deposited "
                "ones are no longer followed (history kept).",
                abort=True,
            )
        piste = None
        if client_id is not None:
            piste = NewPisteApplication(
                name=piste_name or f"{structure} (production)",
                client_id=client_id,
                client_secret=read_secret(ENV_CLIENT_SECRET, "Production PISTE client secret"),
                environment="production",
            )
        password = read_secret(ENV_TECH_PASSWORD, "Production technical account password", confirm=True)
        with open_store(store_url) as store, store.transaction(actor="cli") as tx:
            row = tx.structures.get(_key(structure))
            report = tx.structures.move_to_production(
                row.id,
                ProductionMove(
                    siret=siret,
                    technical_login=tech_login,
                    technical_password=password,
                    piste=piste,
                    piste_application_id=_application_id(tx, piste_application),
                    technical_password_expires_on=expires_on,
                    chorus_structure_id=chorus_structure_id,
                    default_service_code=service_code,
                    bank_account_id=bank_account_id,
                    bank_account_label=bank_account_label,
                ),
            )
            moved = row.name
    out = console()
    out.print(f"Structure [bold]{escape(moved)}[/bold] is now in production.")
    out.print(
        f"  {report.withdrawn_invoices} test invoice(s) withdrawn, "
        f"{report.untracked_invoices} no longer followed."
    )
    if report.markets_to_review:
        out.print(
            f"  Markets to review (recipient SIRET not a real one): {', '.join(report.markets_to_review)}"
        )
    out.print(f"Next: `chorus structures check-connection {escape(moved)}`.")
