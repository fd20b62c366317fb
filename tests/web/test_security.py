"""Security of the web application: headers, cookies, CSRF, sign-in throttling, sessions, roles, secrets."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import CSRF, PASSWORD, bearer, sign_in

from chorus_connect.store import User
from chorus_connect.web.auth import SECURE_SESSION_COOKIE, SESSION_COOKIE


def login_form(client: TestClient) -> str:
    return CSRF.search(client.get("/connexion").text).group(1)


def attempt(client: TestClient, email: str, password: str, **extra) -> object:
    return client.post(
        "/connexion",
        data={"email": email, "password": password, "csrf_token": login_form(client), **extra},
        follow_redirects=False,
    )


# --- headers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/connexion", "/api/v1/openapi.json", "/api/v1/structures"])
def test_security_headers_everywhere(api, path):
    headers = api.get(path).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in headers  # plain http: HSTS would be ignored, and wrong


def test_hsts_and_secure_cookies_over_https(app, world):
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/connexion").headers["strict-transport-security"].startswith("max-age=31536000")
        answer = attempt(client, world.admin, PASSWORD)
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{SECURE_SESSION_COOKIE}=") and "Secure" in cookie and "HttpOnly" in cookie
        assert client.get("/", follow_redirects=False).status_code == 200


def test_pdf_previews_may_only_be_framed_by_the_app(world, as_user, store):
    with store.transaction() as tx:
        invoice = tx.invoices.add(world.a, world.invoice_data("PDF-1")).id
    answer = as_user(world.accountant_a).get(f"/factures/{invoice}/pdf")
    assert answer.headers["content-type"] == "application/pdf" and answer.content.startswith(b"%PDF")
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert answer.headers["content-security-policy"] == "frame-ancestors 'self'"


def test_static_files_are_cacheable_and_pages_have_no_inline_script(api):
    assert "max-age" in api.get("/static/app.js").headers["cache-control"]
    page = api.get("/connexion").text
    assert "<script>" not in page and "style=" not in page and "onclick" not in page


# --- sign-in --------------------------------------------------------------------------------------------


def test_session_cookie_flags_and_sign_out(app, world):
    client = TestClient(app)
    answer = attempt(client, world.admin, PASSWORD)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert (
        cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    )
    token = client.cookies.get(SESSION_COOKIE)
    home = client.get("/")
    assert home.status_code == 200
    client.post("/deconnexion", data={"csrf_token": CSRF.search(home.text).group(1)})
    replay = TestClient(app, cookies={SESSION_COOKIE: token})
    assert replay.get("/", follow_redirects=False).headers["location"].startswith("/connexion")


def test_wrong_password_and_unknown_address_get_the_same_answer(app, world):
    client = TestClient(app)
    wrong = attempt(client, world.admin, "not the password")
    unknown = attempt(client, "nobody@example.fr", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in wrong.text and "incorrect" in unknown.text


def test_sign_in_is_throttled_per_address_then_released(app, world, store, web_settings):
    client = TestClient(app)
    for _ in range(web_settings.login_max_failures_per_email - 1):
        assert attempt(client, world.admin, "nope").status_code == 401
    locked = attempt(client, world.admin, "nope")
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert "Trop de tentatives" in locked.text
    assert attempt(client, world.admin, PASSWORD).status_code == 429  # even the right password, while locked
    assert attempt(TestClient(app), world.accountant_a, PASSWORD).status_code == 303  # others are not locked
    store.clock = lambda: dt.datetime.now(dt.UTC) + web_settings.login_lock + dt.timedelta(seconds=1)
    assert attempt(client, world.admin, PASSWORD).status_code == 303


def test_sign_in_is_throttled_per_client_address(app, world, web_settings):
    client = TestClient(app)
    for index in range(web_settings.login_max_failures_per_address):
        attempt(client, f"guess{index}@example.fr", "nope")
    assert attempt(client, world.admin, PASSWORD).status_code == 429


def test_login_form_needs_its_csrf_token_and_redirects_only_locally(app, world):
    client = TestClient(app)
    login_form(client)
    forged = client.post("/connexion", data={"email": world.admin, "password": PASSWORD, "csrf_token": "x"})
    assert forged.status_code == 403
    answer = attempt(client, world.admin, PASSWORD, suivant="//evil.example/")
    assert answer.headers["location"] == "/"


def test_passwords_are_argon2id(store, world):
    with store.read() as tx:
        hashes = tx.session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_a_password_change_ends_the_other_sessions(app, world, as_user):
    first, second = as_user(world.accountant_a), as_user(world.accountant_a)
    new = "another long passphrase"
    answer = first.post(
        "/compte/mot-de-passe", {"current": PASSWORD, "password": new, "password_confirm": new}
    )
    assert answer.status_code == 200 and "Mot de passe changé" in answer.text
    assert first.get("/").status_code == 200
    assert second.get("/", follow_redirects=False).status_code == 303
    sign_in(app, world.accountant_a, new)
    short = first.post(
        "/compte/mot-de-passe", {"current": new, "password": "short", "password_confirm": "short"}
    )
    assert short.status_code == 422 and "au moins" in short.text


def test_a_deactivated_user_is_signed_out(world, as_user, store):
    browser = as_user(world.accountant_b)
    admin = as_user(world.admin)
    with store.read() as tx:
        user = tx.accounts.get_user(world.accountant_b)
        user_id, structures = user.id, [str(s.id) for s in user.structures]
    admin.post(
        f"/utilisateurs/{user_id}", {"role": "accountant", "is_active": "non", "structure_ids": structures}
    )
    assert browser.get("/", follow_redirects=False).status_code == 303


# --- CSRF -----------------------------------------------------------------------------------------------


def test_every_form_needs_the_sessions_csrf_token(world, as_user):
    browser = as_user(world.admin)
    url = f"/structures/{world.a}/tester"
    assert browser.client.post(url).status_code == 403
    assert browser.client.post(url, data={"csrf_token": "forged"}).status_code == 403
    assert "Le formulaire a expiré" in browser.client.post(url, data={"csrf_token": "forged"}).text
    other = as_user(world.accountant_a)  # another session's token is not this one's
    assert browser.client.post(url, data={"csrf_token": other.csrf}).status_code == 403
    assert browser.post(url).status_code == 200


def test_cross_site_requests_are_refused_even_with_a_token(world, as_user):
    browser = as_user(world.admin)
    answer = browser.client.post(
        f"/structures/{world.a}/tester",
        data={"csrf_token": browser.csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403


def test_json_actions_take_the_token_in_a_header(world, as_user):
    browser = as_user(world.accountant_a)
    url = f"/structures/{world.a}/factures/depot"
    assert browser.client.post(url, json={"invoice_ids": []}).status_code == 403
    ok = browser.client.post(url, json={"invoice_ids": []}, headers={"X-CSRF-Token": browser.csrf})
    assert ok.status_code == 200 and ok.json() == {"results": []}


# --- roles and credentials ------------------------------------------------------------------------------


def test_read_only_users_see_but_cannot_act(world, as_user, store):
    with store.transaction() as tx:
        invoice = tx.invoices.add(world.a, world.invoice_data("RO-1")).id
    reader = as_user(world.reader_a)
    page = reader.get(f"/factures/{invoice}")
    assert page.status_code == 200 and "/controler" not in page.text
    assert reader.post(f"/factures/{invoice}/controler").status_code == 403
    assert reader.post(f"/structures/{world.a}/tester").status_code == 403


def test_the_api_never_accepts_the_session_cookie(world, as_user):
    browser = as_user(world.admin)
    assert browser.get("/api/v1/structures").status_code == 401


def test_an_api_key_never_opens_the_pages(api, world):
    answer = api.get("/", headers=bearer(world.key_a), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/connexion")


def test_secrets_are_never_shown_back(world, as_user, simulator):
    admin = as_user(world.admin)
    dataset = simulator.dataset
    secret = dataset.main_application().client_secret
    password = dataset.supplier_account(dataset.main_supplier().structure_id).password
    page = admin.get(f"/structures/{world.a}/reglages").text
    assert secret not in page and password not in page
    refused = admin.post(
        "/structures/nouvelle",
        {
            "name": "X",
            "role": "supplier",
            "environment": "sandbox",
            "client_id": "id",
            "client_secret": "the-client-secret-123",
            "technical_login": "TECH_1_1@cpro.fr",
            "technical_password": "the-password-123",
            "technical_password_confirm": "the-password-123",
            "siret": "123",
        },
    )
    assert refused.status_code == 422 and "SIRET" in refused.text
    assert "the-client-secret-123" not in refused.text and "the-password-123" not in refused.text
