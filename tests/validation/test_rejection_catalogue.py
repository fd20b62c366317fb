"""Issue 7, connector half: every row of `shared/reference/rejection-causes.md` is caught before deposit.

One test per catalogue row (`test_rejection_cause[NN]`). Each builds the faulty invoice or file the row
describes — from the project's model (JSON input, written with `write_checked`) or, where the model cannot
produce the fault, a file crafted with the simulator's sample builders — and shows both halves:

- `chorus check --json` (typer's CliRunner, the directory read live with `--local URL`) reports the rule
  id docs/rejections.md gives for the row; for model-built rows both on the JSON input and on the file
  written from it;
- forced through (`write_checked(force=True)`, as `chorus convert --force` does) and deposited over real
  HTTP on `SimulatorServer` (frozen clock, advanced by hand), the simulator answers the way the catalogue
  says: `IN_REJETE` with the invoice's `listeErreurDP` entry or a `listeErreurTechnique` entry, an HTTP
  refusal at deposit, or a later REJETEE / A_RECYCLER from the buyer.

Rows the simulator does not enforce are skipped with the reason (also in docs/rejections.md). The last
tests are the property test (random valid invoices are never flagged and always integrated, deposited as
batches) and the consistency of docs/rejections.md with these tests and docs/checks.md.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simulator_cases import base_invoice, directory_of, party
from typer.testing import CliRunner

from chorus_connect.cli.main import app
from chorus_connect.invoice import Invoice, OutputFormat, Profile
from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.simulator.dataset import EngagementState, Structure
from chorus_connect.simulator.samples import (
    sample_batch,
    sample_cii,
    sample_facturx,
    sample_pdf_with_plain_attachment,
    sample_pdf_without_xml,
    sample_ubl,
)
from chorus_connect.validation import CheckOptions, Severity, write_checked

ROOT = Path(__file__).resolve().parents[2]
REJECTIONS_DOC = ROOT / "docs" / "rejections.md"
CHECKS_DOC = ROOT / "docs" / "checks.md"
CATALOGUE_ROWS = range(1, 45)
FACTURX, CII, UBL = OutputFormat.FACTURX, OutputFormat.CII, OutputFormat.UBL
DEPOSIT = "/cpro/factures/v1/deposer/flux"
REPORT = "/cpro/transverses/v1/consulterCRDetaille"
SEARCH = "/cpro/factures/v1/rechercher/fournisseur"
BUYER_DAYS = 3  # the buyer reacts within 4 h – 2 days of MISE_A_DISPOSITION
runner = CliRunner()
_numbers = itertools.count(1)


# --------------------------------------------------------------------------------------------- platform


@dataclass(frozen=True)
class Deposited:
    """A file as deposited: bytes, nomFichier, syntaxeFlux."""

    data: bytes
    name: str
    syntax: str


class Desk:
    """Plain httpx calls to the simulator as one technical account through one PISTE application, with a
    new token when a clock jump has expired the previous one."""

    def __init__(self, sim: SimulatorServer, client_id: str, secret: str, login: str, password: str) -> None:
        self.sim = sim
        self.form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "openid",
        }
        account = base64.b64encode(f"{login}:{password}".encode()).decode()
        self.http = httpx.Client(base_url=sim.base_url, timeout=60, headers={"cpro-account": account})

    def token(self) -> httpx.Response:
        return httpx.post(self.sim.token_url, data=self.form)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        if "Authorization" not in self.http.headers:
            self._renew()
        response = self.http.post(path, json=body)
        if response.status_code == 401 and "invalid_token" in response.headers.get("WWW-Authenticate", ""):
            self._renew()
            response = self.http.post(path, json=body)
        return response

    def _renew(self) -> None:
        answer = self.token()
        assert answer.status_code == 200, answer.text
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def deposit(self, file: Deposited) -> httpx.Response:
        body = {
            "fichierFlux": base64.b64encode(file.data).decode(),
            "nomFichier": file.name,
            "syntaxeFlux": file.syntax,
        }
        return self.post(DEPOSIT, body)

    def ok(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 200 and response.json()["codeRetour"] == 0, response.text
        return response.json()

    def close(self) -> None:
        self.http.close()


@dataclass(frozen=True)
class Verdict:
    state: str
    dp_errors: list[str]  # libelleErreurDP of each refused invoice
    technical: list[dict[str, str]]  # listeErreurTechnique
    flux: str


@dataclass(frozen=True)
class Checked:
    """What `chorus check --json` said about one file."""

    exit_code: int
    findings: list[dict[str, Any]]
    payload: dict[str, Any]

    @property
    def rule_ids(self) -> set[str]:
        return {f["rule_id"] for f in self.findings}

    @property
    def errors(self) -> set[str]:
        return {f["rule_id"] for f in self.findings if f["severity"] == "error"}

    def severity_of(self, rule_id: str) -> set[str]:
        return {f["severity"] for f in self.findings if f["rule_id"] == rule_id}

    def explain(self) -> str:
        return json.dumps(self.findings, ensure_ascii=False, indent=1)


class Catalogue:
    """One row at a time: invoices of the main supplier from the simulator's data set, `chorus check` on
    them, and their deposit on the simulator."""

    def __init__(self, sim: SimulatorServer, folder: Path) -> None:
        self.sim = sim
        self.dataset = sim.dataset
        self.folder = folder
        self.supplier = self.dataset.main_supplier()
        self.buyer = self.dataset.recipient_with()
        application = self.dataset.main_application()
        self.account = self.dataset.supplier_account(self.supplier.structure_id)
        self.credentials = {
            "CHORUS_CLIENT_ID": application.client_id,
            "CHORUS_CLIENT_SECRET": application.client_secret,
            "CHORUS_TECH_LOGIN": self.account.login,
            "CHORUS_TECH_PASSWORD": self.account.password,
        }
        self.desk = self.desk_for()

    def desk_for(self, **overrides: str) -> Desk:
        values = {
            "client_id": self.credentials["CHORUS_CLIENT_ID"],
            "secret": self.credentials["CHORUS_CLIENT_SECRET"],
            "login": self.account.login,
            "password": self.account.password,
            **overrides,
        }
        return Desk(self.sim, **values)

    # ------------------------------------------------------------------------------------ invoices

    def data(self, **changes: Any) -> dict[str, Any]:
        """A valid invoice (JSON input) of the main supplier to a buyer without requirements."""
        data = base_invoice(self.dataset)
        data["number"] = f"RC-{next(_numbers):05d}"
        data.update(changes)
        return data

    def to(self, buyer: Structure, **changes: Any) -> dict[str, Any]:
        return self.data(buyer=party(buyer), **changes)

    def written(
        self, data: dict[str, Any], target: OutputFormat = FACTURX, profile: Profile = Profile.EN16931
    ) -> Deposited:
        """The invoice forced through the checks (`chorus convert --force`): the bytes to deposit."""
        invoice = Invoice.model_validate(data)
        result = write_checked(invoice, CheckOptions(target=target, profile=profile), force=True)
        assert result.output is not None
        return Deposited(result.output.data, f"{invoice.number}{target.extension}", target.syntaxe_flux)

    def sample(self, target: OutputFormat = CII, **fields: Any) -> Deposited:
        """A file the model cannot produce, from the simulator's sample builders."""
        number = f"RS-{next(_numbers):05d}"
        values = {
            "number": number,
            "issue_date": self.dataset.generated_on,
            "supplier_siret": self.supplier.siret,
            "recipient_siret": self.buyer.siret,
            **fields,
        }
        build = {CII: sample_cii, UBL: sample_ubl, FACTURX: sample_facturx}[target]
        return Deposited(build(**values), f"{number}{target.extension}", target.syntaxe_flux)

    # ------------------------------------------------------------------------------------ chorus check

    def check(self, file: Deposited, *options: str, env: dict[str, str] | None = None) -> Checked:
        """`chorus check --json` on the file, the directory read from the simulator."""
        path = self.folder / file.name
        path.write_bytes(file.data)
        return self._run_check([*options, str(path)], env)

    def check_json(self, data: dict[str, Any], target: OutputFormat = FACTURX, *options: str) -> Checked:
        path = self.folder / f"{data['number']}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return self._run_check(["--to", target.value, *options, str(path)], None)

    def _run_check(self, arguments: list[str], env: dict[str, str] | None) -> Checked:
        command = ["check", "--json", "--local", self.sim.base_url, *arguments]
        result = runner.invoke(app, command, env={**self.credentials, **(env or {})})
        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.output
        payload = json.loads(result.stdout)
        (report,) = payload["reports"]
        return Checked(result.exit_code, report["findings"], payload)

    def caught(
        self,
        data: dict[str, Any],
        rule_id: str,
        target: OutputFormat = FACTURX,
        severity: str = "error",
        profile: Profile = Profile.EN16931,
    ) -> Deposited:
        """The model-built invoice is flagged with `rule_id` (at `severity`) as JSON input and as the file
        written from it; returns that file, forced through."""
        as_json = self.check_json(data, target, "--profile", profile.level)
        assert as_json.severity_of(rule_id) == {severity}, as_json.explain()
        file = self.written(data, target, profile)
        self.file_caught(file, rule_id, severity=severity)
        return file

    def file_caught(self, file: Deposited, rule_id: str, *options: str, severity: str = "error") -> Checked:
        checked = self.check(file, *options)
        assert checked.severity_of(rule_id) == {severity}, checked.explain()
        return checked

    # ------------------------------------------------------------------------------------ simulator

    def verdict(self, file: Deposited) -> Verdict:
        answer = self.desk.deposit(file)
        assert answer.status_code == 200 and answer.json()["codeRetour"] == 0, answer.text
        flux = answer.json()["numeroFluxDepot"]
        self.sim.admin.advance_clock(10)
        report = self.desk.ok(REPORT, {"numeroFluxDepot": flux})
        return Verdict(
            report["etatCourantDepotFlux"],
            [e["libelleErreurDP"] for e in report.get("listeErreurDP", [])],
            report.get("listeErreurTechnique", []),
            flux,
        )

    def rejected(self, file: Deposited) -> str:
        """IN_REJETE with the invoice's listeErreurDP entry: its text."""
        verdict = self.verdict(file)
        assert verdict.state == "IN_REJETE" and not verdict.technical, verdict
        (message,) = verdict.dp_errors
        return message

    def refused_technically(self, file: Deposited) -> dict[str, str]:
        verdict = self.verdict(file)
        assert verdict.state == "IN_REJETE", verdict
        (error,) = verdict.technical
        return error

    def integrated(self, file: Deposited) -> dict[str, Any]:
        verdict = self.verdict(file)
        assert verdict.state == "IN_INTEGRE", verdict
        (invoice,) = self.desk.ok(SEARCH, {"numeroFluxDepot": verdict.flux})["listeFactures"]
        return invoice

    def later(self, invoice: dict[str, Any], days: float = BUYER_DAYS) -> tuple[str, str]:
        """The invoice's status and the buyer's motif once the buyer has had `days`."""
        self.sim.admin.advance_clock(days=days)
        found = self.desk.ok(SEARCH, {"numeroFacture": invoice["numeroFacture"]})["listeFactures"]
        (current,) = [i for i in found if i["idFacture"] == invoice["idFacture"]]
        return current["statut"], current["commentaireEtatCourant"]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as server:
        yield server


