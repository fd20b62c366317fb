"""``Idempotency-Key`` on every POST of the API: a retry gets the first answer, replayed, and runs nothing.

The POST routes are read from the app's route table, and each must have a request builder below: a new
POST route fails ``test_every_post_route_is_covered`` until it is added here.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_helpers import bearer, route_table

from chorus_connect.store import ReceivedInvoiceData
from chorus_connect.store.models import (
    DepositAttempt,
    IdempotencyRecord,
    InvoiceEvent,
    InvoiceRecord,
    ReceivedInvoiceEvent,
    StoredFile,
)

Request = tuple[str, dict[str, Any]]


def number() -> str:
    return f"I{uuid.uuid4().hex[:12].upper()}"


def created_invoice(api, world, **options) -> int:
    answer = api.post(
        f"/api/v1/structures/{world.a}/invoices",
        json=world.invoice_data(number(), **options),
        headers=bearer(world.key_a),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["invoices"][0]["id"]


def received_invoice(store, world) -> int:
    with store.transaction() as tx:
        row, _ = tx.received.upsert(
            world.p,
            ReceivedInvoiceData(
                chorus_invoice_id=987654321,
                number="R-1",
                issue_date=dt.date(2026, 11, 2),
                chorus_status="DEPOSEE",
            ),
        )
        return row.id


BUILDERS: dict[str, Callable[[Any, Any, Any], Request]] = {
    "/api/v1/structures/{structure_id}/connection-check": lambda api, world, store: (
        f"/api/v1/structures/{world.a}/connection-check",
        {},
    ),
    "/api/v1/structures/{structure_id}/invoices": lambda api, world, store: (
        f"/api/v1/structures/{world.a}/invoices",
        {"json": world.invoice_data(number())},
    ),
    "/api/v1/structures/{structure_id}/invoices/files": lambda api, world, store: (
        f"/api/v1/structures/{world.a}/invoices/files",
        {
            "files": [
                ("files", ("f.json", json.dumps(world.invoice_data(number())).encode(), "application/json"))
            ]
        },
    ),
    "/api/v1/invoices/{invoice_id}/check": lambda api, world, store: (
        f"/api/v1/invoices/{created_invoice(api, world)}/check",
        {},
    ),
    "/api/v1/invoices/{invoice_id}/deposit": lambda api, world, store: (
        f"/api/v1/invoices/{created_invoice(api, world)}/deposit",
        {},
    ),
    "/api/v1/structures/{structure_id}/deposits": lambda api, world, store: (
        f"/api/v1/structures/{world.a}/deposits",
        {"json": {"invoice_ids": [created_invoice(api, world), created_invoice(api, world)]}},
    ),
    # Refused (the invoice is not suspended / to recycle / rejected): a refusal is replayed the same way.
    "/api/v1/invoices/{invoice_id}/complete": lambda api, world, store: (
        f"/api/v1/invoices/{created_invoice(api, world)}/complete",
        {"json": {"comment": "Pièce manquante jointe."}},
    ),
    "/api/v1/invoices/{invoice_id}/recycle": lambda api, world, store: (
        f"/api/v1/invoices/{created_invoice(api, world)}/recycle",
        {"json": {"service_code": "X"}},
    ),
    "/api/v1/invoices/{invoice_id}/resend": lambda api, world, store: (
        f"/api/v1/invoices/{created_invoice(api, world)}/resend",
        {"json": {"new_number": number()}},
    ),
    "/api/v1/structures/{structure_id}/sync": lambda api, world, store: (
        f"/api/v1/structures/{world.a}/sync",
        {},
    ),
    "/api/v1/structures/{structure_id}/received-invoices/sync": lambda api, world, store: (
        f"/api/v1/structures/{world.p}/received-invoices/sync",
        {},
    ),
    "/api/v1/received-invoices/{received_id}/decision": lambda api, world, store: (
        f"/api/v1/received-invoices/{received_invoice(store, world)}/decision",
        {"json": {"decision": "suspend", "motif": "Bon de commande manquant."}},
    ),
}

COUNTED = (InvoiceRecord, InvoiceEvent, DepositAttempt, ReceivedInvoiceEvent, StoredFile)


def counts(store) -> dict[str, int]:
    with store.read() as tx:
        return {m.__name__: tx.session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def test_every_post_route_is_covered(app):
    posts = [path for method, path in route_table(app) if method == "POST" and path.startswith("/api/")]
    assert sorted(posts) == sorted(BUILDERS)


@pytest.mark.parametrize("route", sorted(BUILDERS))
def test_retry_with_the_same_key_replays_the_first_answer(api, world, store, route):
    path, options = BUILDERS[route](api, world, store)
    headers = {**bearer(world.key_a), "Idempotency-Key": str(uuid.uuid4())}
    first = api.post(path, headers=headers, **options)
    assert first.status_code < 500, first.text
    before = counts(store)
    second = api.post(path, headers=headers, **options)
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == first.headers["content-type"]
    assert counts(store) == before  # the replay ran nothing
    fresh = api.post(path, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, **options)
    assert "idempotent-replayed" not in fresh.headers


def test_the_same_key_with_another_body_is_refused(api, world):
    url = f"/api/v1/structures/{world.a}/invoices"
    headers = {**bearer(world.key_a), "Idempotency-Key": "key-1"}
    assert api.post(url, json=world.invoice_data(number()), headers=headers).status_code == 201
    other = api.post(url, json=world.invoice_data(number()), headers=headers)
    assert other.status_code == 422 and other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"] == "/api/v1/problems/idempotency-key-reused" and other.json()["fix"]


def test_json_key_order_and_multipart_boundary_do_not_matter(api, world, store):
    url = f"/api/v1/structures/{world.a}/invoices"
    data = world.invoice_data(number())
    headers = {**bearer(world.key_a), "Idempotency-Key": "key-2", "Content-Type": "application/json"}
    first = api.post(url, content=json.dumps(data), headers=headers)
    reordered = json.dumps(dict(reversed(list(data.items()))), indent=2)
    assert api.post(url, content=reordered, headers=headers).content == first.content
    files_url = f"/api/v1/structures/{world.a}/invoices/files"
    body = json.dumps(world.invoice_data(number())).encode()
    key = {**bearer(world.key_a), "Idempotency-Key": "key-3"}
    one = api.post(files_url, files=[("files", ("f.json", body, "application/json"))], headers=key)
    two = api.post(files_url, files=[("files", ("f.json", body, "application/json"))], headers=key)
    assert (
        one.status_code == 201 and two.content == one.content and two.headers["idempotent-replayed"] == "true"
    )


def test_keys_are_per_principal_and_per_route(api, world, store):
    headers = {"Idempotency-Key": "shared"}
    a = api.post(f"/api/v1/structures/{world.a}/sync", headers={**headers, **bearer(world.key_a)})
    b = api.post(f"/api/v1/structures/{world.b}/sync", headers={**headers, **bearer(world.key_b)})
    assert a.status_code == b.status_code == 200 and "idempotent-replayed" not in b.headers
    other_route = api.post(
        f"/api/v1/structures/{world.p}/received-invoices/sync", headers={**headers, **bearer(world.key_a)}
    )
    assert other_route.status_code == 200 and "idempotent-replayed" not in other_route.headers


def test_a_retry_during_the_first_request_is_told_to_wait(api, world, store):
    path = f"/api/v1/structures/{world.a}/sync"
    with store.transaction() as tx:
        key = next(k for k in tx.accounts.list_api_keys() if k.name == "ERP A")
        tx.idempotency.begin(f"api_key:{key.id}", "POST", path, "running", "whatever")
    answer = api.post(path, headers={**bearer(world.key_a), "Idempotency-Key": "running"})
    assert answer.status_code == 409 and answer.json()["type"] == "/api/v1/problems/request-in-progress"


def test_server_errors_are_not_kept(app, world, store, monkeypatch):
    api = TestClient(app, raise_server_exceptions=False)
    invoice_id = created_invoice(api, world)
    services = app.state.services
    original = services.check
    calls = []

    def failing_once(ids, actor):
        calls.append(ids)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return original(ids, actor)

    monkeypatch.setattr(services, "check", failing_once)
    headers = {**bearer(world.key_a), "Idempotency-Key": "flaky"}
    first = api.post(f"/api/v1/invoices/{invoice_id}/check", headers=headers)
    assert first.status_code == 500 and "boom" not in first.text
    assert first.headers["content-type"] == "application/problem+json"
    assert first.headers["x-content-type-options"] == "nosniff"  # a 500 gets the security headers too
    second = api.post(f"/api/v1/invoices/{invoice_id}/check", headers=headers)
    assert second.status_code == 200 and "idempotent-replayed" not in second.headers
    with store.read() as tx:
        assert tx.session.scalar(select(func.count()).select_from(IdempotencyRecord)) >= 1


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "tab\there"])
def test_malformed_keys_are_refused(api, world, key):
    answer = api.post(
        f"/api/v1/structures/{world.a}/sync", headers={**bearer(world.key_a), "Idempotency-Key": key}
    )
    assert answer.status_code == 400 and answer.json()["type"] == "/api/v1/problems/idempotency-key-invalid"
