"""`chorus check-connection` and the diagnostic behind it, against a running simulator."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from chorus_connect.api._diagnostics import StepStatus, check_connection
from chorus_connect.cli.main import app

CREDENTIAL_VARS = ("CHORUS_CLIENT_ID", "CHORUS_CLIENT_SECRET", "CHORUS_TECH_LOGIN", "CHORUS_TECH_PASSWORD")


@pytest.fixture(autouse=True)
def _no_credentials_in_the_environment(monkeypatch):
    for name in (*CREDENTIAL_VARS, "CHORUS_ENVIRONMENT", "CHORUS_API_URL", "CHORUS_TOKEN_URL"):
        monkeypatch.delenv(name, raising=False)


def _run(sim, credentials, *extra: str):
    env = dict(
        zip(
            CREDENTIAL_VARS,
            (
                credentials.client_id,
                credentials.client_secret,
                credentials.technical_login,
                credentials.technical_password,
            ),
            strict=True,
        )
    )
    return CliRunner().invoke(
        app, ["check-connection", "--environment", "local", "--api-url", sim.base_url, *extra], env=env
    )


def test_all_steps_pass_with_good_credentials(sim, supplier_credentials):
    result = _run(sim, supplier_credentials)
    assert result.exit_code == 0, result.output
    assert "✔ passed   PISTE OAuth2 token" in result.output
    assert "Chorus Pro health check" in result.output
    assert sim.dataset.main_supplier().siret in result.output
    assert "All checks passed." in result.output
    assert supplier_credentials.client_secret not in result.output
    assert supplier_credentials.technical_password not in result.output


def test_a_wrong_client_secret_fails_the_token_step_with_its_fix(sim, supplier_credentials):
    from dataclasses import replace

    result = _run(sim, replace(supplier_credentials, client_secret="nope"))
    assert result.exit_code == 1
    assert "✘ failed   PISTE OAuth2 token" in result.output
    assert "CHORUS_CLIENT_SECRET" in result.output
    assert "- skipped  Technical account" in result.output


def test_a_wrong_technical_password_is_reported_on_the_account_not_the_token(sim, supplier_credentials):
    from dataclasses import replace

    result = _run(sim, replace(supplier_credentials, technical_password="nope"))
    assert result.exit_code == 1
    assert "✔ passed   PISTE OAuth2 token" in result.output
    assert "✘ failed   Technical account" in result.output
    assert "CHORUS_TECH_PASSWORD" in result.output
    assert "- skipped  API subscriptions" in result.output


def test_a_missing_subscription_names_the_api(sim, supplier_credentials):
    from api_helpers import credentials_for

    app_without = sim.dataset.application_without("structures")
    result = _run(sim, credentials_for(sim, supplier_credentials.technical_login, application=app_without))
    assert result.exit_code == 1
    assert "✘ failed   API Structures" in result.output
    assert "subscribe it to the API 'Structures'" in result.output
    assert "✔ passed   API Factures" in result.output


def test_a_password_expiring_soon_is_a_warning(sim, supplier):
    account = sim.dataset.supplier_account(sim.dataset.main_supplier().structure_id)
    expires = account.password_expires_on
    report = check_connection(supplier, today=expires - dt.timedelta(days=10))
    last = report.steps[-1]
    assert last.status is StepStatus.WARNING and "10 days left" in last.detail
    assert report.ok


def test_credentials_without_an_environment_are_refused_clearly(sim, supplier_credentials):
    result = CliRunner().invoke(app, ["check-connection", "--client-id", "x"])
    assert result.exit_code == 2
    assert "no environment" in result.output


def test_partial_credentials_name_what_is_missing(sim):
    result = CliRunner().invoke(
        app, ["check-connection", "-e", "local", "--api-url", sim.base_url, "--client-id", "x"]
    )
    assert result.exit_code == 2
    assert "CHORUS_CLIENT_SECRET" in result.output and "CHORUS_TECH_LOGIN" in result.output


def test_with_no_credentials_the_embedded_simulator_is_checked():
    result = CliRunner().invoke(app, ["check-connection"])
    assert result.exit_code == 0, result.output
    assert "embedded simulator" in result.output
    assert "All checks passed." in result.output
