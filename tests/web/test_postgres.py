"""The web application on PostgreSQL (127.0.0.1:5432, database `test`, a schema of its own): sign-in,
sessions, throttling, idempotency records and isolation go through the same store code on both
databases; these tests run the main paths there too. Skipped, with the reason, when no server answers.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from web_helpers import CSRF, FAST_HASHING, PASSWORD, World, add_structure, bearer, sign_in

from chorus_connect.store import Store, generate_key
from chorus_connect.web import WebSettings, create_app
from chorus_connect.web.security import Passwords
from postgres_testing import SchemaFactory

pytestmark = pytest.mark.postgres
SCHEMAS = SchemaFactory("web")


@pytest.fixture
def pg_app(simulator):
    schema, url = SCHEMAS.create()
    store = Store.open(url, secret_key=generate_key(), environ={})
    app = create_app(store, WebSettings(password_hashing=FAST_HASHING))
    try:
        yield app, store
    finally:
        app.state.services.close()
        store.close()
        SCHEMAS.drop(schema)


def test_pages_api_idempotency_and_isolation_on_postgresql(pg_app, simulator):
    app, store = pg_app
    dataset = simulator.dataset
    a = add_structure(store, simulator, "A", dataset.suppliers()[0].structure_id, "supplier")
    b = add_structure(store, simulator, "B", dataset.suppliers()[1].structure_id, "supplier")
    with store.transaction() as tx:
        user = tx.accounts.add_user(
            "a@example.fr", "accountant", password_hash=Passwords(FAST_HASHING).hash(PASSWORD)
        )
        tx.accounts.grant(user.id, [a])
        key = tx.accounts.create_api_key("ERP A", [a])[1].get_secret_value()
    world = World(
        simulator,
        a,
        b,
        0,
        "",
        "a@example.fr",
        "",
        "",
        key,
        "",
        "",
        dataset.recipient_with().siret,
        "",
        dataset.suppliers()[0].siret,
    )
    browser = sign_in(app, "a@example.fr")
    assert "Tableau de bord" in browser.get("/").text
    api = TestClient(app)
    headers = {**bearer(key), "Idempotency-Key": str(uuid.uuid4())}
    data = world.invoice_data(f"PG{uuid.uuid4().hex[:10].upper()}")
    created = api.post(f"/api/v1/structures/{a}/invoices", json=data, headers=headers)
    replayed = api.post(f"/api/v1/structures/{a}/invoices", json=data, headers=headers)
    assert created.status_code == 201 and replayed.content == created.content
    assert replayed.headers["idempotent-replayed"] == "true"
    invoice_id = created.json()["invoices"][0]["id"]
    deposit = api.post(
        f"/api/v1/invoices/{invoice_id}/deposit", headers={**bearer(key), "Idempotency-Key": "d1"}
    )
    assert deposit.status_code == 200 and deposit.json()["status"] == "deposited"
    assert api.get(f"/api/v1/structures/{b}", headers=bearer(key)).status_code == 404
    assert browser.get(f"/structures/{b}/reglages").status_code == 404
    assert browser.get(f"/factures/{invoice_id}").status_code == 200
    guesser = TestClient(app)
    token = CSRF.search(guesser.get("/connexion").text).group(1)
    wrong = {"email": "a@example.fr", "password": "no", "csrf_token": token}
    answers = [guesser.post("/connexion", data=wrong).status_code for _ in range(5)]
    assert answers == [401, 401, 401, 401, 429]
