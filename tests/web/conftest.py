"""Fixtures of the web tests: a real store (SQLite file), the real simulator on loopback, and a "world" of
two supplier structures (A, B) and one public buyer (P), with users and API keys of each side.

A is the simulator's main supplier, B another supplier, P a public buyer; accountant A and key A may see
A and P, accountant B and key B only B. Passwords are hashed with cheap argon2 parameters (the real
ones cost 64 MiB and ~50 ms per hash).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import FAST_HASHING, PASSWORD, Browser, World, add_structure, sign_in

from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.store import Store, generate_key
from chorus_connect.web import WebSettings, create_app
from chorus_connect.web.security import Passwords


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'web.sqlite3'}", secret_key=generate_key(), environ={})
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def web_settings() -> WebSettings:
    return WebSettings(password_hashing=FAST_HASHING)


@pytest.fixture
def app(store: Store, web_settings: WebSettings) -> Any:
    application = create_app(store, web_settings)
    yield application
    application.state.services.close()


@pytest.fixture
def world(store: Store, simulator: SimulatorServer, web_settings: WebSettings) -> World:
    dataset = simulator.dataset
    main, other = dataset.suppliers()[0], dataset.suppliers()[1]
    buyer = dataset.recipient_with()
    a = add_structure(store, simulator, "Fournisseur A", main.structure_id, "supplier")
    b = add_structure(store, simulator, "Fournisseur B", other.structure_id, "supplier")
    p = add_structure(store, simulator, "Acheteur P", buyer.structure_id, "public_buyer")
    password_hash = Passwords(web_settings.password_hashing).hash(PASSWORD)
    with store.transaction(actor="test") as tx:
        tx.accounts.add_user("admin@example.fr", "administrator", password_hash=password_hash)
        for email, role, ids in (
            ("compta.a@example.fr", "accountant", [a, p]),
            ("lecture.a@example.fr", "read_only", [a, p]),
            ("compta.b@example.fr", "accountant", [b]),
        ):
            user = tx.accounts.add_user(email, role, password_hash=password_hash)
            tx.accounts.grant(user.id, ids)
        key_a = tx.accounts.create_api_key("ERP A", [a, p])[1].get_secret_value()
        key_ro = tx.accounts.create_api_key("ERP A lecture", [a, p], access="read_only")[1].get_secret_value()
        key_b = tx.accounts.create_api_key("ERP B", [b])[1].get_secret_value()
    return World(
        simulator=simulator,
        a=a,
        b=b,
        p=p,
        admin="admin@example.fr",
        accountant_a="compta.a@example.fr",
        reader_a="lecture.a@example.fr",
        accountant_b="compta.b@example.fr",
        key_a=key_a,
        key_a_read_only=key_ro,
        key_b=key_b,
        buyer_siret=buyer.siret,
        engagement_buyer_siret=dataset.recipient_with(engagement_required=True).siret,
        supplier_siret=main.siret,
    )


@pytest.fixture
def as_user(app: Any) -> Any:
    opened: list[Browser] = []

    def open_as(email: str) -> Browser:
        browser = sign_in(app, email)
        opened.append(browser)
        return browser

    yield open_as
    for browser in opened:
        browser.client.close()


@pytest.fixture
def api(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
