"""Helpers of the web tests: the world of structures and users, signing in, API key headers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from chorus_connect.simulator import SimulatorServer
from chorus_connect.store import NewPisteApplication, NewStructure, Store
from chorus_connect.web.settings import PasswordHashing

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORD = "correct horse battery staple"
FAST_HASHING = PasswordHashing(time_cost=1, memory_cost_kib=8192, parallelism=1)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    simulator: SimulatorServer
    a: int  # supplier A (the simulator's main supplier)
    b: int  # supplier B
    p: int  # public buyer P
    admin: str
    accountant_a: str
    reader_a: str
    accountant_b: str
    key_a: str
    key_a_read_only: str
    key_b: str
    buyer_siret: str
    engagement_buyer_siret: str
    supplier_siret: str

    def invoice_data(
        self, number: str, *, buyer_siret: str | None = None, sample: str = "services.json"
    ) -> dict:
        """A valid invoice of supplier A to the simulator's plain buyer (no service, no engagement)."""
        data = json.loads((EXAMPLES / sample).read_text(encoding="utf-8"))
        data["number"] = number
        data["seller"]["siret"] = self.supplier_siret
        data["buyer"]["siret"] = buyer_siret or self.buyer_siret
        data.pop("service_code", None)
        data.pop("engagement_number", None)
        return data


def add_structure(store: Store, simulator: SimulatorServer, name: str, chorus_id: int, role: str) -> int:
    dataset = simulator.dataset
    structure = dataset.structure(chorus_id)
    assert structure is not None
    accounts = dataset.supplier_account if role == "supplier" else dataset.recipient_account
    account = accounts(chorus_id)
    application = dataset.main_application()
    with store.transaction(actor="test") as tx:
        existing = [a for a in tx.piste_applications.list() if a.client_id == application.client_id]
        new = NewStructure(
            name=name,
            role=role,
            environment="local",
            siret=structure.siret,
            technical_login=account.login,
            technical_password=account.password,
            piste_application_id=existing[0].id if existing else None,
            piste=None
            if existing
            else NewPisteApplication(
                name="simulator",
                client_id=application.client_id,
                client_secret=application.client_secret,
                environment="local",
                api_url=simulator.base_url,
            ),
        )
        return tx.structures.add(new).id


class Browser:
    """A signed-in TestClient and its session's CSRF token."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


def sign_in(app: Any, email: str, password: str = PASSWORD) -> Browser:
    client = TestClient(app)
    page = client.get("/connexion")
    answer = client.post(
        "/connexion",
        data={"email": email, "password": password, "csrf_token": CSRF.search(page.text).group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    home = client.get("/")
    return Browser(client, CSRF.search(home.text).group(1))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def route_table(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, included routers flattened (FastAPI includes them lazily)."""
    from fastapi.routing import iter_route_contexts

    table = []
    for context in iter_route_contexts(app.routes):
        for method in sorted(context.methods or ()):
            if method != "HEAD":
                table.append((method, context.path))
    return table


class LiveServer:
    """The web app served by uvicorn on a free loopback port, in a background thread (for the browser)."""

    def __init__(self, app: Any) -> None:
        import socket
        import threading

        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._server.config.install_signal_handlers = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="chorus-web", daemon=True
        )

    def __enter__(self) -> LiveServer:
        import time

        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