@pytest.fixture(scope="module")
def catalogue(sim: SimulatorServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    for name in ("CHORUS_ENVIRONMENT", "CHORUS_TOKEN_URL", "CHORUS_API_URL"):
        assert name not in os.environ, f"{name} would change what chorus check reads"
    ctx = Catalogue(sim, tmp_path_factory.mktemp("catalogue"))
    yield ctx
    ctx.desk.close()


# --------------------------------------------------------------------------------------------- rows

Row = Callable[[Catalogue], None]
ROWS: dict[int, tuple[tuple[str, ...], Row]] = {}

# Rows the simulator does not enforce, or that no pre-flight check can catch: why (docs/rejections.md).
NOT_ENFORCED = {
    35: "portal route: a Factur-X uploaded by hand through 'Deposer facture' is a portal behaviour; the "
    "simulator has no portal and chorus-connect deposits through the API only, as IN_DP_E2_CII_FACTURX "
    "(rows 36 and 37 check that route)",
    41: "transport: chorus-connect's API client always sends 'Content-Type: application/json;charset=utf-8' "
    "and takes its base URLs from one environment setting; no invoice can carry this fault. Proved by "
    "tests/api/test_auth_errors.py::test_every_call_carries_both_identities and "
    "::test_other_refusals_say_what_is_wrong, simulator side by test_gateway.py",
    42: "transport: a non-zero codeRetour on HTTP 200 is a failure of the call, not of the invoice; "
    "chorus-connect's client raises a BusinessError for any non-zero codeRetour whatever the HTTP status "
    "(no-result codes of searches aside): tests/api/test_operations.py::"
    "test_a_business_error_keeps_code_and_label, ::test_no_result_codes_are_empty_results",
}


def row(number: int, *rule_ids: str) -> Callable[[Row], Row]:
    """Register the test of a catalogue row and the rule ids it proves (checked against the docs)."""

    def register(function: Row) -> Row:
        ROWS[number] = (rule_ids, function)
        return function

    return register


def _service(structure: Structure, *, active: bool = True, engagement: bool = False) -> str:
    return next(
        s.code
        for s in structure.services
        if s.active is active and s.engagement_required is engagement and s.code != "FACTURES_PUBLIQUES"
    )


def _commitment(ctx: Catalogue, buyer: Structure, state: EngagementState) -> str:
    commitments = ctx.dataset.commitments_between(ctx.supplier.structure_id, buyer.structure_id)
    return next(c.number for c in commitments if c.state is state)


# --- payment means: 1-6 ---------------------------------------------------------------------------------

PAYMENT_CODE_PATH = (
    "FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement."
    "SpecifiedTradeSettlementPaymentMeans.TypeCode.value"
)


@row(1, "CPRO-PAY-01")
def row_01_no_payment_means(ctx: Catalogue) -> None:
    data = ctx.data()
    del data["payment_means"]
    file = ctx.caught(data, "CPRO-PAY-01")
    assert ctx.rejected(file) == f"L'element {PAYMENT_CODE_PATH} est obligatoire."


@row(2, "CPRO-PAY-01")
def row_02_payment_means_emitted_empty(ctx: Catalogue) -> None:
    # The model cannot write an empty block: a user's file can. It is still reported, with a rule id,
    # although the model cannot read it (an INPUT error says so).
    file = ctx.sample(payment_means_code="")
    checked = ctx.file_caught(file, "CPRO-PAY-01")
    assert "INPUT" in checked.rule_ids
    assert ctx.rejected(file) == f"L'element {PAYMENT_CODE_PATH} est obligatoire."


@row(3, "CPRO-FX-01")
def row_03_minimum_profile(ctx: Catalogue) -> None:
    # Refused whatever else it says (written by the model, its parties carry their SIREN only).
    ctx.rejected(ctx.caught(ctx.data(), "CPRO-FX-01", profile=Profile.MINIMUM))
    # A user's MINIMUM Factur-X with the SIRETs in the legal ids: the payment means alone is missing.
    file = ctx.sample(FACTURX, profile="minimum")
    ctx.file_caught(file, "CPRO-FX-01")
    assert ctx.rejected(file) == f"L'element {PAYMENT_CODE_PATH} est obligatoire."


@row(4, "CPRO-PAY-05")
def row_04_payment_means_code_outside_the_list(ctx: Catalogue) -> None:
    expected = f"Le code du moyen de paiement ({PAYMENT_CODE_PATH}) n'est pas autorise par Chorus Pro"
    # The model's AUTRE mode is UNTDID 4461 code 1, which the catalogue's S2.05 list does not hold.
    file = ctx.caught(ctx.data(payment_means={"mode": "AUTRE"}), "CPRO-PAY-05", CII)
    assert ctx.rejected(file) == expected
    unknown = ctx.sample(payment_means_code="57")  # a code the model cannot even hold
    ctx.file_caught(unknown, "CPRO-PAY-05")
    assert ctx.rejected(unknown) == expected


@row(5, "CPRO-PAY-02", "CPRO-PAY-04")
def row_05_credit_transfer_without_a_valid_iban(ctx: Catalogue) -> None:
    iban = (
        f"{PAYMENT_CODE_PATH.removesuffix('TypeCode.value')}PayeePartyCreditorFinancialAccount.IBANID.value"
    )
    file = ctx.caught(ctx.data(payment_means={"mode": "VIREMENT"}), "CPRO-PAY-02")
    assert ctx.rejected(file) == f"L'element {iban} est obligatoire."
    wrong_key = {"mode": "VIREMENT", "iban": "FR7630006000011234567890188"}
    file = ctx.caught(ctx.data(payment_means=wrong_key), "CPRO-PAY-04", UBL)
    assert ctx.rejected(file).endswith("doit contenir un IBAN valide")


def _credit_note(ctx: Catalogue, **changes: Any) -> dict[str, Any]:
    data = ctx.data(**{"type_code": "381", "preceding_invoices": [{"number": "FA-ORIGINE-1"}], **changes})
    data.pop("due_date")
    return data


@row(6, "CPRO-PAY-03")
def row_06_credit_note_with_a_payment_means(ctx: Catalogue) -> None:
    file = ctx.caught(_credit_note(ctx), "CPRO-PAY-03", CII)
    assert ctx.rejected(file) == f"L'element {PAYMENT_CODE_PATH} ne doit pas etre renseigne pour un avoir."


# --- the buyer's routing data: 7-15 ----------------------------------------------------------------------

AGREEMENT = "FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeAgreement"
SERVICE_PATH = f"{AGREEMENT}.BuyerReference.value"
EJ_PATH = f"{AGREEMENT}.BuyerOrderReferencedDocument.IssuerAssignedID.value"


@row(7, "CPRO-DEST-03")
def row_07_service_code_required(ctx: Catalogue) -> None:
    buyer = ctx.dataset.recipient_with(service_required=True)
    file = ctx.caught(ctx.to(buyer), "CPRO-DEST-03")
    assert ctx.rejected(file) == f"L'element {SERVICE_PATH} est obligatoire."


@row(8, "CPRO-DEST-06")
def row_08_engagement_required(ctx: Catalogue) -> None:
    buyer = ctx.dataset.recipient_with(engagement_required=True)
    file = ctx.caught(ctx.to(buyer), "CPRO-DEST-06")
    assert ctx.rejected(file) == f"L'element {EJ_PATH} est obligatoire."
    by_service = ctx.data(service_code=_service(ctx.buyer, engagement=True))  # the service's own flag
    assert (
        ctx.rejected(ctx.caught(by_service, "CPRO-DEST-06", CII)) == f"L'element {EJ_PATH} est obligatoire."
    )


@row(9, "CPRO-DEST-07")
def row_09_engagement_or_service(ctx: Catalogue) -> None:
    buyer = ctx.dataset.recipient_with(engagement_or_service=True)
    file = ctx.caught(ctx.to(buyer), "CPRO-DEST-07")
    assert ctx.rejected(file) == (
        f"L'element {SERVICE_PATH} est obligatoire en l'absence de numero d'engagement."
    )


@row(10, "CPRO-DEST-04", "CPRO-DEST-05")
def row_10_service_unknown_or_inactive(ctx: Catalogue) -> None:
    expected = (
        f"Le code service de la structure publique destinataire ({SERVICE_PATH}) "
        "est inconnu ou inactif dans Chorus Pro"
    )
    file = ctx.caught(ctx.data(service_code="SERVICE_INCONNU"), "CPRO-DEST-04")
    assert ctx.rejected(file) == expected
    file = ctx.caught(ctx.data(service_code=_service(ctx.buyer, active=False)), "CPRO-DEST-05", CII)
    assert ctx.rejected(file) == expected


@row(11, "CPRO-SRV-01")
def row_11_service_code_characters(ctx: Catalogue) -> None:
    file = ctx.caught(ctx.data(service_code="ACHATS/2026"), "CPRO-SRV-01")
    assert ctx.rejected(file) == f"Le champ ({SERVICE_PATH}) doit etre alphanumerique"
    file = ctx.caught(ctx.data(service_code="S" * 101), "CPRO-SRV-01", UBL)
    assert ctx.rejected(file).endswith("ne doit pas depasser 100 caracteres")


@row(12, "CPRO-SRV-02")
def row_12_factures_publiques_from_a_private_supplier(ctx: Catalogue) -> None:
    file = ctx.caught(ctx.data(service_code="FACTURES_PUBLIQUES"), "CPRO-SRV-02")
    assert ctx.rejected(file) == (
        f"Le code service FACTURES_PUBLIQUES ({SERVICE_PATH}) "
        "est reserve aux factures entre structures publiques"
    )
    lifted = ctx.check_json(ctx.data(service_code="FACTURES_PUBLIQUES"), FACTURX, "--public-supplier")
    assert "CPRO-SRV-02" not in lifted.rule_ids


@row(13, "CPRO-EJ-01")
def row_13_engagement_over_50_characters(ctx: Catalogue) -> None:
    file = ctx.caught(ctx.data(engagement_number="E" * 51), "CPRO-EJ-01")
    assert (
        ctx.rejected(file) == f"Le champ numero d'engagement ({EJ_PATH}) ne doit pas depasser 50 caracteres"
    )


@row(14, "CPRO-DEST-08")
def row_14_engagement_unknown_to_the_buyer(ctx: Catalogue) -> None:
    # Not an integration rejection: a warning; the platform integrates, the buyer sends it back.
    data = ctx.data(engagement_number="EJ-INCONNU-14")
    file = ctx.caught(data, "CPRO-DEST-08", severity="warning")
    invoice = ctx.integrated(file)
    status, motif = ctx.later(invoice)
    assert status == "A_RECYCLER" and "EJ-INCONNU-14" in motif and "inconnu" in motif


@row(15, "CPRO-MKT-01")
def row_15_market_number_over_50_characters(ctx: Catalogue) -> None:
    file = ctx.caught(ctx.data(market_number="M" * 51), "CPRO-MKT-01")
    assert ctx.rejected(file).startswith("Le champ numero de marche (")


# --- the invoice itself: 16-18 ---------------------------------------------------------------------------


@row(16, "CPRO-NUM-01")
def row_16_invoice_number(ctx: Catalogue) -> None:
    file = ctx.caught(ctx.data(number=f"LONG-{next(_numbers):016d}"), "CPRO-NUM-01")  # 21 characters
    assert ctx.rejected(file) == (
        "Le champ identifiant de la facture (FichierXml.ExchangedDocument.ID.value) ne doit pas depasser "
        "20 caracteres"
    )
    file = ctx.caught(ctx.data(number=f"F#{next(_numbers)}"), "CPRO-NUM-01", UBL)
    assert ctx.rejected(file).endswith("contient des caracteres non autorises")
    preceding = _credit_note(ctx, preceding_invoices=[{"number": "F" * 21}])
    del preceding["payment_means"]
    assert "facture d'origine" in ctx.rejected(ctx.caught(preceding, "CPRO-NUM-01", CII))


@row(17, "CPRO-CAD-04")
def row_17_frame_outside_a1_to_a25(ctx: Catalogue) -> None:
    file = ctx.caught(ctx.data(billing_frame="B1"), "CPRO-CAD-04")
    assert ctx.rejected(file).endswith("doit contenir un code de A1 a A25")
    # The reform's codes are a configurable quirk; other values stay refused.
    allowed = ctx.check_json(ctx.data(billing_frame="S1"), FACTURX, "--allow-reform-frames")
    assert "CPRO-CAD-04" not in allowed.rule_ids
    still = ctx.check_json(ctx.data(billing_frame="X1"), FACTURX, "--allow-reform-frames")
    assert "CPRO-CAD-04" in still.errors


@row(18, "CPRO-CAD-01")
def row_18_already_paid_frame_with_an_amount_due(ctx: Catalogue) -> None:
    file = ctx.caught(ctx.data(billing_frame="A2"), "CPRO-CAD-01")
    assert ctx.rejected(file).startswith("Le cadre A2 impose un montant a payer nul")


# --- identifiers: 19-25 ----------------------------------------------------------------------------------


@row(19, "CPRO-ID-03")
def row_19_siren_instead_of_siret(ctx: Catalogue) -> None:
    data = ctx.data()
    data["buyer"]["siret"] = ctx.buyer.siret[:9]
    file = ctx.caught(data, "CPRO-ID-03")
    assert ctx.rejected(file).endswith("doit contenir un SIRET de 14 chiffres")


@row(20, "CPRO-ID-06")
def row_20_siret_under_a_wrong_scheme(ctx: Catalogue) -> None:
    data = ctx.data()
    siret = data["seller"].pop("siret")
    data["seller"]["other_ids"] = [{"value": siret, "scheme": "0088"}]
    file = ctx.caught(data, "CPRO-ID-06", CII)
    assert ctx.rejected(file).endswith("doit designer un SIRET (0009)")


@row(21, "CPRO-ID-01")
def row_21_french_supplier_identified_by_its_vat_number(ctx: Catalogue) -> None:
    data = ctx.data()
    del data["seller"]["siret"]
    data["seller"]["other_ids"] = [{"value": ctx.supplier.vat_number, "scheme": "9957"}]
    file = ctx.caught(data, "CPRO-ID-01")
    assert ctx.rejected(file).endswith("doit etre identifie par son SIRET et non par un numero de TVA")


@row(22, "CPRO-ID-02")
def row_22_buyer_in_a_drom(ctx: Catalogue) -> None:
    data = ctx.data()
    data["buyer"]["address"]["country_code"] = "RE"
    assert not ctx.check_json(data).errors  # a DROM buyer with its SIRET is French
    ctx.integrated(ctx.written(data))
    by_vat = copy.deepcopy(data)
    by_vat["number"] = f"RC-{next(_numbers):05d}"
    siret = by_vat["buyer"].pop("siret")
    by_vat["buyer"]["other_ids"] = [{"value": f"FR40{siret[:9]}", "scheme": "9957"}]
    file = ctx.caught(by_vat, "CPRO-ID-02", UBL)
    assert ctx.rejected(file).endswith("doit etre identifie par son SIRET et non par un numero de TVA")


@row(23, "CPRO-ID-07")
def row_23_ubl_buyer_legal_entity(ctx: Catalogue) -> None:
    # The model always writes the buyer's CompanyID: a user's UBL file may not.
    file = ctx.sample(UBL, legal_organization=False)
    ctx.file_caught(file, "CPRO-ID-07")
    assert ctx.rejected(file) == (
        "L'element FichierXml.AccountingCustomerParty.Party.PartyLegalEntity.CompanyID.value est obligatoire."
    )


@row(24, "CPRO-DEST-01", "CPRO-DEST-02")
def row_24_buyer_unknown_or_inactive(ctx: Catalogue) -> None:
    data = ctx.data()
    data["buyer"]["siret"] = "99999999999999"
    assert ctx.rejected(ctx.caught(data, "CPRO-DEST-01")).endswith("est inconnu dans Chorus Pro")
    inactive = ctx.to(ctx.dataset.inactive_recipient())
    assert ctx.rejected(ctx.caught(inactive, "CPRO-DEST-02", UBL)).endswith("est inactive dans Chorus Pro")


@row(25, "FX-SCH-A-000164")
def row_25_two_buyer_global_ids(ctx: Catalogue) -> None:
    # The Factur-X schematron's own rule (run in-process): no Chorus-specific rule is needed.
    data = ctx.data()
    data["buyer"]["other_ids"] = [{"value": "SERVICE_ACHATS", "scheme": "0224"}]
    file = ctx.caught(data, "FX-SCH-A-000164")
    assert "est limite a une occurrence" in ctx.rejected(file)


# --- file content: 26-33 ---------------------------------------------------------------------------------

PDF_CONTENT = base64.b64encode(b"%PDF-1.7 bon de livraison").decode()


def _attachment(**fields: Any) -> dict[str, Any]:
    return {"id": "BL-1", "filename": "bon-de-livraison.pdf", "mime_code": "application/pdf", **fields}


@row(26, "CPRO-PJ-01")
def row_26_referenced_document_without_content(ctx: Catalogue) -> None:
    file = ctx.caught(ctx.data(attachments=[{"id": "BC-12"}]), "CPRO-PJ-01")
    assert ctx.rejected(file) == (
        "L'element (AttachmentBinaryObject.value) est obligatoire si l'element "
        f"({AGREEMENT}.AdditionalReferencedDocument) est renseigne."
    )


@row(27, "CPRO-LIN-01")
def row_27_gross_price_without_its_discount(ctx: Catalogue) -> None:
    # The model folds a gross price without discount away: a user's file keeps it.
    file = ctx.sample(gross_price="1000.00")
    ctx.file_caught(file, "CPRO-LIN-01")
    assert ctx.rejected(file).startswith(
        "L'element (AppliedTradeAllowanceCharge.ActualAmount.value) est obligatoire"
    )


@row(28, "XSD", "CPRO-TXT-02")
def row_28_markup_in_a_free_text_field(ctx: Catalogue) -> None:
    written = ctx.written(ctx.data(notes=[{"text": "texte"}]), CII)
    html = written.data.replace(b"<ram:Content>texte</ram:Content>", b"<ram:Content><b>x</b></ram:Content>")
    assert html != written.data
    file = Deposited(html, written.name, written.syntax)
    ctx.file_caught(file, "XSD")
    error = ctx.refused_technically(file)
    assert (error["natureErreur"], error["codeErreur"]) == ("ERR_XSD", "ERR_XSD_001")
    # Markup the model escapes passes the XSD and is integrated, shown as is: a warning only.
    escaped = ctx.data(notes=[{"text": "<b>Urgent</b> : livraison du 3"}])
    assert ctx.check_json(escaped).severity_of("CPRO-TXT-02") == {"warning"}
    ctx.integrated(ctx.written(escaped))


@row(29, "CPRO-LIN-02")
def row_29_quantities_too_precise(ctx: Catalogue) -> None:
    data = ctx.data()
    data["lines"][0]["quantity"] = "12.12345"
    file = ctx.caught(data, "CPRO-LIN-02")
    assert ctx.rejected(file).endswith("ne doit pas comporter plus de 4 decimales")


@row(30, "CPRO-TXT-01")
def row_30_text_over_its_limit(ctx: Catalogue) -> None:
    data = ctx.data()
    data["buyer"]["name"] = "B" * 100
    file = ctx.caught(data, "CPRO-TXT-01")
    assert ctx.rejected(file).endswith("ne doit pas depasser 99 caracteres")


@row(31, "CPRO-CARD-01")
def row_31_repeated_preceding_invoices(ctx: Catalogue) -> None:
    data = _credit_note(ctx, preceding_invoices=[{"number": "FA-1"}, {"number": "FA-2"}])
    del data["payment_means"]
    file = ctx.caught(data, "CPRO-CARD-01", CII)
    assert "ne doit pas etre repete (2 occurrences)" in ctx.rejected(file)


@row(32, "CPRO-CUR-01", "CPRO-CUR-02")
def row_32_foreign_currency(ctx: Catalogue) -> None:
    file = ctx.caught(ctx.data(currency="USD"), "CPRO-CUR-01", CII)
    assert ctx.rejected(file).endswith("est obligatoire pour une facture en devise USD")
    # With its VAT in EUR (a user's file: the model does not write BT-6/BT-111 yet), it integrates: a
    # warning remains, the buyer may refuse a foreign currency.
    converted = ctx.sample(currency="USD", tax_currency="EUR")
    checked = ctx.file_caught(converted, "CPRO-CUR-02", severity="warning")
    assert not checked.errors, checked.explain()
    ctx.integrated(converted)


@row(33, "CPRO-PJ-02", "CPRO-PJ-03", "CPRO-PJ-04")
def row_33_attachment_files(ctx: Catalogue) -> None:
    exe = ctx.data(attachments=[_attachment(filename="outil.exe", content=PDF_CONTENT)])
    assert ctx.rejected(ctx.caught(exe, "CPRO-PJ-03")).startswith("L'extension EXE de la piece jointe")
    long_name = ctx.data(attachments=[_attachment(filename="b" * 47 + ".pdf", content=PDF_CONTENT)])
    assert ctx.rejected(ctx.caught(long_name, "CPRO-PJ-02", CII)).endswith(
        "ne doit pas depasser 50 caracteres"
    )
    empty = ctx.data(attachments=[_attachment(content="")])
    assert ctx.rejected(ctx.caught(empty, "CPRO-PJ-04", CII)).endswith("est vide")


# --- the file: 34-37 -------------------------------------------------------------------------------------


@row(34, "CPRO-FILE-01")
def row_34_file_too_big(ctx: Catalogue) -> None:
    # Two 4 MB attachments: each under the 10 MB attachment limit, the written CII (base64) over 10 MB.
    parts = [
        _attachment(
            id=f"PJ-{i}", filename=f"plan-{i}.pdf", content=base64.b64encode(os.urandom(4 << 20)).decode()
        )
        for i in (1, 2)
    ]
    data = ctx.data(attachments=parts)
    invoice = Invoice.model_validate(data)
    refused = write_checked(invoice, CheckOptions(target=CII))
    assert refused.output is None and "CPRO-FILE-01" in refused.report.rule_ids()
    file = ctx.written(data, CII)
    assert len(file.data) > 10 * 1024 * 1024
    ctx.file_caught(file, "CPRO-FILE-01")
    answer = ctx.desk.deposit(file)
    assert answer.status_code == 400 and answer.json() == {"codeRetour": 20001, "libelle": "GDP_MSG_11.022"}


@row(36, "CPRO-FILE-02")
def row_36_syntax_does_not_match_the_file(ctx: Catalogue) -> None:
    pdf = ctx.written(ctx.data())
    as_cii = Deposited(pdf.data, pdf.name, CII.syntaxe_flux)  # a PDF declared as E1 CII
    ctx.file_caught(as_cii, "CPRO-FILE-02", "--syntax", CII.syntaxe_flux)
    assert ctx.refused_technically(as_cii)["codeErreur"] == "ERR_FORMAT_001"
    ubl = ctx.written(ctx.data(), UBL)
    ubl_as_cii = Deposited(ubl.data, ubl.name, CII.syntaxe_flux)  # a UBL document declared as CII
    ctx.file_caught(ubl_as_cii, "CPRO-FILE-02", "--syntax", CII.syntaxe_flux)
    assert ctx.refused_technically(ubl_as_cii)["codeErreur"] == "ERR_FORMAT_002"
    assert "CPRO-FILE-02" not in ctx.check(ubl, "--syntax", UBL.syntaxe_flux).rule_ids


@row(37, "CPRO-FX-02", "CPRO-FX-03")
def row_37_pdf_that_is_not_a_facturx_container(ctx: Catalogue) -> None:
    parties = {
        "number": f"RS-{next(_numbers):05d}",
        "issue_date": ctx.dataset.generated_on,
        "supplier_siret": ctx.supplier.siret,
        "recipient_siret": ctx.buyer.siret,
    }
    plain = Deposited(sample_pdf_with_plain_attachment(**parties), "plain.pdf", FACTURX.syntaxe_flux)
    ctx.file_caught(plain, "CPRO-FX-03")
    assert ctx.refused_technically(plain)["codeErreur"] == "ERR_PDF_003"
    bare = Deposited(sample_pdf_without_xml(**parties), "bare.pdf", FACTURX.syntaxe_flux)
    ctx.file_caught(bare, "CPRO-FX-02")
    assert ctx.refused_technically(bare)["codeErreur"] == "ERR_PDF_002"


# --- connection: 38-40 (41 and 42 in NOT_ENFORCED) -------------------------------------------------------


@row(38, "CPRO-API-01")
def row_38_piste_credentials_refused(ctx: Catalogue) -> None:
    file = ctx.written(ctx.data())
    checked = ctx.check(file, env={"CHORUS_CLIENT_SECRET": "not-the-secret"})
    assert checked.severity_of("CPRO-API-01") == {"warning"} and "not-the-secret" not in checked.explain()
    refused = ctx.desk_for(secret="not-the-secret")
    try:
        answer = refused.token()
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"
    finally:
        refused.close()


@row(39, "CPRO-API-02")
def row_39_technical_account_refused(ctx: Catalogue) -> None:
    file = ctx.written(ctx.data())
    checked = ctx.check(file, env={"CHORUS_TECH_PASSWORD": "not-the-password"})
    assert checked.severity_of("CPRO-API-02") == {"warning"}
    refused = ctx.desk_for(password="not-the-password")
    try:
        assert refused.deposit(file).status_code == 401
    finally:
        refused.close()


@row(40, "CPRO-API-03")
def row_40_application_not_subscribed(ctx: Catalogue) -> None:
    # The data set's second application is subscribed to Factures and Transverses only.
    application = ctx.dataset.application_without("structures")
    credentials = {
        "CHORUS_CLIENT_ID": application.client_id,
        "CHORUS_CLIENT_SECRET": application.client_secret,
    }
    checked = ctx.check(ctx.written(ctx.data()), env=credentials)
    assert checked.severity_of("CPRO-API-03") == {"warning"}
    assert any("Structures" in f["message"] for f in checked.findings if f["rule_id"] == "CPRO-API-03")
    refused = ctx.desk_for(client_id=application.client_id, secret=application.client_secret)
    try:
        answer = refused.post(
            "/cpro/structures/v1/rechercher", {"structure": {"identifiant": ctx.buyer.siret}}
        )
        assert answer.status_code == 403 and not answer.content
    finally:
        refused.close()


# --- the buyer after integration: 43, 44 -----------------------------------------------------------------


@row(43, "CPRO-NUM-02")
def row_43_buyer_rejects_and_the_number_stays_used(ctx: Catalogue) -> None:
    # Not preventable as such (the buyer decides); what can be prevented is re-using the number.
    file = ctx.written(ctx.data(notes=[{"text": "SCENARIO=REJETEE"}]))
    assert not ctx.check(file).errors
    invoice = ctx.integrated(file)
    assert ctx.later(invoice)[0] == "REJETEE"
    again = ctx.check(file)
    assert "CPRO-NUM-02" in again.errors, again.explain()
    assert "existe deja pour ce fournisseur" in ctx.rejected(file)


@row(44, "CPRO-DEST-08")
def row_44_buyer_sends_it_back(ctx: Catalogue) -> None:
    # The predictable part: a closed EJ is sent back for recycling. SUSPENDUE (a supporting document the
    # buyer wants) is the buyer's call and is not predicted (docs/rejections.md).
    buyer = ctx.dataset.recipient_with(engagement_required=True)
    closed = _commitment(ctx, buyer, EngagementState.CLOSED)
    file = ctx.caught(ctx.to(buyer, engagement_number=closed), "CPRO-DEST-08", severity="warning")
    invoice = ctx.integrated(file)
    status, motif = ctx.later(invoice)
    assert status == "A_RECYCLER" and closed in motif


@pytest.mark.parametrize("number", CATALOGUE_ROWS, ids=lambda n: f"{n:02d}")
def test_rejection_cause(catalogue: Catalogue, number: int) -> None:
    if number in NOT_ENFORCED:
        pytest.skip(NOT_ENFORCED[number])
    _, prove = ROWS[number]
    prove(catalogue)


def test_every_row_has_a_test_or_a_reason() -> None:
    assert set(ROWS) | set(NOT_ENFORCED) == set(CATALOGUE_ROWS)
    assert not set(ROWS) & set(NOT_ENFORCED)


# --------------------------------------------------------------------------------------------- docs


def _table_rows(text: str) -> dict[int, list[str]]:
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            rows[int(cells[0])] = cells
    return rows


def test_docs_give_each_row_the_rule_ids_this_module_proves() -> None:
    table = _table_rows(REJECTIONS_DOC.read_text(encoding="utf-8"))
    documented_rules = set(
        re.findall(r"^\| (?:\*\*)?([A-Z][A-Z0-9-]+)", CHECKS_DOC.read_text(encoding="utf-8"), re.M)
    )
    assert set(table) == set(CATALOGUE_ROWS)
    for number, (rule_ids, _) in ROWS.items():
        rule_cell, test_cell = table[number][-2], table[number][-1]
        for rule_id in rule_ids:
            assert f"`{rule_id}`" in rule_cell, (number, rule_id, rule_cell)
            assert rule_id in documented_rules or rule_id in ("XSD",) or rule_id.startswith("FX-SCH"), rule_id
        assert f"[{number:02d}]" in test_cell, (number, test_cell)
    for number in NOT_ENFORCED:
        assert "skip" in table[number][-1].lower(), (number, table[number][-1])


# --------------------------------------------------------------------------------------------- property

RATES = [("S", "20"), ("S", "10"), ("S", "5.5"), ("S", "2.1"), ("Z", "0"), ("E", None)]
UNITS = ["C62", "HUR", "DAY", "KGM", "MTR"]
# Latin letters with their accents: the Typst page's fonts have no glyph for other scripts (reported).
TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x17F, categories=("L", "N", "Zs")),
    min_size=1,
    max_size=40,
).map(lambda s: s.strip() or "x")
MONEY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)
QUANTITY = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999"), places=4)
PRICE = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("9999"), places=6)


