"""The simulator as a stranger would use it: only `httpx`, the public API contract and a Factur-X file.

No project code is imported: the simulator runs as a separate process (`chorus simulator serve`), the
credentials come from its admin route, and the Factur-X file is built here with the `factur-x` library.
"""

import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from facturx import generate_from_binary

DATA = Path(__file__).parent / "data"

CII_TEMPLATE = (DATA / "acceptance-invoice.cii.xml.tmpl").read_text(encoding="utf-8")


def facturx(number: str, supplier: str, recipient: str, service: str | None = None) -> bytes:
    xml = CII_TEMPLATE.format(
        number=number,
        supplier=supplier,
        supplier_siren=supplier[:9],
        recipient=recipient,
        recipient_siren=recipient[:9],
        service=f"<ram:BuyerReference>{service}</ram:BuyerReference>" if service else "",
    )
    pdf = (DATA / "readable-invoice.pdf").read_bytes()
    return generate_from_binary(pdf, xml.encode(), flavor="factur-x", level="en16931", check_xsd=True)


@pytest.fixture(scope="module")
def served():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "chorus_connect",
        "simulator",
        "serve",
        "--port",
        str(port),
        "--frozen-clock",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy()
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/_simulator/clock", timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"simulator did not start: {process.stderr.read().decode()}")
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


class Chorus:
    """Just enough of a client, written from the reference: token, headers, POST JSON."""

    def __init__(self, base: str, application: dict, account: dict) -> None:
        self.base, self.application = base, application
        login_password = f"{account['login']}:{account['password']}".encode()
        self.account_header = base64.b64encode(login_password).decode()
        self.token = self.new_token()

    def new_token(self) -> str:
        response = httpx.post(
            f"{self.base}/api/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.application["client_id"],
                "client_secret": self.application["client_secret"],
                "scope": "openid",
            },
        )
        assert response.status_code == 200
        assert response.json()["token_type"] == "Bearer"
        assert response.json()["expires_in"] == 3600
        return response.json()["access_token"]

    def post(self, path: str, body: dict) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "cpro-account": self.account_header,
            "Content-Type": "application/json;charset=utf-8",
        }
        response = httpx.post(f"{self.base}/cpro{path}", json=body, headers=headers)
        if response.status_code == 401 and "invalid_token" in response.headers.get("WWW-Authenticate", ""):
            self.token = self.new_token()  # the reference: tokens live 3600 s
            return self.post(path, body)
        return response


@pytest.fixture(scope="module")
def world(served):
    dataset = httpx.get(f"{served}/_simulator/dataset").json()
    application = next(a for a in dataset["applications"] if "structures" in a["subscribed_apis"])
    supplier = next(s for s in dataset["structures"] if s["kind"] == "PRIVEE" and s["active"])
    recipient = next(
        s
        for s in dataset["structures"]
        if s["kind"] == "PUBLIQUE"
        and s["active"]
        and not (s["engagement_required"] or s["service_required"] or s["engagement_or_service"])
    )
    account = next(a for a in dataset["technical_accounts"] if supplier["structure_id"] in a["structure_ids"])
    return Chorus(served, application, account), supplier, recipient


def deposit(chorus: Chorus, content: bytes, name: str) -> str:
    response = chorus.post(
        "/factures/v1/deposer/flux",
        {
            "fichierFlux": base64.b64encode(content).decode(),
            "nomFichier": name,
            "syntaxeFlux": "IN_DP_E2_CII_FACTURX",
            "avecSignature": False,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["codeRetour"] == 0
    number = body["numeroFluxDepot"]
    assert len(number) == 25 and number.startswith("CPP0011117")
    return number


def advance(base: str, **delta: float) -> None:
    assert httpx.post(f"{base}/_simulator/clock/advance", json=delta).status_code == 200


def report(chorus: Chorus, flux: str) -> dict:
    response = chorus.post("/transverses/v1/consulterCRDetaille", {"numeroFluxDepot": flux})
    assert response.status_code == 200
    return response.json()


def test_facturx_deposit_is_integrated_then_paid(served, world):
    chorus, supplier, recipient = world
    flux = deposit(chorus, facturx("F-ACCEPT-1", supplier["siret"], recipient["siret"]), "F-ACCEPT-1.pdf")
    assert report(chorus, flux)["etatCourantDepotFlux"] == "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"

    advance(served, seconds=10)
    detailed = report(chorus, flux)
    assert detailed["etatCourantDepotFlux"] == "IN_INTEGRE"
    assert detailed["codeInterfaceDepotFlux"] == "FSO1117A"
    assert detailed["listeErreurDP"] == [] and detailed["listeErreurTechnique"] == []

    found = chorus.post("/factures/v1/rechercher/fournisseur", {"numeroFluxDepot": flux}).json()
    assert found["parametresRetour"]["total"] == 1
    invoice = found["listeFactures"][0]
    assert invoice["numeroFacture"] == "F-ACCEPT-1"
    httpx.post(f"{served}/_simulator/scenarios", json={"invoice_number": "F-ACCEPT-1", "scenario": "PAYE"})

    advance(served, days=15)
    history = chorus.post(
        "/factures/v1/consulter/historique", {"idFacture": invoice["identifiantFactureCPP"]}
    )
    body = history.json()
    assert body["statutCourantCode"] == "MISE_EN_PAIEMENT"
    codes = [entry["histoStatutCode"] for entry in body["historiquesDesStatuts"]["histoStatut"]]
    assert codes[0] == "MISE_EN_PAIEMENT" and codes[-1] == "DEPOSEE"
    assert "MISE_A_DISPOSITION" in codes


def test_unknown_recipient_is_rejected_with_a_french_message_naming_the_field(served, world):
    chorus, supplier, _recipient = world
    flux = deposit(chorus, facturx("F-ACCEPT-2", supplier["siret"], "00000000099999"), "F-ACCEPT-2.pdf")
    advance(served, seconds=10)
    detailed = report(chorus, flux)
    assert detailed["etatCourantDepotFlux"] == "IN_REJETE"
    (error,) = detailed["listeErreurDP"]
    assert error["numeroDP"] == "F-ACCEPT-2"
    assert error["identifiantDestinataire"] == "00000000099999"
    assert "destinataire" in error["libelleErreurDP"]
    assert (
        "FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeAgreement.BuyerTradeParty"
        in (error["libelleErreurDP"])
    )
