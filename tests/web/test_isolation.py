"""Isolation between structures, for every route of the app (pages and API), read from the route table.

A user or API key of structure A asks for structure B's objects (B's structure, B's invoice, the invoice
received by B's public buyer Q): every route answers 404 (as for an object that does not exist), and
routes about users or keys answer 403 to non-administrators. Listings never show B's objects.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from web_helpers import add_structure, bearer, route_table

from chorus_connect.store import ReceivedInvoiceData
from chorus_connect.web.access import ADMIN_PARAMETERS, SCOPED_PARAMETERS

PARAMETER = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")
# Routes with no tenant object in their path: public ones, and listings filtered by the caller's scope
# (each is checked below for leaks).
UNSCOPED = {
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/problems"),
    ("GET", "/api/v1/problems/{slug}"),
    ("GET", "/api/v1/structures"),
    ("GET", "/api/v1/invoices"),
    ("GET", "/connexion"),
    ("POST", "/connexion"),
    ("POST", "/deconnexion"),
    ("GET", "/"),
    ("GET", "/factures"),
    ("GET", "/factures/statuts"),
    ("GET", "/factures/import"),
    ("GET", "/recues"),
    ("GET", "/structures"),
    ("GET", "/structures/nouvelle"),
    ("POST", "/structures/nouvelle"),
    ("GET", "/utilisateurs"),
    ("POST", "/utilisateurs"),
    ("GET", "/cles-api"),
    ("POST", "/cles-api"),
    ("GET", "/compte"),
    ("POST", "/compte/mot-de-passe"),
}


@pytest.fixture
def other_side(world, store):
    """B's invoice, and an invoice received by public buyer Q (seen by B's people only)."""
    q_chorus = world.simulator.dataset.recipients()[1].structure_id
    q = add_structure(store, world.simulator, "Acheteur Q", q_chorus, "public_buyer")
    with store.transaction() as tx:
        invoice = tx.invoices.add(world.b, world.invoice_data("B-0001") | {"seller": {"name": "B"}}).id
        received, _ = tx.received.upsert(
            q, ReceivedInvoiceData(chorus_invoice_id=4242, number="Q-1", issue_date=dt.date(2026, 11, 3))
        )
        user = tx.accounts.get_user(world.accountant_b)
        tx.accounts.grant(user.id, [q])
        key = next(k for k in tx.accounts.list_api_keys() if k.name == "ERP B")
        return {
            "structure_id": world.b,
            "invoice_id": invoice,
            "received_id": received.id,
            "user_id": user.id,
            "key_id": key.id,
        }


def routes_with_parameters(app) -> list[tuple[str, str]]:
    return [(m, p) for m, p in route_table(app) if PARAMETER.search(p) and (m, p) not in UNSCOPED]


def test_every_route_is_scoped_or_listed_as_unscoped(app):
    for method, path in route_table(app):
        names = set(PARAMETER.findall(path))
        if (method, path) in UNSCOPED:
            continue
        assert names, f"{method} {path} has no object in its path: add it to UNSCOPED and test its listing"
        unknown = names - set(SCOPED_PARAMETERS) - ADMIN_PARAMETERS
        assert not unknown, f"{method} {path}: parameter(s) {unknown} are not checked by enforce_scope"


def fill(path: str, ids: dict[str, int]) -> str:
    return PARAMETER.sub(lambda match: str(ids[match.group(1)]), path)


def test_the_route_table_is_not_empty(app):
    scoped = routes_with_parameters(app)
    assert len(scoped) >= 30 and any(p.startswith("/api/") for _, p in scoped)


def test_every_route_refuses_another_structures_objects(app, world, other_side, as_user, api):
    browser = as_user(world.accountant_a)
    checked = 0
    for method, path in routes_with_parameters(app):
        url = fill(path, other_side)
        if path.startswith("/api/"):
            answer = api.request(method, url, headers=bearer(world.key_a), json={})
        else:
            answer = browser.client.request(
                method,
                url,
                data={"csrf_token": browser.csrf} if method != "GET" else None,
                follow_redirects=False,
            )
        admin_only = set(PARAMETER.findall(path)) & ADMIN_PARAMETERS
        expected = 403 if admin_only else 404
        assert answer.status_code == expected, f"{method} {url}: {answer.status_code} {answer.text[:300]}"
        if path.startswith("/api/"):
            assert answer.headers["content-type"] == "application/problem+json"
        checked += 1
    assert checked == len(routes_with_parameters(app))


@pytest.mark.parametrize("who", ["key", "user"])
def test_own_objects_are_reachable(app, world, store, as_user, api, who):
    """The same GET routes with A's own objects do not answer 404: the refusals above are about scope."""
    with store.transaction() as tx:
        invoice = tx.invoices.add(world.a, world.invoice_data("A-0001")).id
        received, _ = tx.received.upsert(
            world.p, ReceivedInvoiceData(chorus_invoice_id=777, number="P-1", issue_date=dt.date(2026, 11, 3))
        )
    own = {"structure_id": world.a, "invoice_id": invoice, "received_id": received.id}
    browser = as_user(world.accountant_a)
    for method, path in routes_with_parameters(app):
        if method != "GET" or "file" in path or "pdf" in path or (who == "key") != path.startswith("/api/"):
            continue
        if set(PARAMETER.findall(path)) & ADMIN_PARAMETERS:
            continue
        ids = dict(own)
        if "received" in path or "recues" in path:
            ids["structure_id"] = world.p
        url = fill(path, ids)
        answer = api.get(url, headers=bearer(world.key_a)) if who == "key" else browser.get(url)
        assert answer.status_code == 200, f"GET {url}: {answer.status_code} {answer.text[:300]}"


def test_listings_show_only_the_callers_structures(app, world, other_side, as_user, api, store):
    with store.transaction() as tx:
        mine = tx.invoices.add(world.a, world.invoice_data("A-0002")).id
    headers = bearer(world.key_a)
    assert {s["id"] for s in api.get("/api/v1/structures", headers=headers).json()} == {world.a, world.p}
    listed = api.get("/api/v1/invoices", headers=headers).json()
    assert [i["id"] for i in listed["items"]] == [mine]
    browser = as_user(world.accountant_a)
    for page in ("/", "/factures", "/structures", "/recues", "/factures/import"):
        text = browser.get(page).text
        assert "Fournisseur B" not in text and "B-0001" not in text and "Acheteur Q" not in text, page
    statuses = browser.get(f"/factures/statuts?ids={mine},{other_side['invoice_id']}").json()
    assert list(statuses) == [str(mine)]


@pytest.mark.parametrize(
    "path",
    ["/utilisateurs", "/cles-api", "/structures/nouvelle"],
)
def test_administration_pages_need_an_administrator(world, as_user, path):
    assert as_user(world.accountant_a).get(path).status_code == 403
    assert as_user(world.admin).get(path).status_code == 200
