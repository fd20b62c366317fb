"""`chorus secrets generate-key|rotate`: the key that encrypts the stored secrets.

``generate-key`` prints a new key on stdout (the one thing it is asked for, so that
``export CHORUS_SECRET_KEY=$(chorus secrets generate-key)`` works) or writes it to a file only the user can
read. ``rotate`` re-encrypts every stored secret with a new key in one transaction; the new key is read
from a file, ``CHORUS_NEW_SECRET_KEY`` or a hidden prompt, never from the command line.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from chorus_connect.cli._store import (
    CliError,
    console,
    open_store,
    read_secret,
    reported_errors,
    require_secret_key,
    store_option,
)
from chorus_connect.store import (
    ENV_SECRET_KEY,
    ENV_SECRET_KEY_FILE,
    create_key_file,
    generate_key,
    rotate_secret_key,
)
from chorus_connect.store.secrets import load_keys

ENV_NEW_SECRET_KEY = "CHORUS_NEW_SECRET_KEY"

app = typer.Typer(
    name="secrets",
    help="The key that encrypts the stored secrets: generate one, rotate it.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="secrets")


@app.command("generate-key")
def generate_key_command(
    file: Path | None = typer.Option(
        None, "--file", help="Write the key to this new file (mode 0600) instead of printing it."
    ),
) -> None:
    """Make a new random key (32 bytes, URL-safe base64)."""
    advice = Console(stderr=True, soft_wrap=True, highlight=False)
    with reported_errors():
        if file is None:
            typer.echo(generate_key())
            advice.print(
                f"Keep a copy somewhere safe (losing it means entering every secret again), then export "
                f"{ENV_SECRET_KEY}=<key>, or write it to a file only you can read and export "
                f"{ENV_SECRET_KEY_FILE}=<path>."
            )
            return
        try:
            path = create_key_file(file)
        except FileExistsError:
            raise CliError(
                f"{file} exists already.", fix="Choose a new file name: a key is never overwritten."
            ) from None
        except OSError as error:
            raise CliError(
                f"Cannot write {file}: {error.strerror}.", fix="Choose a writable location."
            ) from None
    advice.print(
        f"Key written to {escape(str(path))} (readable by you only). "
        f"Then: export {ENV_SECRET_KEY_FILE}={escape(str(path))}"
    )


@app.command("rotate")
def rotate(
    new_key_file: Path | None = typer.Option(
        None, "--new-key-file", help=f"File holding the new key (else ${ENV_NEW_SECRET_KEY}, else a prompt)."
    ),
    store_url: str | None = store_option(),
) -> None:
    """Re-encrypt every stored secret with a new key (all or nothing). The current key comes from
    CHORUS_SECRET_KEY or CHORUS_SECRET_KEY_FILE, as for every command."""
    with reported_errors():
        require_secret_key()
        new_key = _new_key(new_key_file)
        with open_store(store_url) as store:
            report = rotate_secret_key(store, new_key)
    out = console()
    out.print(
        f"{report.secrets_reencrypted} secret(s) re-encrypted: key id {report.old_key_id} → "
        f"[bold]{report.new_key_id}[/bold]."
    )
    out.print(
        f"Now give the new key to every process using this store ({ENV_SECRET_KEY}=<new key> or "
        f"{ENV_SECRET_KEY_FILE}); until they all have it, {ENV_SECRET_KEY}=<new>,<old> lets them read both."
    )


def _new_key(new_key_file: Path | None) -> str:
    if new_key_file is not None:
        # Same rules as the current key's file (readable, not by others, a valid key).
        keys, _origin = load_keys(environ={ENV_SECRET_KEY_FILE: str(new_key_file)})
    else:
        value = read_secret(ENV_NEW_SECRET_KEY, "New secret key")
        keys, _origin = load_keys(value)
    if len(keys) != 1:
        raise CliError("Give exactly one new key.", fix="Put a single key in the file or variable.")
    current, _ = load_keys(environ=os.environ)
    if keys[0] == current[0]:
        raise CliError(
            "The new key is the key already in use.",
            fix="Generate a new one with `chorus secrets generate-key`.",
        )
    return keys[0]
