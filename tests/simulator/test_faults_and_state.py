"""Fault injection modes, and state kept across restarts in a SQLite file."""

import base64
import time

import httpx
import pytest

from chorus_connect.simulator import FaultConfig, SimulatorConfig, SimulatorServer
from chorus_connect.simulator.samples import sample_facturx

ACTIVE_STRUCTURES = "/cpro/transverses/v1/recuperer/structures/actives/fournisseur"
DEPOSIT = "/cpro/factures/v1/deposer/flux"


class Session:
    def __init__(self, sim: SimulatorServer) -> None:
        dataset = sim.dataset
        self.sim = sim
        self.supplier = dataset.main_supplier()
        application = dataset.main_application()
        account = dataset.supplier_account(self.supplier.structure_id)
        bearer = httpx.post(
            sim.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": application.client_id,
                "client_secret": application.client_secret,
            },
        ).json()["access_token"]
        header = base64.b64encode(f"{account.login}:{account.password}".encode()).decode()
        self.http = httpx.Client(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {bearer}", "cpro-account": header}
        )

    def post(self, path: str, body: dict) -> httpx.Response:
        return self.http.post(path, json=body)

    def deposit(self, number: str, recipient_siret: str) -> httpx.Response:
        content = sample_facturx(
            supplier_siret=self.supplier.siret, recipient_siret=recipient_siret, number=number
        )
        return self.post(
            DEPOSIT,
            {
                "fichierFlux": base64.b64encode(content).decode(),
                "nomFichier": f"{number}.pdf",
                "syntaxeFlux": "IN_DP_E2_CII_FACTURX",
            },
        )


@pytest.fixture
def sim():
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as server:
        yield server


def test_latency_is_added_to_every_call(sim):
    session = Session(sim)
    sim.admin.set_faults(latency_ms=250)
    started = time.perf_counter()
    assert session.post(ACTIVE_STRUCTURES, {}).status_code == 200
    assert time.perf_counter() - started >= 0.25


def test_rate_limit_answers_429_with_retry_after(sim):
    session = Session(sim)
    sim.admin.set_faults(rate_limit_per_second=5, retry_after_seconds=2)
    statuses = [session.post(ACTIVE_STRUCTURES, {}) for _ in range(15)]
    accepted = [r for r in statuses if r.status_code == 200]
    limited = [r for r in statuses if r.status_code == 429]
    assert 1 <= len(accepted) <= 5 * 2  # at most one window's worth, whatever the machine's speed
    assert limited and all(r.headers["Retry-After"] == "2" for r in limited)


def test_error_burst_fails_the_next_calls_then_recovers(sim):
    session = Session(sim)
    sim.admin.set_faults(error_burst_status=503, error_burst_count=3)
    statuses = [session.post(ACTIVE_STRUCTURES, {}).status_code for _ in range(4)]
    assert statuses == [503, 503, 503, 200]


def test_error_after_processing_still_deposits(sim):
    session = Session(sim)
    recipient = sim.dataset.recipient_with()
    sim.admin.set_faults(error_burst_status=502, error_burst_count=1, error_burst_after_processing=True)
    assert session.deposit("F-502", recipient.siret).status_code == 502
    assert sim.admin.stats()["deposits_by_supplier"][session.supplier.siret] == 1


def test_dropped_connection_after_processing(sim):
    session = Session(sim)
    recipient = sim.dataset.recipient_with()
    sim.admin.set_faults(
        drop_after_processing_operations=["deposerFluxFacture"], drop_after_processing_count=1
    )
    with pytest.raises(httpx.RemoteProtocolError):
        session.deposit("F-DROP", recipient.siret)
    assert sim.admin.stats()["deposits_by_supplier"][session.supplier.siret] == 1
    assert session.deposit("F-AFTER", recipient.siret).status_code == 200  # only one call was dropped
    sim.admin.advance_clock(10)
    numbers = sim.admin.stats()["invoice_numbers_by_supplier"][session.supplier.siret]
    assert numbers == ["F-AFTER", "F-DROP"]


