"""`chorus web`: serve the web UI and the REST API; `chorus web create-admin` makes the first administrator;
`chorus web api-key` creates an API key bound to structures (shown once)."""

from __future__ import annotations

import typer

from chorus_connect.cli._store import (
    CliError,
    console,
    open_store,
    read_secret,
    reported_errors,
    store_option,
)
from chorus_connect.store import ApiKeyAccess, UserRole

ENV_ADMIN_PASSWORD = "CHORUS_ADMIN_PASSWORD"

web_app = typer.Typer(
    help="The web UI (French) and the REST API for ERPs.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(web_app, name="web")


@web_app.callback()
def serve(
    context: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    store: str | None = store_option(),
    secure_cookies: bool | None = typer.Option(
        None,
        "--secure-cookies/--no-secure-cookies",
        help="Force Secure cookies and HSTS (behind an https proxy). Default: from each request's scheme.",
    ),
    proxy_headers: bool = typer.Option(
        False, "--proxy-headers", help="Trust X-Forwarded-Proto/For from 127.0.0.1 (an https reverse proxy)."
    ),
) -> None:
    """Serve the web application (http://127.0.0.1:8000 by default)."""
    if context.invoked_subcommand is not None:
        context.obj = store
        return
    import uvicorn

    from chorus_connect.web import WebSettings, create_app

    with reported_errors():
        opened = open_store(store, create=True)
        app = create_app(opened, WebSettings(secure_cookies=secure_cookies))
        with opened.read() as tx:
            has_admin = any(user.role == UserRole.ADMINISTRATOR for user in tx.accounts.list_users())
        out = console()
        out.print(f"chorus-connect web on [bold]http://{host}:{port}[/bold] (store {opened!r})")
        if not has_admin:
            out.print(
                "[yellow]No administrator yet:[/yellow] run `chorus web create-admin --email you@example.fr`."
            )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=proxy_headers,
        forwarded_allow_ips="127.0.0.1" if proxy_headers else None,
        server_header=False,
    )


@web_app.command("create-admin")
def create_admin(
    context: typer.Context,
    email: str = typer.Option(..., "--email", help="The administrator's e-mail address (the sign-in name)."),
    name: str = typer.Option("", "--name", help="Display name."),
    store: str | None = store_option(),
) -> None:
    """Create an administrator (the first user). The password is read from CHORUS_ADMIN_PASSWORD, else asked
    twice without echo."""
    from chorus_connect.web.security import Passwords
    from chorus_connect.web.settings import WebSettings

    settings = WebSettings()
    with reported_errors():
        opened = open_store(store or context.obj, create=True)
        password = read_secret(ENV_ADMIN_PASSWORD, "Administrator password", confirm=True)
        if len(password) < settings.password_min_length:
            raise CliError(
                f"The password has {len(password)} characters.",
                fix=f"Choose at least {settings.password_min_length} characters (a passphrase works well).",
            )
        password_hash = Passwords(settings.password_hashing).hash(password)
        with opened.transaction(actor="cli") as tx:
            user = tx.accounts.add_user(
                email, UserRole.ADMINISTRATOR, display_name=name or None, password_hash=password_hash
            )
            address = user.email
    console().print(
        f"Administrator [bold]{address}[/bold] created: sign in at http://127.0.0.1:8000/connexion."
    )


@web_app.command("api-key")
def create_api_key(
    context: typer.Context,
    name: str = typer.Option(..., "--name", help="What the key is for (the ERP's name)."),
    structures: list[str] = typer.Option(
        ..., "--structure", help="Structure (name or id) the key may act for; repeat for several."
    ),
    read_only: bool = typer.Option(False, "--read-only", help="A key that can read but not change anything."),
    store: str | None = store_option(),
) -> None:
    """Create an API key bound to structures; the key is printed once and only its hash is kept."""
    with reported_errors():
        opened = open_store(store or context.obj)
        with opened.transaction(actor="cli") as tx:
            ids = [tx.structures.get(int(key) if key.isdigit() else key).id for key in structures]
            access = ApiKeyAccess.READ_ONLY if read_only else ApiKeyAccess.READ_WRITE
            _key, plaintext = tx.accounts.create_api_key(name, ids, access=access)
    typer.echo(plaintext.get_secret_value())
    typer.echo("Keep it now: it is shown only once (send it as `Authorization: Bearer <key>`).", err=True)
