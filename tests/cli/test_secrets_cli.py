"""`chorus secrets generate-key|rotate` with a real store (SQLite and PostgreSQL): keys that work, files
only their owner can read, a rotation that re-encrypts every secret or nothing."""

from __future__ import annotations

import os
import stat

from cli_store_helpers import (  # noqa: F401  (the *_fixture names are fixtures)
    Chorus,
    add_args,
    chorus_fixture,
    database_url_fixture,
    secrets_env,
    sim_fixture,
)
from cryptography.fernet import Fernet

from chorus_connect.store import Store, generate_key


def test_generate_key_prints_a_new_valid_key_each_time(tmp_path):
    chorus = Chorus(f"sqlite:///{tmp_path / 'unused.sqlite3'}", None)  # no store needed
    first = chorus.ok("secrets", "generate-key")
    second = chorus.ok("secrets", "generate-key")
    key = first.stdout.strip()
    assert len(key) == 44 and key != second.stdout.strip()
    Fernet(key.encode())  # a valid key
    assert "CHORUS_SECRET_KEY" in first.stderr and key not in first.stderr


def test_generate_key_to_a_file_only_its_owner_can_read(tmp_path):
    chorus = Chorus(f"sqlite:///{tmp_path / 'unused.sqlite3'}", None)
    path = tmp_path / "keys" / "chorus.key"
    result = chorus.ok("secrets", "generate-key", "--file", str(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = path.read_text().strip()
    Fernet(key.encode())
    assert key not in result.output and "CHORUS_SECRET_KEY_FILE" in result.output
    again = chorus("secrets", "generate-key", "--file", str(path))
    assert again.exit_code == 1 and "exists already" in again.output
    assert path.read_text().strip() == key  # never overwritten


def store_with_secrets(chorus: Chorus, sim) -> dict[str, str]:
    env = secrets_env(sim) | {"CHORUS_WEBHOOK_SECRET": "webhook-secret-1"}
    chorus.ok(*add_args(sim, "atelier"), "--webhook-url", "http://127.0.0.1:9/h", env=env)
    return env


def decrypted(store_url: str, key: str) -> tuple[str, str, str]:
    with Store.open(store_url, secret_key=key, environ={}) as store, store.read() as tx:
        settings = tx.structures.connection_settings(1)
        return (
            settings.client_secret.get_secret_value(),
            settings.technical_password.get_secret_value(),
            tx.structures.webhook_secret(1).get_secret_value(),
        )


def test_rotate_with_a_new_key_file_reencrypts_every_secret(chorus, sim, tmp_path):
    env = store_with_secrets(chorus, sim)
    new_key_file = tmp_path / "new.key"
    chorus.ok("secrets", "generate-key", "--file", str(new_key_file))
    new_key = new_key_file.read_text().strip()

    result = chorus.ok("secrets", "rotate", "--new-key-file", str(new_key_file))

    assert "3 secret(s) re-encrypted" in result.output
    assert new_key not in result.output and chorus.secret_key not in result.output
    expected = (env["CHORUS_CLIENT_SECRET"], env["CHORUS_TECH_PASSWORD"], "webhook-secret-1")
    assert decrypted(chorus.store_url, new_key) == expected
    old = Chorus(chorus.store_url, chorus.secret_key)("structures", "check-connection", "atelier")
    assert old.exit_code == 1 and "cannot decrypt" in old.output  # the old key no longer reads them


def test_rotate_from_the_environment_or_a_hidden_prompt(chorus, sim):
    store_with_secrets(chorus, sim)
    second, third = generate_key(), generate_key()
    chorus.ok("secrets", "rotate", env={"CHORUS_NEW_SECRET_KEY": second})
    prompted = Chorus(chorus.store_url, second).ok("secrets", "rotate", input=f"{third}\n")
    assert third not in prompted.output
    assert decrypted(chorus.store_url, third)[2] == "webhook-secret-1"


def test_rotate_refusals_change_nothing(chorus, sim, tmp_path):
    store_with_secrets(chorus, sim)
    original = decrypted(chorus.store_url, chorus.secret_key)

    same = chorus("secrets", "rotate", env={"CHORUS_NEW_SECRET_KEY": chorus.secret_key})
    assert same.exit_code == 1 and "already in use" in same.output

    wrong_current = Chorus(chorus.store_url, generate_key())
    refused = wrong_current("secrets", "rotate", env={"CHORUS_NEW_SECRET_KEY": generate_key()})
    assert refused.exit_code == 1 and "key id" in refused.output  # names fingerprints, never keys

    no_current = Chorus(chorus.store_url, None)(
        "secrets", "rotate", env={"CHORUS_NEW_SECRET_KEY": generate_key()}
    )
    assert no_current.exit_code == 1 and "CHORUS_SECRET_KEY is not set" in no_current.output

    malformed = chorus("secrets", "rotate", env={"CHORUS_NEW_SECRET_KEY": "not-a-key"})
    assert malformed.exit_code == 1 and "not a valid key" in malformed.output

    readable = tmp_path / "readable.key"
    readable.write_text(generate_key())
    readable.chmod(0o644)
    loose = chorus("secrets", "rotate", "--new-key-file", str(readable))
    assert loose.exit_code == 1 and "chmod 600" in loose.output

    assert decrypted(chorus.store_url, chorus.secret_key) == original
