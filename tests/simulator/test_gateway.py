"""PISTE gateway behaviour: OAuth2 token endpoint, bearer checks, subscriptions, cpro-account."""

import base64

import httpx
import pytest

from chorus_connect.simulator import SimulatorConfig, SimulatorServer

HEALTH = "/cpro/transverses/v1/health-check"
STRUCTURES = "/cpro/structures/v1/rechercher"


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(SimulatorConfig(frozen_clock=True, token_ttl_seconds=600)) as server:
        yield server


def token(sim, application=None, **overrides) -> httpx.Response:
    application = application or sim.dataset.main_application()
    form = {
        "grant_type": "client_credentials",
        "client_id": application.client_id,
        "client_secret": application.client_secret,
        "scope": "openid",
        **overrides,
    }
    return httpx.post(sim.token_url, data={k: v for k, v in form.items() if v is not None})


def account_header(account) -> str:
    return base64.b64encode(f"{account.login}:{account.password}".encode()).decode()


def call(sim, path=HEALTH, *, bearer=None, account=None, method="GET", **kwargs) -> httpx.Response:
    headers = kwargs.pop("headers", {})
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    if account is not None:
        headers["cpro-account"] = account
    return httpx.request(method, f"{sim.base_url}{path}", headers=headers, **kwargs)


@pytest.fixture
def supplier_header(sim):
    return account_header(sim.dataset.supplier_account(sim.dataset.main_supplier().structure_id))


def test_token_has_the_piste_shape(sim):
    response = token(sim)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600 and body["scope"] == "openid"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": "unknown-client"}, "invalid_client"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"client_secret": None}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
    ],
)
def test_token_errors_follow_oauth2(sim, overrides, error):
    response = token(sim, **overrides)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_missing_unknown_and_expired_tokens_get_401_with_www_authenticate(sim, supplier_header):
    missing = call(sim, account=supplier_header)
    assert missing.status_code == 401 and "Bearer" in missing.headers["WWW-Authenticate"]
    unknown = call(sim, bearer="not-a-token", account=supplier_header)
    assert unknown.status_code == 401
    assert 'error="invalid_token"' in unknown.headers["WWW-Authenticate"]

    live = token(sim).json()["access_token"]
    assert call(sim, bearer=live, account=supplier_header).status_code == 200
    sim.admin.advance_clock(601)
    expired = call(sim, bearer=live, account=supplier_header)
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"
    assert "expired" in expired.json()["error_description"]


def test_revoked_tokens_are_refused(sim, supplier_header):
    live = token(sim).json()["access_token"]
    assert sim.admin.revoke_tokens() >= 1
    response = call(sim, bearer=live, account=supplier_header)
    assert response.status_code == 401 and "revoked" in response.json()["error_description"]


def test_unsubscribed_family_and_unknown_route_get_an_empty_403(sim, supplier_header):
    limited = sim.dataset.application_without("structures")
    bearer = token(sim, limited).json()["access_token"]
    refused = call(sim, STRUCTURES, bearer=bearer, account=supplier_header, method="POST", json={})
    assert refused.status_code == 403 and refused.content == b""
    assert call(sim, bearer=bearer, account=supplier_header).status_code == 200  # transverses is subscribed
    unknown = call(
        sim, "/cpro/factures/v1/nonexistent", bearer=bearer, account=supplier_header, method="POST"
    )
    assert unknown.status_code == 403 and unknown.content == b""


@pytest.mark.parametrize(
    "header",
    [
        None,
        "not base64!",
        base64.b64encode(b"no-colon").decode(),
        base64.b64encode(b"TECH_1_unknown@cpro.fr:secret").decode(),
    ],
)
def test_bad_cpro_account_gets_401_naming_the_account(sim, header):
    bearer = token(sim).json()["access_token"]
    response = call(sim, bearer=bearer, account=header)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_cpro_account"
    assert "WWW-Authenticate" not in response.headers  # the token itself was fine


def test_wrong_technical_password_is_refused(sim):
    account = sim.dataset.supplier_account(sim.dataset.main_supplier().structure_id)
    wrong = base64.b64encode(f"{account.login}:{account.password}x".encode()).decode()
    response = call(sim, bearer=token(sim).json()["access_token"], account=wrong)
    assert response.status_code == 401 and response.json()["error"] == "invalid_cpro_account"


def test_expired_technical_password_is_refused(sim):
    expired = sim.dataset.expired_account()
    response = call(sim, bearer=token(sim).json()["access_token"], account=account_header(expired))
    assert response.status_code == 401 and response.json()["error"] == "expired_password"


def test_non_json_body_gets_415_and_malformed_json_a_400_envelope(sim, supplier_header):
    bearer = token(sim).json()["access_token"]
    path = "/cpro/transverses/v1/recuperer/structures/actives/fournisseur"
    as_text = call(
        sim,
        path,
        bearer=bearer,
        account=supplier_header,
        method="POST",
        content=b"{}",
        headers={"Content-Type": "text/plain"},
    )
    assert as_text.status_code == 415
    broken = call(
        sim,
        path,
        bearer=bearer,
        account=supplier_header,
        method="POST",
        content=b"{oops",
        headers={"Content-Type": "application/json;charset=utf-8"},
    )
    assert broken.status_code == 400
    assert broken.json()["codeRetour"] != 0 and "JSON" in broken.json()["libelle"]


def test_success_envelope_and_content_type(sim, supplier_header):
    bearer = token(sim).json()["access_token"]
    path = "/cpro/transverses/v1/recuperer/structures/actives/fournisseur"
    response = call(sim, path, bearer=bearer, account=supplier_header, method="POST", json={})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert response.json()["codeRetour"] == 0 and response.json()["libelle"] == "TRA_MSG_00.000"