@st.composite
def _lines(draw: st.DrawFn) -> list[dict[str, Any]]:
    lines = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        category, rate = draw(st.sampled_from(RATES))
        line: dict[str, Any] = {
            "id": str(index + 1),
            "name": draw(TEXT),
            "quantity": str(draw(QUANTITY)),
            "unit_code": draw(st.sampled_from(UNITS)),
            "net_price": str(draw(st.one_of(MONEY, PRICE))),
            "vat_category": category,
        }
        if rate is not None:
            line["vat_rate"] = rate
        if draw(st.booleans()):
            line["gross_price"] = str(Decimal(line["net_price"]) + draw(MONEY))
        if draw(st.booleans()):
            line["description"] = draw(TEXT)
        lines.append(line)
    return lines


def valid_invoices(catalogue: Catalogue) -> st.SearchStrategy[dict[str, Any]]:
    """Random valid invoices of the main supplier to the buyer without requirements."""
    dataset, buyer = catalogue.dataset, catalogue.buyer
    services = [
        s.code
        for s in buyer.services
        if s.active and not s.engagement_required and s.code != "FACTURES_PUBLIQUES"
    ]
    commitments = [
        c.number
        for c in dataset.commitments_between(catalogue.supplier.structure_id, buyer.structure_id)
        if c.state is EngagementState.ORDERED
    ]
    iban = dataset.main_bank_account().iban

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        data = base_invoice(dataset)
        data["lines"] = draw(_lines())
        data["vat_exemptions"] = [{"category": "E", "reason": "Exonération article 261 du CGI"}]
        data["notes"] = [{"text": draw(TEXT)}]
        data["billing_frame"] = draw(st.sampled_from(["A1", "A1_FACTURE_FOURNISSEUR", "A9", "A12"]))
        if data["billing_frame"] in ("A9", "A12"):
            data["payee"] = {"name": draw(TEXT)}
        for key, strategy in (
            ("service_code", st.sampled_from(services)),
            ("engagement_number", st.sampled_from(commitments)),
            ("market_number", st.from_regex(r"MKT-[0-9]{1,20}", fullmatch=True)),
            ("payment_terms", TEXT),
        ):
            if draw(st.booleans()):
                data[key] = draw(strategy)
        if draw(st.booleans()):
            data["attachments"] = [_attachment(content=PDF_CONTENT)]
        kind = draw(st.sampled_from(["transfer", "cheque", "debit", "credit note"]))
        if kind == "credit note":
            data["type_code"] = "381"
            data.pop("payment_means")
            data.pop("due_date")
            data["preceding_invoices"] = [{"number": "FA-2026-1"}]
        elif kind == "cheque":
            data["payment_means"] = {"mode": "CHEQUE"}
        elif kind == "debit":
            data["payment_means"] = {"code": "49", "mandate_reference": "MANDAT-1", "debited_account": iban}
        return data

    return build()


