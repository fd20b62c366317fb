"""What the store-backed commands share: which store to open, secrets read without echo, and errors turned
into a clear message with a non-zero exit code (never a traceback).

The store URL comes from ``--store``, else ``CHORUS_STORE_URL``, else the store's own
``CHORUS_DATABASE_URL``, else ``sqlite:///chorus.sqlite3`` in the working directory (the engine's
``default_store_url`` follows the same order); a plain file path means a SQLite file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from chorus_connect.api import ChorusError
from chorus_connect.engine.errors import EngineError
from chorus_connect.store import ENV_DATABASE_URL, InvalidInputError, SecretBox, Store, StoreError

ENV_STORE_URL = "CHORUS_STORE_URL"
DEFAULT_STORE_URL = "sqlite:///chorus.sqlite3"
EXIT_FAILURE = 1

STORE_HELP = (
    f"Database of the connector: sqlite:///file.sqlite3 or postgresql+psycopg://user@host/db. Default: "
    f"${ENV_STORE_URL}, else ${ENV_DATABASE_URL}, else {DEFAULT_STORE_URL} (in the working directory)."
)


class CliError(Exception):
    """A problem the user can fix: ``message`` says what is wrong, ``fix`` what to do."""

    def __init__(self, message: str, *, fix: str) -> None:
        self.message = message
        self.fix = fix
        super().__init__(f"{message} What to do: {fix}")


def store_option() -> Any:
    return typer.Option(None, "--store", envvar=ENV_STORE_URL, help=STORE_HELP, show_default=False)


def resolve_store_url(given: str | None) -> str:
    """The URL to open; a plain file path is a SQLite file (as ``engine.service.store_url`` reads it)."""
    text = (
        (given or "").strip()
        or os.environ.get(ENV_STORE_URL, "").strip()
        or os.environ.get(ENV_DATABASE_URL, "").strip()
        or DEFAULT_STORE_URL
    )
    return text if "://" in text else f"sqlite:///{Path(text).expanduser().resolve()}"


def open_store(url: str | None = None, *, create: bool = False) -> Store:
    """Open the store (migrating it if needed). Unless ``create``, a SQLite file that does not exist is an
    error rather than a new empty store: a mistyped path must not look like an empty connector."""
    resolved = resolve_store_url(url)
    path = _sqlite_path(resolved)
    if path is not None and not create and not path.exists():
        raise CliError(
            f"There is no store at {path}.",
            fix="Run the command where the store is, or give its URL with --store (or CHORUS_STORE_URL); "
            "`chorus structures add` creates a new one.",
        )
    try:
        return Store.open(resolved)
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        raise CliError(
            f"Cannot open the database {_masked(resolved)}: {reason}.",
            fix="Check the URL given by --store / CHORUS_STORE_URL and that the database server is running.",
        ) from None


@contextmanager
def new_or_existing_store(url: str | None) -> Iterator[Store]:
    """The store, created if needed; if this command created it and then fails, the new file is removed,
    so that a refused first command leaves the directory as it was."""
    path = _sqlite_path(resolve_store_url(url))
    existed = path is None or path.exists()
    store = open_store(url, create=True)
    try:
        yield store
    except BaseException:
        store.close()
        if not existed and path is not None:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        raise
    store.close()


def _sqlite_path(url: str) -> Path | None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # Store.open reports the malformed URL
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def _masked(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable URL>"


def require_secret_key() -> None:
    """Fail early, before any prompt or write, when the key that encrypts the secrets is missing."""
    SecretBox.from_environment()


def read_secret(env_var: str, prompt: str, *, confirm: bool = False) -> str:
    """A secret from ``env_var``, else typed at a hidden prompt (asked twice when ``confirm``: a typo in
    the technical password would block every deposit). Never echoed."""
    value = os.environ.get(env_var, "")
    if value.strip():
        return value.strip()
    try:
        typed = typer.prompt(
            prompt, hide_input=True, confirmation_prompt=confirm, default="", show_default=False
        )
    except (typer.Abort, EOFError):
        raise CliError(
            f"{prompt} was not given.",
            fix=f"Set {env_var} in the environment, or run the command in a terminal.",
        ) from None
    if not typed.strip():
        raise CliError(f"{prompt} is empty.", fix=f"Type it at the prompt or set {env_var}.")
    return str(typed).strip()


@contextmanager
def reported_errors() -> Iterator[None]:
    """Print store, client, engine and CLI errors as 'Error: … / What to do: …' and exit with code 1."""
    try:
        yield
    except InvalidInputError as error:
        lines = [f"  - {problem.field}: {problem.message} ({problem.fix})" for problem in error.problems]
        fail("Invalid input, nothing was saved:\n" + "\n".join(lines))
    except (StoreError, ChorusError, EngineError, CliError) as error:
        fail(getattr(error, "message", str(error)), getattr(error, "fix", ""))
    except OperationalError as error:
        fail(
            f"Database error: {type(error.orig or error).__name__}.",
            "Check the store URL and that the database server is running, then try again.",
        )


def fail(message: str, fix: str = "") -> NoReturn:
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    console.print(f"[red]Error:[/red] {escape(message)}")
    if fix:
        console.print(f"[bold]What to do:[/bold] {escape(fix)}")
    raise typer.Exit(EXIT_FAILURE)


def print_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def console() -> Console:
    return Console(soft_wrap=True, highlight=False)