def test_faults_can_be_chosen_at_start_and_cleared(tmp_path):
    config = SimulatorConfig(
        frozen_clock=True, faults=FaultConfig(error_burst_status=500, error_burst_count=1)
    )
    with SimulatorServer(config) as server:
        session = Session(server)
        assert session.post(ACTIVE_STRUCTURES, {}).status_code == 500
        server.admin.set_faults(error_burst_count=5)
        assert server.admin.clear_faults()["error_burst_count"] == 0
        assert session.post(ACTIVE_STRUCTURES, {}).status_code == 200


def test_invalid_fault_settings_are_refused_with_a_reason(sim):
    response = httpx.post(f"{sim.base_url}/_simulator/faults", json={"latency_ms": -5})
    assert response.status_code == 400 and "latency_ms" in response.json()["error"]


def test_restart_with_the_same_state_file_keeps_everything(tmp_path):
    state = tmp_path / "chorus.sqlite3"
    config = SimulatorConfig(frozen_clock=True, state_path=state)
    with SimulatorServer(config) as first:
        session = Session(first)
        recipient = first.dataset.recipient_with()
        first.admin.set_scenario("F-KEEP", "PAYE")
        flux = session.deposit("F-KEEP", recipient.siret).json()["numeroFluxDepot"]
        first.admin.advance_clock(10)
        invoice_id = session.post(
            "/cpro/factures/v1/rechercher/fournisseur", {"numeroFluxDepot": flux}
        ).json()["listeFactures"][0]["identifiantFactureCPP"]
        attachment = session.post(
            "/cpro/transverses/v1/ajouter/fichier",
            {
                "pieceJointeFichier": base64.b64encode(b"bon de livraison").decode(),
                "pieceJointeNom": "bl.pdf",
                "pieceJointeTypeMime": "application/pdf",
                "pieceJointeExtension": "PDF",
            },
        )
        before = first.admin.stats()
        first_now = first.admin.now()

    with SimulatorServer(config) as second:
        session = Session(second)  # the data set, credentials included, comes back from the file
        after = second.admin.stats()
        assert after["deposits_by_supplier"] == before["deposits_by_supplier"]
        assert after["invoices_by_status"] == before["invoices_by_status"]
        assert attachment.status_code == 200
        assert after["attachments"] == before["attachments"] == 1
        assert second.admin.now() >= first_now
        report = session.post("/cpro/transverses/v1/consulterCRDetaille", {"numeroFluxDepot": flux}).json()
        assert report["etatCourantDepotFlux"] == "IN_INTEGRE"
        # Events planned before the restart still happen after it.
        second.admin.advance_clock(days=20)
        session = Session(second)  # tokens live one simulated hour
        history = session.post("/cpro/factures/v1/consulter/historique", {"idFacture": invoice_id}).json()
        assert history["statutCourantCode"] == "MISE_EN_PAIEMENT"


def test_latency_after_processing_lets_the_call_take_effect(sim):
    session = Session(sim)
    recipient = sim.dataset.recipient_with()
    sim.admin.set_faults(latency_ms=2000, latency_after_processing=True)
    with pytest.raises(httpx.ReadTimeout):
        session.http.post(
            DEPOSIT,
            json={
                "fichierFlux": base64.b64encode(
                    sample_facturx(supplier_siret=session.supplier.siret, recipient_siret=recipient.siret)
                ).decode(),
                "nomFichier": "late.pdf",
                "syntaxeFlux": "IN_DP_E2_CII_FACTURX",
            },
            timeout=0.5,
        )
    assert sim.admin.stats()["deposits_by_supplier"][session.supplier.siret] == 1


def test_a_429_burst_says_when_to_retry(sim):
    session = Session(sim)
    sim.admin.set_faults(error_burst_status=429, error_burst_count=1)
    response = session.post(ACTIVE_STRUCTURES, {})
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"


def test_stats_report_the_peak_rate_per_application(sim):
    session = Session(sim)
    for _ in range(3):
        session.post(ACTIVE_STRUCTURES, {})
    peaks = sim.admin.stats()["peak_requests_per_second_by_application"]
    assert peaks[sim.dataset.main_application().client_id] >= 1