def test_random_valid_invoices_are_never_flagged_and_always_integrated(catalogue: Catalogue) -> None:
    directory = directory_of(catalogue.dataset)
    written: dict[OutputFormat, list[tuple[str, bytes]]] = {target: [] for target in OutputFormat}

    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=valid_invoices(catalogue), target=st.sampled_from(list(OutputFormat)))
    def check_one(data: dict[str, Any], target: OutputFormat) -> None:
        data = {**data, "number": f"PB-{next(_numbers):06d}"}
        invoice = Invoice.model_validate(data)
        result = write_checked(invoice, CheckOptions(target=target, directory=directory))
        errors = [
            (f.rule_id, f.path, f.message) for f in result.report.findings if f.severity is Severity.ERROR
        ]
        assert not errors and result.output is not None, (errors, data)
        written[target].append((f"{invoice.number}{target.extension}", result.output.data))

    check_one()
    assert sum(len(files) for files in written.values()) >= 20
    for target, files in written.items():
        if not files:
            continue
        batch = Deposited(sample_batch(files), f"lot-{target.value}.zip", target.syntaxe_flux)
        verdict = catalogue.verdict(batch)
        assert verdict.state == "IN_INTEGRE", verdict
        paging = {"pageResultatDemandee": 1, "nbResultatsParPage": 500}
        search = {"numeroFluxDepot": verdict.flux, "rechercheFactureParFournisseur": paging}
        found = catalogue.desk.ok(SEARCH, search)["listeFactures"]
        assert sorted(i["numeroFacture"] for i in found) == sorted(
            name.rsplit(".", 1)[0] for name, _ in files
        )
