from __future__ import annotations

import datetime as dt

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text
from store_helpers import PRODUCTION_SIRET, PRODUCTION_SIRET_2, SANDBOX_SIRET, add_structure, new_structure

from chorus_connect.store import (
    DuplicateError,
    EnvironmentName,
    InvalidInputError,
    NewPisteApplication,
    NotFoundError,
    PisteApplication,
    Structure,
    StructureRole,
)


def count(store, model) -> int:
    with store.read() as tx:
        return tx.session.scalar(select(func.count()).select_from(model))


def test_add_get_list_update(store):
    with store.transaction(actor="alice") as tx:
        structure = add_structure(tx)
        structure_id = structure.id
    with store.read() as tx:
        loaded = tx.structures.get("Atelier Exemple")
        assert loaded.id == structure_id
        assert tx.structures.get(structure_id).siret == SANDBOX_SIRET
        assert loaded.role is StructureRole.SUPPLIER
        assert loaded.environment is EnvironmentName.SANDBOX
        assert loaded.default_payment_mode == "VIREMENT"
        assert loaded.engagement_management is True
        assert loaded.notification_emails == ["compta@atelier.example"]
        assert loaded.piste_application.client_id == "client-123"
        assert [s.name for s in tx.structures.list(role=StructureRole.SUPPLIER)] == ["Atelier Exemple"]
        assert tx.structures.list(role=StructureRole.PUBLIC_BUYER) == []
    with store.transaction() as tx:
        tx.structures.update(
            structure_id,
            {
                "default_service_code": "SERVICE_2",
                "engagement_management": False,
                "referent_email": "gp@x.fr",
            },
        )
    with store.read() as tx:
        loaded = tx.structures.get(structure_id)
        assert (loaded.default_service_code, loaded.engagement_management, loaded.referent_email) == (
            "SERVICE_2",
            False,
            "gp@x.fr",
        )
        with pytest.raises(NotFoundError, match="No structure 'nope'"):
            tx.structures.get("nope")


def test_secrets_are_encrypted_at_rest_and_never_shown(store):
    with store.transaction() as tx:
        structure = add_structure(tx)
        tx.structures.set_webhook(structure.id, "https://hooks.example/chorus", "hmac-secret-123")
        structure_id = structure.id
    with store.engine.connect() as connection:
        password, webhook = connection.execute(
            text("select technical_password_encrypted, webhook_secret_encrypted from structures")
        ).one()
        client_secret = connection.execute(
            text("select client_secret_encrypted from piste_applications")
        ).scalar()
    for raw, plain in (
        (password, "tech-password-Ω-42"),
        (webhook, "hmac-secret-123"),
        (client_secret, "piste"),
    ):
        assert plain not in raw
        assert raw.startswith("gAAAAA")  # a Fernet token
    with store.read() as tx:
        settings = tx.structures.connection_settings(structure_id)
        structure = tx.structures.get(structure_id)
        assert settings.technical_password.get_secret_value() == "tech-password-Ω-42"
        assert settings.client_secret.get_secret_value() == "piste-secret-xyz"
        assert tx.structures.webhook_secret(structure_id).get_secret_value() == "hmac-secret-123"
        shown = " ".join([repr(settings), str(settings), repr(structure), str(structure.settings())])
        for secret in ("tech-password-Ω-42", "piste-secret-xyz", "hmac-secret-123", password):
            assert secret not in shown
        credentials = settings.api_credentials()
        assert "tech-password" not in repr(credentials)
        assert credentials.cpro_account  # usable by the API client
        assert settings.api_environment().name == "sandbox"


def test_shared_piste_application(store):
    with store.transaction() as tx:
        first = add_structure(tx)
        second = add_structure(
            tx,
            name="Filiale",
            siret="00000000005720",
            piste=None,
            piste_application_id=first.piste_application_id,
        )
        assert second.piste_application_id == first.piste_application_id
    assert count(store, PisteApplication) == 1
    with store.transaction() as tx, pytest.raises(InvalidInputError, match="production application"):
        production_app = tx.piste_applications.add(
            NewPisteApplication(name="prod", environment="production", client_id="c", client_secret="s")
        )
        add_structure(tx, name="Wrong", piste=None, piste_application_id=production_app.id)


def test_bad_input_names_every_field_and_changes_nothing(store):
    with pytest.raises(InvalidInputError) as caught, store.transaction() as tx:
        add_structure(
            tx,
            siret="1234",
            referent_email="not-an-email",
            webhook_url="http://hooks.example/x",
            default_payment_mode="BITCOIN",
            technical_login="TECH:1",
        )
    fields = set(caught.value.fields)
    assert {
        "structure.siret",
        "structure.referent_email",
        "structure.webhook_url",
        "structure.default_payment_mode",
        "structure.technical_login",
    } <= fields
    message = str(caught.value)
    assert "14 digits" in message and "name@domain.tld" in message and "use https" in message
    assert "tech-password" not in message
    assert count(store, Structure) == 0
    assert count(store, PisteApplication) == 0  # the application added first was rolled back too


