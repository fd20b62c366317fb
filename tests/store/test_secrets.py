from __future__ import annotations

import os

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from store_helpers import add_structure

from chorus_connect.store import (
    ENV_SECRET_KEY,
    ENV_SECRET_KEY_FILE,
    InvalidSecretKeyError,
    MissingSecretKeyError,
    SecretBox,
    Store,
    WrongSecretKeyError,
    create_key_file,
    generate_key,
    rotate_secret_key,
)


def raw_secrets(store) -> list[str]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            text("select technical_password_encrypted, webhook_secret_encrypted from structures order by id")
        ).all()
        apps = (
            connection.execute(text("select client_secret_encrypted from piste_applications")).scalars().all()
        )
    return [value for row in rows for value in row if value] + list(apps)


def test_generated_keys_are_valid_and_distinct():
    first, second = generate_key(), generate_key()
    assert first != second and len(first) == 44
    box = SecretBox([first])
    assert box.decrypt(box.encrypt("x")).get_secret_value() == "x"
    assert first not in repr(box)


def test_missing_key_error_says_what_to_do(database_url):
    store = Store.open(database_url, environ={})
    try:
        with store.read() as tx:
            assert tx.structures.list() == []  # reading without secrets needs no key
        with pytest.raises(MissingSecretKeyError) as caught, store.transaction() as tx:
            add_structure(tx)
        message = str(caught.value)
        assert f"{ENV_SECRET_KEY} is not set" in message
        assert "chorus secrets generate-key" in message and ENV_SECRET_KEY_FILE in message
        with store.read() as tx:
            assert tx.structures.list() == []
    finally:
        store.close()


def test_malformed_key_is_rejected_clearly(database_url):
    store = Store.open(database_url, environ={ENV_SECRET_KEY: "not-a-key"})
    try:
        with (
            pytest.raises(InvalidSecretKeyError, match="44 characters of URL-safe base64"),
            store.transaction() as tx,
        ):
            add_structure(tx)
    finally:
        store.close()


def test_wrong_key_is_detected_before_anything_is_written(store, database_url):
    with store.transaction() as tx:
        structure_id = add_structure(tx).id
    other = Store.open(database_url, environ={ENV_SECRET_KEY: generate_key()})
    try:
        with pytest.raises(WrongSecretKeyError) as caught, other.read() as tx:
            tx.structures.connection_settings(structure_id)
        message = str(caught.value)
        assert "not the key" in message and ENV_SECRET_KEY in message and "new,old" in message
        assert store.secrets.fingerprint in message  # names the store's key id, never the key
        with pytest.raises(WrongSecretKeyError), other.transaction() as tx:
            tx.structures.set_technical_password(structure_id, "another")
    finally:
        other.close()
    with store.read() as tx:
        assert tx.structures.connection_settings(structure_id).technical_password.get_secret_value() == (
            "tech-password-Ω-42"
        )


def test_key_file(tmp_path, database_url):
    path = create_key_file(tmp_path / "keys" / "chorus.key")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(FileExistsError):
        create_key_file(path)
    store = Store.open(database_url, environ={ENV_SECRET_KEY_FILE: str(path)})
    try:
        with store.transaction() as tx:
            structure_id = add_structure(tx).id
        with store.read() as tx:
            assert tx.structures.connection_settings(structure_id).client_secret.get_secret_value() == (
                "piste-secret-xyz"
            )
    finally:
        store.close()
    os.chmod(path, 0o644)
    loose = Store.open(database_url, environ={ENV_SECRET_KEY_FILE: str(path)})
    try:
        with pytest.raises(InvalidSecretKeyError, match="chmod 600"), loose.read() as tx:
            tx.structures.connection_settings(structure_id)
    finally:
        loose.close()


def test_rotation_reencrypts_everything(store, database_url, secret_key):
    with store.transaction() as tx:
        first = add_structure(tx)
        tx.structures.set_webhook(first.id, "https://hooks.example/x", "hook-secret")
        add_structure(
            tx,
            name="Second",
            siret="00000000005720",
            piste=None,
            piste_application_id=first.piste_application_id,
        )
    before = raw_secrets(store)
    new_key = generate_key()
    report = rotate_secret_key(store, SecretStr(new_key))
    assert report.secrets_reencrypted == 4  # 2 passwords, 1 webhook secret, 1 client secret
    after = raw_secrets(store)
    assert len(after) == len(before) and not set(after) & set(before)
    assert report.old_key_id != report.new_key_id
    with store.read() as tx:  # this process switched to the new key
        assert tx.structures.webhook_secret(first.id).get_secret_value() == "hook-secret"
    old_only = Store.open(database_url, secret_key=secret_key, environ={})
    try:
        with pytest.raises(WrongSecretKeyError), old_only.read() as tx:
            tx.structures.connection_settings(first.id)
    finally:
        old_only.close()
    both = Store.open(database_url, environ={ENV_SECRET_KEY: f"{new_key},{secret_key}"})
    try:
        with both.read() as tx:
            assert tx.structures.connection_settings(first.id).technical_password.get_secret_value() == (
                "tech-password-Ω-42"
            )
    finally:
        both.close()


def test_rotation_is_all_or_nothing(store):
    with store.transaction() as tx:
        first = add_structure(tx)
        second = add_structure(
            tx,
            name="Second",
            siret="00000000005720",
            piste=None,
            piste_application_id=first.piste_application_id,
        )
    # One secret written with a foreign key (a corrupt row): the rotation must change nothing.
    foreign = SecretBox([generate_key()]).encrypt("x")
    with store.engine.begin() as connection:
        connection.execute(
            text("update structures set technical_password_encrypted = :v where id = :id"),
            {"v": foreign, "id": second.id},
        )
    before = raw_secrets(store)
    with pytest.raises(WrongSecretKeyError, match=r"structures\.technical_password_encrypted"):
        rotate_secret_key(store, generate_key())
    assert raw_secrets(store) == before
    with store.read() as tx:
        assert tx.structures.connection_settings(first.id).technical_password.get_secret_value()
