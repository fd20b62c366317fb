"""`chorus structures ...` against a real store (SQLite and PostgreSQL) and the real simulator: secrets from
the environment or hidden prompts and never printed, clear errors that leave the store as it was, the
role-aware connection check that learns idStructureCPP and the password expiry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cli_store_helpers import (  # noqa: F401  (the *_fixture names are fixtures)
    Chorus,
    add_args,
    chorus_fixture,
    database_url_fixture,
    secrets_env,
    sim_fixture,
)

from chorus_connect.store import generate_key


def structure_names(chorus: Chorus) -> list[str]:
    return [row["name"] for row in chorus.json("structures", "list")]


def test_add_list_show_never_print_a_secret(chorus, sim):
    env = secrets_env(sim) | {"CHORUS_WEBHOOK_SECRET": "whsec-never-shown"}
    added = chorus.ok(
        *add_args(sim, "atelier"),
        "--service-code",
        "FACTURES_PUBLIQUES",
        "--engagement-management",
        "--notify-email",
        "compta@atelier.example",
        "--webhook-url",
        "http://127.0.0.1:9/hook",
        env=env,
    )
    assert "added (id 1)" in added.output

    [row] = chorus.json("structures", "list")
    assert (row["name"], row["role"], row["environment"]) == ("atelier", "supplier", "local")
    assert row["technical_password"] == "set" and row["webhook_secret"] == "set"
    assert row["engagement_management"] is True and row["notification_emails"] == ["compta@atelier.example"]
    assert row["technical_password_expiry"]["source"] == "estimated"
    shown = chorus.json("structures", "show", "atelier")
    assert shown["piste_application"]["client_secret"] == "set"
    table = chorus.ok("structures", "list").output + chorus.ok("structures", "show", "1").output
    for secret in [*env.values()]:
        for output in (added.output, table, str(row), str(shown)):
            assert secret not in output
    # The secrets are in the store, encrypted, and decrypt to what was given.
    with chorus.open() as store, store.read() as tx:
        settings = tx.structures.connection_settings(1)
        assert settings.technical_password.get_secret_value() == env["CHORUS_TECH_PASSWORD"]
        assert tx.structures.webhook_secret(1).get_secret_value() == "whsec-never-shown"


def test_secrets_typed_at_hidden_prompts_are_not_echoed(chorus, sim):
    secrets = secrets_env(sim)
    password = secrets["CHORUS_TECH_PASSWORD"]
    typed = f"{secrets['CHORUS_CLIENT_SECRET']}\n{password}\n{password}\n"  # the password is asked twice
    result = chorus.ok(*add_args(sim, "atelier"), input=typed)
    assert "PISTE client secret" in result.output and "Repeat for confirmation" in result.output
    assert secrets["CHORUS_CLIENT_SECRET"] not in result.output
    assert secrets["CHORUS_TECH_PASSWORD"] not in result.output
    assert structure_names(chorus) == ["atelier"]


def test_a_mistyped_password_confirmation_saves_nothing(chorus, sim):
    chorus.ok(*add_args(sim, "first"), env=secrets_env(sim))
    result = chorus(*add_args(sim, "atelier"), input="client-secret\npassword-1\npassword-2\n")
    assert result.exit_code == 1
    assert "do not match" in result.output and "Technical account password was not given" in result.output
    assert "password-1" not in result.output and "password-2" not in result.output
    assert structure_names(chorus) == ["first"]


def test_bad_input_names_the_field_and_leaves_the_store_unchanged(chorus, sim):
    chorus.ok(*add_args(sim, "atelier"), env=secrets_env(sim))

    bad_siret = chorus(*add_args(sim, "other", siret="1234567890123"), env=secrets_env(sim))
    assert bad_siret.exit_code == 1
    assert "structure.siret" in bad_siret.output and "14 digits" in bad_siret.output
    assert "Traceback" not in bad_siret.output

    production = add_args(sim, "prod", siret="12345678901234")
    production[production.index("local")] = "production"
    luhn = chorus(*production, env=secrets_env(sim))
    assert luhn.exit_code == 1 and "structure.siret" in luhn.output

    duplicate = chorus(*add_args(sim, "atelier"), env=secrets_env(sim))
    assert duplicate.exit_code == 1 and "exists already" in duplicate.output

    unknown = chorus("structures", "show", "nowhere")
    assert unknown.exit_code == 1 and "No structure 'nowhere'" in unknown.output
    assert structure_names(chorus) == ["atelier"]
    with chorus.open() as store, store.read() as tx:
        assert len(tx.piste_applications.list()) == 1  # the refused adds left no application behind


def test_a_missing_secret_key_is_named_with_the_fix_before_anything_is_written(sim, tmp_path):
    chorus = Chorus(f"sqlite:///{tmp_path / 'chorus.sqlite3'}", secret_key=None)
    result = chorus(*add_args(sim, "atelier"), env=secrets_env(sim))
    assert result.exit_code == 1
    assert "CHORUS_SECRET_KEY is not set" in result.output and "chorus secrets generate-key" in result.output
    assert not (tmp_path / "chorus.sqlite3").exists()


def test_a_refused_first_add_leaves_no_store_file_behind(sim, tmp_path):
    chorus = Chorus(f"sqlite:///{tmp_path / 'chorus.sqlite3'}", secret_key=generate_key())
    result = chorus(*add_args(sim, "atelier", siret="0000"), env=secrets_env(sim))
    assert result.exit_code == 1 and "structure.siret" in result.output
    assert list(tmp_path.iterdir()) == []


def test_listing_a_store_that_does_not_exist_says_where_it_looked(tmp_path):
    chorus = Chorus(f"sqlite:///{tmp_path / 'typo.sqlite3'}", secret_key=None)
    result = chorus("structures", "list")
    assert result.exit_code == 1 and "There is no store at" in result.output and "--store" in result.output
    assert not (tmp_path / "typo.sqlite3").exists()


def test_edit_changes_settings_and_secrets_all_or_nothing(chorus, sim):
    chorus.ok(*add_args(sim, "atelier"), env=secrets_env(sim))

    refused = chorus(
        "structures", "edit", "atelier", "--service-code", "NEW", "--referent-email", "not-an-email"
    )
    assert refused.exit_code == 1 and "structure.referent_email" in refused.output
    assert chorus.json("structures", "show", "atelier")["default_service_code"] is None  # nothing applied

    chorus.ok(
        "structures",
        "edit",
        "atelier",
        "--service-code",
        "FACTURES_PUBLIQUES",
        "--payment-mode",
        "virement",
        "--notify-email",
        "a@atelier.example",
        "--notify-email",
        "b@atelier.example",
        "--inactive",
        "--new-tech-password",
        "--password-expires-on",
        "2027-05-01",
        env={"CHORUS_TECH_PASSWORD": "renewed-password"},
    )
    shown = chorus.json("structures", "show", "atelier")
    assert (
        shown["default_service_code"] == "FACTURES_PUBLIQUES" and shown["default_payment_mode"] == "VIREMENT"
    )
    assert shown["notification_emails"] == ["a@atelier.example", "b@atelier.example"]
    assert shown["is_active"] is False
    assert shown["technical_password_expiry"]["expires_on"] == "2027-05-01"
    with chorus.open() as store, store.read() as tx:
        assert (
            tx.structures.connection_settings(1).technical_password.get_secret_value() == "renewed-password"
        )

    chorus.ok(
        "structures",
        "edit",
        "1",
        "--webhook-url",
        "http://127.0.0.1:9/h",
        env={"CHORUS_WEBHOOK_SECRET": "s3"},
    )
    assert chorus.json("structures", "show", "1")["webhook_secret"] == "set"
    chorus.ok("structures", "edit", "1", "--no-webhook", "--clear-notify-emails", "--active")
    shown = chorus.json("structures", "show", "1")
    assert (shown["webhook_url"], shown["webhook_secret"], shown["notification_emails"]) == (
        None,
        "not set",
        [],
    )
    assert chorus("structures", "edit", "1", "--new-webhook-secret").exit_code == 1  # no webhook any more


def test_check_connection_learns_the_structure_id_and_the_password_expiry(chorus, sim):
    chorus.ok(*add_args(sim, "atelier"), env=secrets_env(sim))
    report = chorus.json("structures", "check-connection", "atelier")
    assert report["ok"] is True
    steps = {step["name"]: step for step in report["steps"]}
    assert steps["PISTE OAuth2 token"]["status"] == "passed"
    assert steps["Structure on Chorus Pro"]["status"] == "passed"
    assert steps["Technical password expiry"]["status"] == "passed"

    supplier = sim.dataset.main_supplier()
    shown = chorus.json("structures", "show", "atelier")
    assert shown["chorus_structure_id"] == supplier.structure_id
    expiry = shown["technical_password_expiry"]
    account = sim.dataset.supplier_account(supplier.structure_id)
    assert (expiry["source"], expiry["expires_on"]) == ("chorus", account.password_expires_on.isoformat())


def test_check_connection_of_a_public_buyer_looks_at_the_structures_it_receives_for(chorus, sim):
    chorus.ok(*add_args(sim, "quimper", role="public_buyer"), env=secrets_env(sim, "public_buyer"))
    result = chorus.ok("structures", "check-connection", "quimper")
    assert "All checks passed." in result.output
    assert "receives invoices for it" in result.output
    assert (
        chorus.json("structures", "show", "quimper")["chorus_structure_id"]
        == sim.dataset.recipient_with().structure_id
    )


def test_check_connection_with_a_wrong_siret_says_what_to_fix(chorus, sim):
    chorus.ok(*add_args(sim, "atelier", siret="00000000011111"), env=secrets_env(sim))
    result = chorus("structures", "check-connection", "atelier")
    assert result.exit_code == 1
    assert "SIRET 00000000011111 is not among the structures" in result.output
    assert sim.dataset.main_supplier().siret in result.output  # what the account does act for
    assert "--siret" in result.output
    assert chorus.json("structures", "show", "atelier")["chorus_structure_id"] is None


def test_check_connection_warns_about_a_password_expiring_soon(chorus, sim):
    account = sim.dataset.expiring_account()
    [structure_id] = account.structure_ids[:1]
    siret = sim.dataset.structure(structure_id).siret
    args = add_args(sim, "expiring", siret=siret)
    args[args.index("--tech-login") + 1] = account.login
    env = {
        "CHORUS_CLIENT_SECRET": sim.dataset.main_application().client_secret,
        "CHORUS_TECH_PASSWORD": account.password,
    }
    chorus.ok(*args, env=env)
    result = chorus.ok("structures", "check-connection", "expiring")  # a warning is not a failure
    assert "! warning" in result.output and "Technical password expiry" in result.output
    listed = chorus.json("structures", "list")[0]["technical_password_expiry"]
    assert listed["warn"] is True and listed["expires_on"] == account.password_expires_on.isoformat()
    assert listed["days_left"] == (account.password_expires_on - dt.date.today()).days


def test_move_to_production_asks_for_real_credentials_and_keeps_the_structure(chorus, sim):
    args = add_args(sim, "atelier")
    args[args.index("local")] = "sandbox"
    chorus.ok(*args, env=secrets_env(sim))
    move = [
        "structures",
        "move-to-production",
        "atelier",
        "--siret",
        "73282932000074",
        "--tech-login",
        "TECH_1_73282932000074@cpro.fr",
        "--client-id",
        "production-client",
        "--yes",
    ]
    env = {"CHORUS_CLIENT_SECRET": "prod-secret", "CHORUS_TECH_PASSWORD": "prod-password"}

    refused = chorus(*move[:4], "00000000005719", *move[5:], env=env)  # a test SIRET fails Luhn
    assert refused.exit_code == 1 and "siret" in refused.output.lower()
    assert chorus.json("structures", "show", "atelier")["environment"] == "sandbox"

    moved = chorus.ok(*move, env=env)
    assert "is now in production" in moved.output and "prod-password" not in moved.output
    shown = chorus.json("structures", "show", "atelier")
    assert (shown["environment"], shown["siret"]) == ("production", "73282932000074")
    assert shown["piste_application"]["client_id"] == "production-client"


def test_structure_commands_need_no_key_to_list(chorus, sim, tmp_path):
    chorus.ok(*add_args(sim, "atelier"), env=secrets_env(sim))
    without_key = Chorus(chorus.store_url, secret_key=None)
    assert structure_names(without_key) == ["atelier"]
    wrong_key = Chorus(chorus.store_url, secret_key=generate_key())
    result = wrong_key("structures", "check-connection", "atelier")
    assert result.exit_code == 1 and "cannot decrypt" in result.output
    assert Path(tmp_path).exists()


@pytest.mark.parametrize("environment", ["nowhere"])
def test_an_unknown_environment_is_refused(chorus, sim, environment):
    chorus.ok(*add_args(sim, "atelier"), env=secrets_env(sim))
    result = chorus("structures", "list", "--environment", environment)
    assert result.exit_code == 1 and "production, sandbox or local" in result.output