def test_update_rejected_leaves_structure_unchanged(store):
    with store.transaction() as tx:
        structure_id = add_structure(tx).id
    with pytest.raises(InvalidInputError) as caught, store.transaction() as tx:
        tx.structures.update(
            structure_id, {"default_service_code": "NEW", "siret": "abc", "environment": "production"}
        )
    assert set(caught.value.fields) == {"structure.siret", "structure.environment"}
    assert "move_to_production" in str(caught.value)
    with store.read() as tx:
        assert tx.structures.get(structure_id).default_service_code == "SERVICE_FOURNISSEURTST084"


def test_production_siret_needs_luhn_sandbox_does_not(store):
    with store.transaction() as tx:
        assert add_structure(tx).siret == SANDBOX_SIRET  # fails Luhn, fine in sandbox
    with pytest.raises(InvalidInputError, match="check digit"), store.transaction() as tx:
        add_structure(
            tx,
            name="Prod",
            environment="production",
            siret="73282932000075",
            piste=NewPisteApplication(name="p", client_id="pc", client_secret="ps"),
        )
    with store.transaction() as tx:
        prod = add_structure(
            tx,
            name="Prod",
            environment="production",
            siret=PRODUCTION_SIRET_2,  # La Poste: not Luhn, its own rule
            piste=NewPisteApplication(name="p", client_id="pc", client_secret="ps"),
        )
        assert prod.siret == PRODUCTION_SIRET_2


def test_one_production_structure_per_siret_and_unique_names(store):
    with store.transaction() as tx:
        first = add_structure(
            tx,
            environment="production",
            siret=PRODUCTION_SIRET,
            piste=NewPisteApplication(name="p", client_id="pc", client_secret="ps"),
        )
        app_id = first.piste_application_id
    with pytest.raises(DuplicateError, match="already acts in production"), store.transaction() as tx:
        add_structure(
            tx,
            name="Other",
            environment="production",
            siret=PRODUCTION_SIRET,
            piste=None,
            piste_application_id=app_id,
        )
    with pytest.raises(DuplicateError, match="named 'Atelier Exemple' exists"), store.transaction() as tx:
        add_structure(tx, piste=NewPisteApplication(name="q", client_id="qc", client_secret="qs"))
    assert count(store, Structure) == 1


def test_password_expiry_estimated_then_from_chorus(store, clock):
    with store.transaction() as tx:
        structure_id = add_structure(tx).id
    with store.read() as tx:
        expiry = tx.structures.password_expiry(structure_id)
        assert expiry.expires_on == clock.now.date() + dt.timedelta(days=424)
        assert expiry.source == "estimated"
        assert not expiry.warn
        # 31 days before: no warning; 30 days before: warning; after: expired.
        day_31 = expiry.expires_on - dt.timedelta(days=31)
        assert not tx.structures.password_expiry(structure_id, day_31).warn
        day_30 = expiry.expires_on - dt.timedelta(days=30)
        warned = tx.structures.password_expiry(structure_id, day_30)
        assert warned.warn and not warned.expired and "in 30 days" in warned.message()
        assert tx.structures.password_expiry(structure_id, expiry.expires_on + dt.timedelta(days=1)).expired
        assert tx.structures.expiring_passwords(day_31) == []
        assert [s.id for s, _ in tx.structures.expiring_passwords(day_30)] == [structure_id]
    chorus_date = dt.date(2026, 4, 1)
    with store.transaction() as tx:
        tx.structures.record_password_expiry(structure_id, chorus_date)
    with store.read() as tx:
        expiry = tx.structures.password_expiry(structure_id)
        assert (expiry.expires_on, expiry.source, expiry.days_left, expiry.warn) == (
            chorus_date,
            "chorus",
            30,
            True,
        )
    clock.advance(days=10)
    with store.transaction() as tx:
        tx.structures.set_technical_password(structure_id, SecretStr("renewed-password"))
    with store.read() as tx:
        expiry = tx.structures.password_expiry(structure_id)
        assert expiry.expires_on == clock.now.date() + dt.timedelta(days=424)
        assert tx.structures.connection_settings(structure_id).technical_password.get_secret_value() == (
            "renewed-password"
        )


def test_webhook_requires_secret_and_can_be_removed(store):
    with store.transaction() as tx:
        structure_id = add_structure(tx).id
    with pytest.raises(InvalidInputError, match="webhook_secret"), store.transaction() as tx:
        tx.structures.set_webhook(structure_id, "https://hooks.example/a")
    with store.transaction() as tx:
        tx.structures.set_webhook(
            structure_id, "http://127.0.0.1:8765/hook", "s3cret"
        )  # loopback http is fine
    with store.transaction() as tx:
        tx.structures.set_webhook(structure_id, None)
    with store.read() as tx:
        assert tx.structures.webhook_secret(structure_id) is None
        assert tx.structures.get(structure_id).webhook_url is None


def test_public_buyer_structure(store):
    with store.transaction() as tx:
        buyer = add_structure(tx, name="Commune", role="public_buyer", siret="00000000005734")
        assert buyer.role is StructureRole.PUBLIC_BUYER
    assert new_structure().role == StructureRole.SUPPLIER
