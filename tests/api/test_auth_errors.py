"""Each authentication and access problem gives its own error, with a message saying what to do."""

from __future__ import annotations

import pytest
from api_helpers import Scripted, credentials_for

from chorus_connect.api import (
    ApiNotSubscribedError,
    ChorusClient,
    Credentials,
    InvalidClientCredentialsError,
    RequestRejectedError,
    TechnicalAccountError,
    TechnicalPasswordExpiredError,
    TokenRejectedError,
    UnexpectedResponseError,
)


def test_a_wrong_client_secret_is_named_as_such(sim, make_client, supplier_credentials):
    wrong = Credentials(
        supplier_credentials.client_id,
        "not-the-secret",
        supplier_credentials.technical_login,
        supplier_credentials.technical_password,
    )
    with pytest.raises(InvalidClientCredentialsError) as caught:
        make_client(wrong).transverses.health_check()
    message = str(caught.value)
    assert "client id" in message and supplier_credentials.client_id in message
    assert "invalid_client" in message
    assert "CHORUS_CLIENT_SECRET" in message  # what to do
    assert "not-the-secret" not in message


def test_a_wrong_technical_password_is_told_apart_from_a_wrong_client_secret(
    sim, make_client, supplier_credentials
):
    wrong = Credentials(
        supplier_credentials.client_id,
        supplier_credentials.client_secret,
        supplier_credentials.technical_login,
        "wrong-password",
    )
    client = make_client(wrong)
    with pytest.raises(TechnicalAccountError) as caught:
        client.transverses.health_check()
    error = caught.value
    assert not isinstance(error, TechnicalPasswordExpiredError)
    assert error.status_code == 401
    assert "token is valid" in str(error) and "cpro-account" in str(error)
    assert "CHORUS_TECH_PASSWORD" in str(error)
    assert client.token_fetch_count == 1  # an explicit account refusal does not waste a token renewal


def test_an_expired_technical_password_has_its_own_error(sim, make_client):
    expired = sim.dataset.expired_account()
    with pytest.raises(TechnicalPasswordExpiredError) as caught:
        make_client(credentials_for(sim, expired.login)).transverses.health_check()
    assert "424 days" in str(caught.value)
    assert "main manager" in str(caught.value)


def test_an_api_family_not_subscribed_is_a_403_naming_the_family(sim, make_client, supplier_credentials):
    app = sim.dataset.application_without("structures")
    client = make_client(credentials_for(sim, supplier_credentials.technical_login, application=app))
    assert client.factures.search_supplier_invoices().invoices == []  # subscribed: fine
    with pytest.raises(ApiNotSubscribedError) as caught:
        client.structures.search()
    error = caught.value
    assert error.family == "Structures" and error.status_code == 403
    assert "subscribe it to the API 'Structures'" in str(error)


# --- gateway behaviours the simulator does not produce: a scripted loopback server ---------------------


def test_an_unexplained_401_renews_the_token_once_then_blames_the_technical_account(
    scripted, scripted_client
):
    scripted.script = [Scripted(401), Scripted(401)]
    with pytest.raises(TechnicalAccountError, match="no reason given"):
        scripted_client.transverses.health_check()
    assert scripted.token_count == 2
    assert scripted.cpro_calls() == 2


def test_an_unexplained_401_that_was_an_expired_token_is_recovered(scripted, scripted_client):
    scripted.script = [Scripted(401), Scripted(200, {"codeRetour": 0, "libelle": "ok"})]
    assert scripted_client.transverses.health_check().label == "ok"
    assert scripted.token_count == 2
    # The renewed token is the one sent on the second call.
    assert scripted.received[-1][1]["Authorization"] == "Bearer tok-2"


def test_a_token_refused_again_after_renewal_is_reported(scripted, scripted_client):
    challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    scripted.script = [Scripted(401, b"", challenge), Scripted(401, b"", challenge)]
    with pytest.raises(TokenRejectedError, match="same platform"):
        scripted_client.transverses.health_check()


def test_every_call_carries_both_identities(scripted, scripted_client):
    scripted_client.transverses.flux_formats()
    path, headers, body = scripted.received[-1]
    assert path == "/cpro/transverses/v1/recuperer/formatflux"
    assert headers["Authorization"] == "Bearer tok-1"
    assert headers["cpro-account"] == scripted_client.credentials.cpro_account
    assert headers["Content-Type"] == "application/json;charset=utf-8"
    assert body == b"{}"
    token_form = scripted.received[0][2].decode()
    assert "grant_type=client_credentials" in token_form and "scope=openid" in token_form


@pytest.mark.parametrize(
    ("status", "expected", "hint"),
    [
        (413, RequestRejectedError, "10 MB"),
        (415, RequestRejectedError, "JSON"),
        (404, RequestRejectedError, "API URL"),
        (400, RequestRejectedError, "malformed"),
    ],
)
def test_other_refusals_say_what_is_wrong(scripted, scripted_client, status, expected, hint):
    scripted.script = [Scripted(status, b"")]
    with pytest.raises(expected, match=hint):
        scripted_client.transverses.flux_formats()


def test_an_html_error_page_is_an_unexpected_response_not_a_crash(scripted, scripted_client):
    scripted.script = [Scripted(200, b"<html>maintenance</html>", {"Content-Type": "text/html"})]
    with pytest.raises(UnexpectedResponseError, match="cannot be read as FluxFormatsResponse"):
        scripted_client.transverses.flux_formats()


def test_a_500_on_a_read_is_not_retried_and_on_a_change_is_outcome_unknown(scripted, scripted_client):
    from chorus_connect.api import OutcomeUnknownError, ServiceUnavailableError

    scripted.script = [Scripted(500, b"")]
    with pytest.raises(ServiceUnavailableError, match="HTTP 500"):
        scripted_client.transverses.flux_formats()
    assert scripted.cpro_calls() == 1
    scripted.script = [Scripted(500, b"")]
    with pytest.raises(OutcomeUnknownError) as caught:
        scripted_client.factures.complete({"invoice_id": 42})
    assert caught.value.identifiers == {"invoice_id": 42}
    assert scripted.cpro_calls() == 2


def test_invalid_request_data_is_reported_before_anything_is_sent(scripted, scripted_client):
    from chorus_connect.api import InvalidRequestError

    with pytest.raises(InvalidRequestError, match=r"invoice_id|identifiantFactureCPP"):
        scripted_client.factures.complete({"comment": "no id"})
    assert scripted.cpro_calls() == 0


def test_a_client_for_an_unknown_environment_name_is_refused():
    from chorus_connect.api import ConfigurationError

    with pytest.raises(ConfigurationError, match="Unknown environment"):
        ChorusClient(Credentials("a", "b", "c", "d"), "qualif")
