"""Shared fixtures of the simulator tests: a module-scoped simulator and plain-httpx Chorus Pro sessions.

def test_something(supplier_session):
    body = supplier_session.ok("/cpro/transverses/v1/recuperer/pays", {"codeLangue": "FR"})
    supplier_session.refused("/cpro/structures/v1/consulter", {"idStructureCPP": 1}, 20003, "TRA_MSG_00.011")
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.simulator.dataset import PisteApplication, TechnicalAccount
from chorus_connect.simulator.state import Invoice

SUCCESS_LABEL = "TRA_MSG_00.000"


def cpro_account(account: TechnicalAccount) -> str:
    """The `cpro-account` header: base64("login:password")."""
    return base64.b64encode(f"{account.login}:{account.password}".encode()).decode("ascii")


class CproSession:
    """One technical account calling the gateway with one PISTE application's token, over real HTTP."""

    def __init__(
        self, base_url: str, token: str, account: TechnicalAccount, renew: Callable[[], str] | None = None
    ) -> None:
        self.account = account
        self._renew = renew
        self.http = httpx.Client(
            base_url=base_url,
            timeout=30,
            headers={
                "Authorization": f"Bearer {token}",
                "cpro-account": cpro_account(account),
                "Accept": "application/json;charset=utf-8",
            },
        )

    @staticmethod
    def _url(path: str) -> str:
        """`/cpro/transverses/v1/...` as is, or a short `transverses/v1/...`."""
        return path if path.startswith("/") else f"/cpro/{path}"

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        response = self._post(path, body)
        if (
            self._renew
            and response.status_code == 401
            and "invalid_token" in response.headers.get("WWW-Authenticate", "")
        ):
            # Tokens live one simulated hour: tests that advance the clock by days get a new one.
            self.http.headers["Authorization"] = f"Bearer {self._renew()}"
            response = self._post(path, body)
        return response

    def _post(self, path: str, body: dict[str, Any] | None) -> httpx.Response:
        return self.http.post(
            self._url(path),
            json={} if body is None else body,
            headers={"Content-Type": "application/json;charset=utf-8"},
        )

    def get(self, path: str) -> httpx.Response:
        return self.http.get(self._url(path))

    def ok(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST and check the success envelope: HTTP 200, codeRetour 0, libelle TRA_MSG_00.000."""
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert payload["codeRetour"] == 0 and payload["libelle"] == SUCCESS_LABEL, payload
        return payload

    def refused(
        self, path: str, body: dict[str, Any] | None, code: int, message_code: str, http_status: int = 400
    ) -> str:
        """POST and check a business error's exact envelope; returns the French text after the code."""
        response = self.post(path, body)
        assert response.status_code == http_status, response.text
        payload = response.json()
        assert set(payload) == {"codeRetour", "libelle"}, payload
        assert payload["codeRetour"] == code, payload
        assert payload["libelle"].startswith(f"{message_code} "), payload
        return payload["libelle"].removeprefix(f"{message_code} ")

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as server:
        yield server


@pytest.fixture(scope="module")
def token_for(sim: SimulatorServer) -> Callable[[PisteApplication], str]:
    """A bearer token of a PISTE application (one per application and module)."""
    tokens: dict[str, str] = {}

    def get(application: PisteApplication, fresh: bool = False) -> str:
        if fresh or application.client_id not in tokens:
            response = httpx.post(
                sim.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": application.client_id,
                    "client_secret": application.client_secret,
                    "scope": "openid",
                },
            )
            assert response.status_code == 200, response.text
            tokens[application.client_id] = response.json()["access_token"]
        return tokens[application.client_id]

    return get


@pytest.fixture(scope="module")
def session_for(
    sim: SimulatorServer, token_for: Callable[[PisteApplication], str]
) -> Iterator[Callable[..., CproSession]]:
    """A session of any technical account, through the main application unless another is given."""
    sessions: list[CproSession] = []

    def open_session(account: TechnicalAccount, application: PisteApplication | None = None) -> CproSession:
        app = application or sim.dataset.main_application()
        session = CproSession(sim.base_url, token_for(app), account, renew=lambda: token_for(app, fresh=True))
        sessions.append(session)
        return session

    yield open_session
    for session in sessions:
        session.close()


@pytest.fixture(scope="module")
def make_invoice(sim: SimulatorServer) -> Callable[..., Invoice]:
    """Put an invoice straight into the platform's state (to test reads without a deposit round trip):
    between the main supplier and the first plain public structure unless told otherwise; `document`
    becomes its stored file."""

    def make(document: bytes | None = b"%PDF-1.7 test", **fields: Any) -> Invoice:
        dataset, state = sim.dataset, sim.platform.state
        supplier = dataset.structure(
            fields.pop("supplier_structure_id", dataset.main_supplier().structure_id)
        )
        recipient = dataset.structure(
            fields.pop("recipient_structure_id", dataset.recipient_with().structure_id)
        )
        assert supplier is not None and recipient is not None
        now = sim.platform.now()
        with state.lock:
            invoice_id = state.next_invoice_id()
            values: dict[str, Any] = {
                "invoice_id": invoice_id,
                "number": f"TEST-{invoice_id}",
                "flux_number": None,
                "deposit_mode": "SAISIE_API",
                "invoice_type": "FACTURE",
                "invoice_date": now.date(),
                "deposited_at": now,
                "supplier_structure_id": supplier.structure_id,
                "supplier_identifier": supplier.siret,
                "recipient_structure_id": recipient.structure_id,
                "recipient_identifier": recipient.siret,
                "status": "MISE_A_DISPOSITION",
                "status_at": now,
                "amount_without_tax": "100.00",
                "vat_amount": "20.00",
                "amount_with_tax": "120.00",
                "amount_due": "120.00",
                **fields,
            }
            if document is not None:
                values.setdefault("file_key", f"test-invoice:{invoice_id}")
                values.setdefault("file_name", f"facture-{invoice_id}.pdf")
                state.put_blob(values["file_key"], document)
            invoice = Invoice(**values)
            state.invoices[invoice_id] = invoice
            state.save(invoice)
        return invoice

    return make


@pytest.fixture(scope="module")
def supplier_session(sim: SimulatorServer, session_for: Callable[..., CproSession]) -> CproSession:
    """The main supplier's FOURNISSEUR technical account."""
    return session_for(sim.dataset.supplier_account(sim.dataset.main_supplier().structure_id))


@pytest.fixture(scope="module")
def recipient_session(sim: SimulatorServer, session_for: Callable[..., CproSession]) -> CproSession:
    """The DESTINATAIRE technical account of the first plain public structure (no mandatory data)."""
    return session_for(sim.dataset.recipient_account(sim.dataset.recipient_with().structure_id))
