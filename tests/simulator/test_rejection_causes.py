"""Every rejection cause of `shared/reference/rejection-causes.md` that the platform decides, played over
real HTTP: a faulty sample file goes through `deposer/flux`, the frozen clock moves on, and the outcome
is the one the catalogue gives — the flux's `listeErreurTechnique`, the invoice's `listeErreurDP` entry,
or the buyer's later REJETEE / A_RECYCLER / SUSPENDUE with its motif. Each test is named after its row
(`test_cause_NN_...`); docs/rejections.md maps rows to tests. The clean samples integrate in every
syntax, and where a row has a close valid variant (the limit itself, the other profile, the switch
off…) its test deposits that too: no rule fires on a valid invoice."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from lxml import etree

from chorus_connect.simulator import SimulatorConfig, SimulatorServer, integration, lifecycle
from chorus_connect.simulator.dataset import EngagementState, Service, Structure
from chorus_connect.simulator.flux_files import NAMESPACES, read_flux
from chorus_connect.simulator.integration import RuleOptions
from chorus_connect.simulator.samples import (
    SampleDocument,
    sample_batch,
    sample_cii,
    sample_facturx,
    sample_pdf_with_plain_attachment,
    sample_pdf_without_xml,
    sample_ubl,
)
from chorus_connect.simulator.workflow import Directory

CII, UBL, FACTURX = "IN_DP_E1_CII_16B", "IN_DP_E1_UBL_INVOICE", "IN_DP_E2_CII_FACTURX"
AGREEMENT = "FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeAgreement"
SETTLEMENT = "FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement"
SUMMATION = f"{SETTLEMENT}.SpecifiedTradeSettlementHeaderMonetarySummation"
LINE = "FichierXml.SupplyChainTradeTransaction.IncludedSupplyChainTradeLineItem"
SELLER = f"{AGREEMENT}.SellerTradeParty"
BUILDERS: dict[str, Callable[..., bytes]] = {CII: sample_cii, UBL: sample_ubl}
RECIPIENT_DAYS = 3  # the buyer reacts within 4 h - 2 days of MISE_A_DISPOSITION
_numbers = itertools.count(1)


class Session:
    """The main supplier's technical account through the main PISTE application (a fresh token when
    a clock advance has expired the previous one)."""

    def __init__(self, sim: SimulatorServer) -> None:
        self.sim = sim
        dataset = sim.dataset
        account = dataset.supplier_account(dataset.main_supplier().structure_id)
        login = base64.b64encode(f"{account.login}:{account.password}".encode()).decode()
        self.http = httpx.Client(base_url=sim.base_url, timeout=60, headers={"cpro-account": login})
        self._token()

    def _token(self) -> None:
        application = self.sim.dataset.main_application()
        form = {
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": application.client_secret,
            "scope": "openid",
        }
        token = httpx.post(self.sim.token_url, data=form).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def post(self, operation: str, body: dict[str, Any]) -> httpx.Response:
        response = self.http.post(f"/cpro/{operation}", json=body)
        if response.status_code == 401:
            self._token()
            response = self.http.post(f"/cpro/{operation}", json=body)
        return response

    def ok(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(operation, body)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert payload["codeRetour"] == 0, payload
        return payload


@dataclass(frozen=True)
class Sample:
    content: bytes
    syntax: str
    number: str


@dataclass
class Desk:
    """Deposits files as the main supplier to a buyer without requirements and reads the verdicts."""

    sim: SimulatorServer
    session: Session
    supplier: Structure
    buyer: Structure

    def file(self, syntax: str = CII, **fields: Any) -> Sample:
        """A sample file of the main supplier to the buyer, with a number never used before."""
        values = {
            "number": f"RC-{next(_numbers)}",
            "supplier_siret": self.supplier.siret,
            "recipient_siret": self.buyer.siret,
            **fields,
        }
        if syntax == FACTURX:
            return Sample(sample_facturx(**values), FACTURX, values["number"])
        return Sample(BUILDERS[syntax](**values), syntax, values["number"])

    def deposit(self, content: bytes, syntax: str, name: str | None = None) -> str:
        extension = ".pdf" if syntax == FACTURX else ".xml"
        body = {
            "fichierFlux": base64.b64encode(content).decode(),
            "nomFichier": name or f"flux{extension}",
            "syntaxeFlux": syntax,
        }
        return self.session.ok("factures/v1/deposer/flux", body)["numeroFluxDepot"]

    def report(self, content: bytes, syntax: str, name: str | None = None) -> dict[str, Any]:
        """consulterCRDetaille once the integration delay has passed."""
        flux = self.deposit(content, syntax, name)
        self.sim.admin.advance_clock(10)
        return self.session.ok("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": flux})

    def refusal(self, sample: Sample) -> str:
        """The flux is IN_REJETE with one listeErreurDP entry: its libelleErreurDP."""
        report = self.report(sample.content, sample.syntax)
        assert report["etatCourantDepotFlux"] == "IN_REJETE", report
        assert report["listeErreurTechnique"] == []
        (entry,) = report["listeErreurDP"]
        assert set(entry) == {
            "numeroDP",
            "identifiantFournisseur",
            "identifiantDestinataire",
            "libelleErreurDP",
        }
        assert entry["numeroDP"] == sample.number
        assert entry["libelleErreurDP"].isascii() and len(entry["libelleErreurDP"]) <= 200
        return entry["libelleErreurDP"]

    def technical_error(self, content: bytes, syntax: str, name: str) -> dict[str, str]:
        """The flux is IN_REJETE with one listeErreurTechnique entry."""
        report = self.report(content, syntax, name)
        assert report["etatCourantDepotFlux"] == "IN_REJETE", report
        (error,) = report["listeErreurTechnique"]
        return error

    def integrates(self, sample: Sample) -> dict[str, Any]:
        """The flux is IN_INTEGRE: its one invoice as listed by the supplier search."""
        flux = self.deposit(sample.content, sample.syntax)
        self.sim.admin.advance_clock(10)
        report = self.session.ok("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": flux})
        assert report["etatCourantDepotFlux"] == "IN_INTEGRE", (
            report["listeErreurDP"],
            report["listeErreurTechnique"],
        )
        found = self.session.ok("factures/v1/rechercher/fournisseur", {"numeroFluxDepot": flux})
        (invoice,) = found["listeFactures"]
        return invoice

    def messages(self, sample: Sample) -> list[str]:
        """The platform's messages for the file before the 200-character cut (no deposit)."""
        (invoice,) = read_flux(sample.content, "f.xml", sample.syntax).invoices
        account = self.sim.dataset.supplier_account(self.supplier.structure_id)
        return integration.integration_errors(invoice, account, Directory(self.sim.platform.state))

    def current(self, invoice: dict[str, Any]) -> tuple[str, str]:
        """The invoice's status now, with its comment (the buyer's motif)."""
        found = self.session.ok(
            "factures/v1/rechercher/fournisseur", {"numeroFacture": invoice["numeroFacture"]}
        )
        (current,) = [i for i in found["listeFactures"] if i["idFacture"] == invoice["idFacture"]]
        return current["statut"], current["commentaireEtatCourant"]


def make_desk(sim: SimulatorServer) -> Desk:
    return Desk(sim, Session(sim), sim.dataset.main_supplier(), sim.dataset.recipient_with())


@pytest.fixture(scope="module")
def desk(sim: SimulatorServer) -> Desk:
    return make_desk(sim)


@pytest.fixture(scope="module")
def lenient_desk() -> Iterator[Desk]:
    """A second platform with both configurable quirks switched off."""
    rules = RuleOptions(refuse_reform_frame_codes=False, refuse_credit_note_payment_means=False)
    with SimulatorServer(SimulatorConfig(frozen_clock=True, rules=rules)) as server:
        yield make_desk(server)


PAYMENT_CODE = {
    CII: f"{SETTLEMENT}.SpecifiedTradeSettlementPaymentMeans.TypeCode.value",
    UBL: "FichierXml.PaymentMeans.PaymentMeansCode.value",
}
IBAN = {
    CII: f"{SETTLEMENT}.SpecifiedTradeSettlementPaymentMeans.PayeePartyCreditorFinancialAccount.IBANID.value",
    UBL: "FichierXml.PaymentMeans.PayeeFinancialAccount.ID.value",
}
SERVICE = {CII: f"{AGREEMENT}.BuyerReference.value", UBL: "FichierXml.BuyerReference.value"}
NUMBER = {CII: "FichierXml.ExchangedDocument.ID.value", UBL: "FichierXml.ID.value"}
SUPPLIER_ID = {
    CII: f"{AGREEMENT}.SellerTradeParty.GlobalID",
    UBL: "FichierXml.AccountingSupplierParty.Party.PartyIdentification.ID",
}
RECIPIENT_ID = {
    CII: f"{AGREEMENT}.BuyerTradeParty.GlobalID",
    UBL: "FichierXml.AccountingCustomerParty.Party.PartyIdentification.ID",
}
both_syntaxes = pytest.mark.parametrize("syntax", [CII, UBL])


def test_clean_files_integrate_in_every_syntax(desk):
    for syntax in (CII, UBL, FACTURX):
        desk.integrates(desk.file(syntax))
    credit_note = dict(type_code="381", preceding_invoice="F2026-0001", payment_means_code=None)
    desk.integrates(desk.file(CII, **credit_note))
    desk.integrates(desk.file(UBL, **credit_note))


# --------------------------------------------------------------------------------------------------
# Payment means: causes 1-6


@both_syntaxes
def test_cause_01_payment_means_missing(desk, syntax):
    assert desk.refusal(desk.file(syntax, payment_means_code=None)) == (
        f"L'element {PAYMENT_CODE[syntax]} est obligatoire."
    )


def test_cause_01_platform_text_is_the_real_one(desk):
    assert desk.refusal(desk.file(payment_means_code=None)) == (
        "L'element FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement."
        "SpecifiedTradeSettlementPaymentMeans.TypeCode.value est obligatoire."
    )


def test_cause_02_payment_means_emitted_empty(desk):
    # An empty TypeCode passes the XSD and gets the text of #1; a block with no TypeCode at all fails the
    # Factur-X XSD first (the file is then refused as a whole).
    assert desk.refusal(desk.file(payment_means_code="")) == f"L'element {PAYMENT_CODE[CII]} est obligatoire."

    def drop_code(root: etree._Element) -> None:
        code = root.find(".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", NAMESPACES)
        code.getparent().remove(code)

    error = desk.technical_error(desk.file(edit=drop_code).content, CII, "f.xml")
    assert (
        error["codeErreur"] == "ERR_XSD_001"
        and "PayeePartyCreditorFinancialAccount" in error["libelleErreur"]
    )


def test_cause_03_minimum_profile_cannot_carry_the_payment_means(desk):
    assert desk.refusal(desk.file(FACTURX, profile="minimum")) == (
        f"L'element {PAYMENT_CODE[CII]} est obligatoire."
    )
    desk.integrates(desk.file(FACTURX, profile="basic"))


@pytest.mark.parametrize("code", ["ZZZ", "57", "1"])
def test_cause_04_payment_means_code_outside_the_chorus_list(desk, code):
    assert desk.refusal(desk.file(payment_means_code=code)) == (
        f"Le code du moyen de paiement ({PAYMENT_CODE[CII]}) n'est pas autorise par Chorus Pro"
    )


def test_cause_04_every_listed_code_is_accepted(desk):
    for code in sorted(integration.PAYMENT_MEANS_CODES):
        desk.integrates(desk.file(payment_means_code=code))


@both_syntaxes
def test_cause_05_credit_transfer_without_a_valid_iban(desk, syntax):
    assert desk.refusal(desk.file(syntax, iban=None)) == f"L'element {IBAN[syntax]} est obligatoire."
    wrong_key = "FR7630006000011234567890188"
    assert desk.refusal(desk.file(syntax, iban=wrong_key)) == (
        f"Le champ ({IBAN[syntax]}) doit contenir un IBAN valide"
    )
    assert desk.refusal(desk.file(syntax, payment_means_code="58", iban="12345678901")) == (
        f"Le champ ({IBAN[syntax]}) doit contenir un IBAN valide"
    )
    desk.integrates(desk.file(syntax, payment_means_code="49", iban=None))  # a direct debit needs none
    desk.integrates(desk.file(syntax, iban="DE89370400440532013000"))  # any valid IBAN


@both_syntaxes
def test_cause_06_credit_note_with_a_payment_means(desk, lenient_desk, syntax):
    credit_note = dict(type_code="381", preceding_invoice="F2026-0001")
    assert desk.refusal(desk.file(syntax, **credit_note)) == (
        f"L'element {PAYMENT_CODE[syntax]} ne doit pas etre renseigne pour un avoir."
    )
    desk.integrates(desk.file(syntax, payment_means_code=None, **credit_note))
    lenient_desk.integrates(lenient_desk.file(syntax, **credit_note))  # SimulatorConfig.rules


# --------------------------------------------------------------------------------------------------
# The buyer's routing data: causes 7-15


def test_cause_07_service_code_required_by_the_buyer(desk, sim):
    buyer = sim.dataset.recipient_with(service_required=True)
    assert (
        desk.refusal(desk.file(recipient_siret=buyer.siret)) == f"L'element {SERVICE[CII]} est obligatoire."
    )
    service = plain_service(buyer)
    desk.integrates(desk.file(recipient_siret=buyer.siret, service_code=service.code))


def test_cause_08_engagement_required_by_the_buyer(desk, sim):
    buyer = sim.dataset.recipient_with(engagement_required=True)
    path = f"{AGREEMENT}.BuyerOrderReferencedDocument.IssuerAssignedID.value"
    assert desk.refusal(desk.file(recipient_siret=buyer.siret)) == f"L'element {path} est obligatoire."
    commitment = open_commitment(sim, desk.supplier, buyer)
    desk.integrates(desk.file(recipient_siret=buyer.siret, engagement_number=commitment))


def test_cause_08_engagement_required_by_the_service(desk):
    service = next(s for s in desk.buyer.services if s.active and s.engagement_required)
    path = f"{AGREEMENT}.BuyerOrderReferencedDocument.IssuerAssignedID.value"
    assert desk.refusal(desk.file(service_code=service.code)) == f"L'element {path} est obligatoire."


def test_cause_09_service_or_engagement_neither_given(desk, sim):
    buyer = sim.dataset.recipient_with(engagement_or_service=True)
    assert desk.refusal(desk.file(recipient_siret=buyer.siret)) == (
        f"L'element {SERVICE[CII]} est obligatoire en l'absence de numero d'engagement."
    )
    service = plain_service(buyer)
    desk.integrates(desk.file(recipient_siret=buyer.siret, service_code=service.code))
    commitment = open_commitment(sim, desk.supplier, buyer)
    desk.integrates(desk.file(recipient_siret=buyer.siret, engagement_number=commitment))


def test_cause_10_service_unknown_or_inactive(desk):
    inactive = next(s for s in desk.buyer.services if not s.active)
    expected = (
        f"Le code service de la structure publique destinataire ({SERVICE[CII]}) "
        "est inconnu ou inactif dans Chorus Pro"
    )
    assert desk.refusal(desk.file(service_code=inactive.code)) == expected
    assert desk.refusal(desk.file(service_code="SERVICE_INCONNU")) == expected


@both_syntaxes
def test_cause_11_service_code_characters_and_length(desk, syntax):
    assert desk.refusal(desk.file(syntax, service_code="ACHATS/2026")) == (
        f"Le champ ({SERVICE[syntax]}) doit etre alphanumerique"
    )
    assert desk.refusal(desk.file(syntax, service_code="S" * 101)) == (
        f"Le champ ({SERVICE[syntax]}) ne doit pas depasser 100 caracteres"
    )


def test_cause_11_platform_text_is_the_real_one(desk):
    assert desk.refusal(desk.file(service_code="ACHATS.2026")) == (
        "Le champ (FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeAgreement."
        "BuyerReference.value) doit etre alphanumerique"
    )


def test_cause_12_factures_publiques_from_a_private_supplier(desk):
    assert desk.refusal(desk.file(service_code="FACTURES_PUBLIQUES")) == (
        f"Le code service FACTURES_PUBLIQUES ({SERVICE[CII]}) "
        "est reserve aux factures entre structures publiques"
    )


def test_cause_13_engagement_over_50_characters(desk):
    path = f"{AGREEMENT}.BuyerOrderReferencedDocument.IssuerAssignedID.value"
    assert desk.refusal(desk.file(engagement_number="E" * 51)) == (
        f"Le champ numero d'engagement ({path}) ne doit pas depasser 50 caracteres"
    )


def plain_service(buyer: Structure) -> Service:
    """An active service of the buyer that needs no EJ (not the public-to-public default one)."""
    return next(
        s for s in buyer.services if s.active and not s.engagement_required and s.code != "FACTURES_PUBLIQUES"
    )


def open_commitment(sim: SimulatorServer, supplier: Structure, buyer: Structure) -> str:
    commitments = sim.dataset.commitments_between(supplier.structure_id, buyer.structure_id)
    return next(c.number for c in commitments if c.state is EngagementState.ORDERED)


def test_cause_14_engagement_unknown_to_the_buyer_is_recycled(desk, sim):
    # The scenario the test asks for (paid) is overridden: the buyer cannot pay against an EJ it never
    # issued to this supplier, so it sends the invoice back to be recycled, with its motif.
    unknown = desk.file(engagement_number="EJ-INCONNU-14")
    sim.admin.set_scenario(unknown.number, "PAYE")
    invoice = desk.integrates(unknown)
    sim.admin.advance_clock(days=RECIPIENT_DAYS)
    assert desk.current(invoice) == ("A_RECYCLER", lifecycle.unknown_engagement_motif("EJ-INCONNU-14"))
    # Recycled with a real EJ of that buyer, it follows the scenario again.
    good = open_commitment(sim, desk.supplier, desk.buyer)
    desk.session.ok(
        "factures/v1/recycler",
        {
            "identifiantFactureCPP": invoice["idFacture"],
            "destinataire": {"codeDestinataire": desk.buyer.siret},
            "reference": {"numeroBonCommande": good},
        },
    )
    sim.admin.advance_clock(days=lifecycle.MAX_HAPPY_PATH_SECONDS / lifecycle.DAY + 1)
    assert desk.current(invoice)[0] == "MISE_EN_PAIEMENT"


def test_cause_14_engagement_of_the_buyer_is_paid_and_a_closed_one_recycled(desk, sim):
    buyer = sim.dataset.recipient_with(engagement_required=True)
    commitments = sim.dataset.commitments_between(desk.supplier.structure_id, buyer.structure_id)
    closed = next(c.number for c in commitments if c.state is EngagementState.CLOSED)
    invoices = {}
    for label, number in (("open", open_commitment(sim, desk.supplier, buyer)), ("closed", closed)):
        content = desk.file(recipient_siret=buyer.siret, engagement_number=number, note="SCENARIO=PAYE")
        invoices[label] = desk.integrates(content)
    sim.admin.advance_clock(days=lifecycle.MAX_HAPPY_PATH_SECONDS / lifecycle.DAY + 1)
    assert desk.current(invoices["open"])[0] == "MISE_EN_PAIEMENT"
    assert desk.current(invoices["closed"]) == ("A_RECYCLER", lifecycle.closed_engagement_motif(closed))


def test_cause_15_market_number_over_50_characters(desk):
    path = f"{AGREEMENT}.ContractReferencedDocument.IssuerAssignedID.value"
    assert desk.refusal(desk.file(market_number="M" * 51)) == (
        f"Le champ numero de marche ({path}) ne doit pas depasser 50 caracteres"
    )
    desk.integrates(desk.file(market_number="M" * 50))


# --------------------------------------------------------------------------------------------------
# The invoice itself: causes 16-18


@both_syntaxes
def test_cause_16_invoice_number_length_and_characters(desk, syntax):
    assert desk.refusal(desk.file(syntax, number="F" * 21)) == (
        f"Le champ identifiant de la facture ({NUMBER[syntax]}) ne doit pas depasser 20 caracteres"
    )
    assert desk.refusal(desk.file(syntax, number="F2026#16")) == (
        f"Le champ identifiant de la facture ({NUMBER[syntax]}) contient des caracteres non autorises"
    )
    desk.integrates(desk.file(syntax, number=f"A/b+c_d-{next(_numbers):06d}"))


def test_cause_16_platform_text_is_the_real_one(desk):
    assert desk.refusal(desk.file(number="FACTURE-2026-000000016")) == (
        "Le champ identifiant de la facture (FichierXml.ExchangedDocument.ID.value) ne doit pas depasser "
        "20 caracteres"
    )


def test_cause_16_preceding_invoice_number(desk):
    path = f"{SETTLEMENT}.InvoiceReferencedDocument.IssuerAssignedID.value"
    credit_note = dict(type_code="381", payment_means_code=None)
    assert desk.refusal(desk.file(preceding_invoice="F" * 21, **credit_note)) == (
        f"Le champ facture d'origine ({path}) ne doit pas depasser 20 caracteres"
    )


@pytest.mark.parametrize("code", ["B1", "S1", "M4", "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0", "A26"])
def test_cause_17_frame_outside_a1_to_a25(desk, code):
    path = "FichierXml.ExchangedDocumentContext.BusinessProcessSpecifiedDocumentContextParameter.ID.value"
    assert desk.refusal(desk.file(business_process=code)) == (
        f"Le champ cadre de facturation ({path}) doit contenir un code de A1 a A25"
    )


def test_cause_17_frame_codes_accepted_and_the_reform_switch(desk, lenient_desk):
    for code in ("A1", "A9", "A12", None):
        desk.integrates(desk.file(business_process=code))
    assert desk.refusal(desk.file(UBL, business_process="S1")).startswith(
        "Le champ cadre de facturation (FichierXml.ProfileID.value)"
    )
    lenient_desk.integrates(lenient_desk.file(business_process="S1"))  # SimulatorConfig.rules
    assert "A1 a A25" in lenient_desk.refusal(lenient_desk.file(business_process="X1"))


def test_cause_18_already_paid_frame_with_an_amount_due(desk):
    assert desk.refusal(desk.file(business_process="A2")) == (
        f"Le cadre A2 impose un montant a payer nul ({SUMMATION}.DuePayableAmount.value)"
    )
    paid = desk.integrates(desk.file(business_process="A2", prepaid=Decimal("1200.00")))
    assert paid["montantAPayer"] == 0


# --------------------------------------------------------------------------------------------------
# Identifiers: causes 19-25


@both_syntaxes
def test_cause_19_siren_instead_of_siret(desk, syntax):
    siren = desk.supplier.siret[:9]
    assert desk.refusal(desk.file(syntax, supplier_siret=siren)) == (
        f"Le champ identifiant du fournisseur ({SUPPLIER_ID[syntax]}.value) "
        "doit contenir un SIRET de 14 chiffres"
    )
    sample = desk.file(syntax, recipient_siret=desk.buyer.siret[:9])
    report = desk.report(sample.content, syntax)
    (entry,) = report["listeErreurDP"]
    assert entry["identifiantDestinataire"] == desk.buyer.siret[:9]  # 9 digits come back, as seen live
    assert entry["libelleErreurDP"] == (
        f"Le champ identifiant du destinataire ({RECIPIENT_ID[syntax]}.value) "
        "doit contenir un SIRET de 14 chiffres"
    )


def test_cause_19_only_a_siren_with_scheme_0002(desk):
    # The party carries its SIREN only (scheme 0002): the platform reads the legal organisation's id.
    siren = desk.supplier.siret[:9]
    assert desk.refusal(desk.file(supplier_siret=siren, supplier_scheme="0002")) == (
        f"Le champ identifiant du fournisseur ({SELLER}.SpecifiedLegalOrganization.ID.value) "
        "doit contenir un SIRET de 14 chiffres"
    )


@both_syntaxes
def test_cause_20_siret_under_a_wrong_scheme(desk, syntax):
    # In CII the legal organisation's SIREN would be read before a GlobalID of another scheme.
    wrong = dict(supplier_scheme="0088", legal_organization=syntax == UBL)
    assert desk.refusal(desk.file(syntax, **wrong)) == (
        f"Le schema d'identification du fournisseur ({SUPPLIER_ID[syntax]}.schemeID) "
        "doit designer un SIRET (0009)"
    )
    desk.integrates(desk.file(syntax, siret_scheme="1"))  # the SIRET of the E1 CII Chorus list


@both_syntaxes
def test_cause_21_french_supplier_identified_by_its_vat_number(desk, syntax):
    vat = desk.supplier.vat_number
    assert vat
    by_vat = dict(supplier_siret=None, supplier_extra_ids=((vat, "9957"),))
    expected = (
        f"Le fournisseur ({SUPPLIER_ID[syntax]}.value) doit etre identifie par son SIRET "
        "et non par un numero de TVA"
    )
    assert desk.refusal(desk.file(syntax, **by_vat)) == expected
    assert desk.refusal(desk.file(syntax, supplier_country="GP", **by_vat)) == expected  # a DROM is French


@both_syntaxes
def test_cause_22_buyer_in_a_drom(desk, syntax):
    desk.integrates(desk.file(syntax, recipient_country="RE"))  # routed by its SIRET as in France
    by_vat = dict(recipient_siret=None, recipient_extra_ids=(("FR40" + desk.buyer.siret[:9], "9957"),))
    assert desk.refusal(desk.file(syntax, recipient_country="RE", **by_vat)) == (
        f"Le destinataire ({RECIPIENT_ID[syntax]}.value) doit etre identifie par son SIRET "
        "et non par un numero de TVA"
    )


def test_cause_22_recycling_to_a_vat_number_is_refused(desk, sim):
    invoice = desk.integrates(desk.file(note="SCENARIO=A_RECYCLER"))
    sim.admin.advance_clock(days=RECIPIENT_DAYS)
    response = desk.session.post(
        "factures/v1/recycler",
        {
            "identifiantFactureCPP": invoice["idFacture"],
            "destinataire": {"codeDestinataire": "FR40000000000"},
        },
    )
    assert response.status_code == 400 and response.json()["codeRetour"] == 20007
    assert "doit etre identifie par son SIRET et non par un numero de TVA" in response.json()["libelle"]


def test_cause_23_ubl_buyer_legal_entity(desk):
    company_id = "FichierXml.AccountingCustomerParty.Party.PartyLegalEntity.CompanyID"
    assert (
        desk.refusal(desk.file(UBL, legal_organization=False))
        == f"L'element {company_id}.value est obligatoire."
    )

    def scheme_name(root: etree._Element) -> None:
        company = root.find(
            "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", NAMESPACES
        )
        company.set("schemeName", "SIRET")

    assert (
        desk.refusal(desk.file(UBL, edit=scheme_name))
        == f"L'attribut ({company_id}.schemeName) n'est pas autorise"
    )
    desk.integrates(desk.file(CII, legal_organization=False))  # a UBL (Peppol) rule only


def test_cause_24_buyer_unknown_or_inactive(desk, sim):
    path = f"{RECIPIENT_ID[CII]}.value"
    assert desk.refusal(desk.file(recipient_siret="99999999999999")) == (
        f"L'identifiant du destinataire ({path}) est inconnu dans Chorus Pro"
    )
    assert desk.refusal(desk.file(recipient_siret=sim.dataset.inactive_recipient().siret)) == (
        f"La structure destinataire ({path}) est inactive dans Chorus Pro"
    )


def test_cause_25_two_buyer_global_ids_below_extended(desk):
    routing = dict(recipient_extra_ids=(("SERVICE_ACHATS", "0224"),))
    assert desk.refusal(desk.file(FACTURX, **routing)) == (
        f"L'element {AGREEMENT}.BuyerTradeParty.GlobalID est limite a une occurrence "
        "en profil EN16931 (FX-SCH-A-000164)"
    )
    desk.integrates(desk.file(FACTURX, profile="extended", **routing))


# --------------------------------------------------------------------------------------------------
# File content: causes 26-33


def test_cause_26_referenced_document_without_content(desk):
    bare = SampleDocument(content=None)
    assert desk.refusal(desk.file(documents=(bare,))) == (
        "L'element (AttachmentBinaryObject.value) est obligatoire si l'element "
        "(FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeAgreement."
        "AdditionalReferencedDocument) est renseigne."
    )
    assert desk.refusal(desk.file(UBL, documents=(bare,))) == (
        "L'element (Attachment.EmbeddedDocumentBinaryObject.value) est obligatoire si l'element "
        "(FichierXml.AdditionalDocumentReference) est renseigne."
    )
    desk.integrates(desk.file(documents=(SampleDocument(),)))
    invoiced_object = SampleDocument(identifier="LOT-7", content=None, type_code="130")  # BT-18, no file
    desk.integrates(desk.file(documents=(invoiced_object,)))


GROSS_PRICE_MESSAGE = (  # the platform's own text (OCA #504), 221 characters
    "L'element (AppliedTradeAllowanceCharge.ActualAmount.value) est obligatoire si l'element "
    "(SupplyChainTradeTransaction.IncludedSupplyChainTradeLineItem.SpecifiedLineTradeAgreement."
    "GrossPriceProductTradePrice) est renseigne."
)


def test_cause_27_gross_price_without_its_discount(desk):
    # libelleErreurDP is cut at 200 characters, like the platform's.
    assert desk.refusal(desk.file(gross_price="1000.00")) == GROSS_PRICE_MESSAGE[:200]
    assert desk.messages(desk.file(gross_price="1000.00")) == [GROSS_PRICE_MESSAGE]  # the whole text
    desk.integrates(desk.file(gross_price="1100.00", price_discount="100.00"))
    desk.integrates(desk.file(UBL, gross_price="1100.00", price_discount="100.00"))


def test_cause_28_markup_in_a_free_text_field(desk):
    content = desk.file(note="texte").content.replace(
        b"<ram:Content>texte</ram:Content>", b"<ram:Content><b>x</b></ram:Content>"
    )
    error = desk.technical_error(content, CII, "html.xml")
    assert (error["natureErreur"], error["codeErreur"]) == ("ERR_XSD", "ERR_XSD_001")
    assert error["libelleErreur"].startswith("IRRECEVABILITE: fichier html.xml : ")
    assert "ram:Content" in error["libelleErreur"]


def test_cause_29_quantities_prices_and_amounts_too_precise(desk):
    assert desk.refusal(desk.file(quantity="1.00001")) == (
        f"Le champ ({LINE}.SpecifiedLineTradeDelivery.BilledQuantity.value) "
        "ne doit pas comporter plus de 4 decimales"
    )
    assert desk.refusal(desk.file(unit_price="1000.0000001")) == (
        f"Le champ ({LINE}.SpecifiedLineTradeAgreement.NetPriceProductTradePrice.ChargeAmount.value) "
        "ne doit pas comporter plus de 6 decimales"
    )

    def three_decimals(root: etree._Element) -> None:
        root.find(".//ram:TaxBasisTotalAmount", NAMESPACES).text = "1000.000"

    assert desk.refusal(desk.file(edit=three_decimals)) == (
        f"Le champ ({SUMMATION}.TaxBasisTotalAmount.value) ne doit pas comporter plus de 2 decimales"
    )
    assert desk.refusal(desk.file(unit_price="12345678901234567890")).endswith(
        "ne doit pas comporter plus de 19 chiffres"
    )
    desk.integrates(desk.file(quantity="1.0000", unit_price="1000.000000"))
    assert desk.refusal(desk.file(UBL, quantity="1.00001")) == (
        "Le champ (FichierXml.InvoiceLine.InvoicedQuantity.value) ne doit pas comporter plus de 4 decimales"
    )


@pytest.mark.parametrize(
    ("fields", "path", "limit"),
    [
        ({"item_description": "D" * 1025}, f"{LINE}.SpecifiedTradeProduct.Description.value", 1024),
        ({"note": "N" * 1025}, "FichierXml.ExchangedDocument.IncludedNote.Content.value", 1024),
        (
            {"payment_terms_note": "P" * 1025},
            f"{SETTLEMENT}.SpecifiedTradePaymentTerms.Description.value",
            1024,
        ),
        ({"supplier_name": "S" * 100}, f"{SELLER}.Name.value", 99),
        ({"recipient_name": "B" * 100}, f"{AGREEMENT}.BuyerTradeParty.Name.value", 99),
        ({"payee_name": "P" * 100}, f"{SETTLEMENT}.PayeeTradeParty.Name.value", 99),
        (
            {"supplier_trading_name": "T" * 100},
            f"{SELLER}.SpecifiedLegalOrganization.TradingBusinessName.value",
            99,
        ),
        ({"supplier_street": "R" * 401}, f"{SELLER}.PostalTradeAddress.LineOne.value", 400),
        ({"supplier_city": "V" * 401}, f"{SELLER}.PostalTradeAddress.CityName.value", 400),
        (
            {"delivery_location_id": "L" * 21},
            "FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeDelivery.ShipToTradeParty.ID.value",
            20,
        ),
        (
            {"documents": (SampleDocument(identifier="R" * 51),)},
            f"{AGREEMENT}.AdditionalReferencedDocument.IssuerAssignedID.value",
            50,
        ),
    ],
    ids=lambda value: value if isinstance(value, int) else None,
)
def test_cause_30_text_fields_over_their_limit(desk, fields, path, limit):
    assert desk.refusal(desk.file(**fields)) == f"Le champ ({path}) ne doit pas depasser {limit} caracteres"
    at_limit = {
        name: ((SampleDocument(identifier="R" * limit),) if name == "documents" else value[:limit])
        for name, value in fields.items()
    }
    desk.integrates(desk.file(**at_limit))


def test_cause_30_ubl_paths(desk):
    assert desk.refusal(desk.file(UBL, supplier_name="S" * 100)) == (
        "Le champ (FichierXml.AccountingSupplierParty.Party.PartyLegalEntity.RegistrationName.value) "
        "ne doit pas depasser 99 caracteres"
    )


def test_cause_31_repeated_references_and_contacts(desk, monkeypatch):
    two_references = dict(
        type_code="381", payment_means_code=None, preceding_invoice="F-1", extra_preceding_invoices=("F-2",)
    )
    assert desk.refusal(desk.file(**two_references)) == (
        f"L'element {SETTLEMENT}.InvoiceReferencedDocument ne doit pas etre repete (2 occurrences)"
    )
    assert desk.refusal(desk.file(UBL, **two_references)) == (
        "L'element FichierXml.BillingReference ne doit pas etre repete (2 occurrences)"
    )
    # EN 16931's XSD allows one contact per party; the EXTENDED profile several, which Chorus refuses.
    contacts = dict(profile="extended", recipient_contacts=("Mme A", "M. B"))
    assert desk.refusal(desk.file(**contacts)) == (
        f"L'element {AGREEMENT}.BuyerTradeParty.DefinedTradeContact ne doit pas etre repete (2 occurrences)"
    )
    desk.integrates(desk.file(profile="extended", supplier_contacts=("Mme A",), recipient_contacts=("M. B",)))
    monkeypatch.setattr(integration, "MAX_LINES", 2)  # 999999 lines would not fit in a 10 MB file
    assert desk.refusal(desk.file(line_count=3)) == (
        f"La facture ne doit pas comporter plus de 2 lignes ({LINE})"
    )


def test_cause_32_foreign_currency_without_conversion(desk):
    assert desk.refusal(desk.file(currency="USD")) == (
        f"L'element {SETTLEMENT}.TaxCurrencyCode.value est obligatoire pour une facture en devise USD"
    )
    assert desk.refusal(desk.file(currency="USD", tax_currency="GBP")) == (
        f"Le champ ({SETTLEMENT}.TaxCurrencyCode.value) doit valoir EUR"
    )
    invoice = desk.integrates(desk.file(currency="USD", tax_currency="EUR"))
    assert invoice["devise"] == "USD"
    desk.integrates(desk.file(UBL, currency="USD", tax_currency="EUR"))


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            SampleDocument(file_name="b" * 47 + ".pdf"),
            "Le nom de la piece jointe ({binary}.filename) ne doit pas depasser 50 caracteres",
        ),
        (
            SampleDocument(file_name="bon-de-livraison"),
            "Le nom de la piece jointe ({binary}.filename) doit comporter une extension",
        ),
        (
            SampleDocument(file_name="outil.exe"),
            "L'extension EXE de la piece jointe ({binary}) n'est pas autorisee",
        ),
        (SampleDocument(content=b""), "La piece jointe ({binary}.value) est vide"),
    ],
    ids=["name-over-50", "no-extension", "extension", "empty"],
)
def test_cause_33_attachment_files(desk, document, expected):
    binary = f"{AGREEMENT}.AdditionalReferencedDocument.AttachmentBinaryObject"
    assert desk.refusal(desk.file(documents=(document,))) == expected.format(binary=binary)


def test_cause_33_fifty_characters_and_allowed_extensions_integrate(desk):
    allowed = (
        SampleDocument(file_name="b" * 46 + ".pdf"),
        SampleDocument(identifier="PV", file_name="pv.XLSX"),
    )
    desk.integrates(desk.file(documents=allowed))
    desk.integrates(desk.file(UBL, documents=allowed))


def test_cause_34_file_and_batch_too_big(desk):
    big = b"<x/>" + b" " * (10 * 1024 * 1024)
    response = desk.session.post(
        "factures/v1/deposer/flux",
        {"fichierFlux": base64.b64encode(big).decode(), "nomFichier": "gros.xml", "syntaxeFlux": CII},
    )
    assert response.status_code == 400
    assert response.json() == {"codeRetour": 20001, "libelle": "GDP_MSG_11.022"}
    batch = sample_batch(
        {"gros.xml": big, "ok.xml": desk.file().content}
    )  # compresses well: the archive is small
    error = desk.technical_error(batch, CII, "lot.zip")
    assert error["codeErreur"] == "ERR_TAILLE_001" and "gros.xml" in error["libelleErreur"]


@pytest.mark.parametrize(
    ("content", "syntax", "name", "code"),
    [
        ("facturx", CII, "f.pdf", "ERR_FORMAT_001"),  # a PDF declared as E1 CII
        ("ubl", CII, "f.xml", "ERR_FORMAT_002"),  # a UBL file declared as CII
        ("cii", UBL, "f.xml", "ERR_FORMAT_002"),
        ("cii", CII, "lot.rar", "ERR_FORMAT_001"),  # a batch that is neither zip nor tar.gz
        ("cii", CII, "lot.tgz", "ERR_FORMAT_001"),
    ],
)
def test_cause_36_syntax_does_not_match_the_file(desk, content, syntax, name, code):
    files = {"facturx": FACTURX, "ubl": UBL, "cii": CII}
    error = desk.technical_error(desk.file(files[content]).content, syntax, name)
    assert error["codeErreur"] == code and syntax in error["libelleErreur"]


def test_cause_37_pdf_that_is_not_a_facturx_container(desk):
    plain = sample_pdf_with_plain_attachment(
        supplier_siret=desk.supplier.siret, recipient_siret=desk.buyer.siret
    )
    error = desk.technical_error(plain, FACTURX, "f.pdf")
    assert (error["natureErreur"], error["codeErreur"]) == ("ERR_PDF", "ERR_PDF_003")
    assert "fx:DocumentFileName" in error["libelleErreur"]
    error = desk.technical_error(sample_pdf_without_xml(), FACTURX, "f.pdf")
    assert error["codeErreur"] == "ERR_PDF_002"


# --------------------------------------------------------------------------------------------------
# The buyer after integration: causes 43 and 44


def test_cause_43_buyer_rejects_and_the_number_stays_used(desk, sim):
    content = desk.file(note="SCENARIO=REJETEE")
    invoice = desk.integrates(content)
    sim.admin.advance_clock(days=RECIPIENT_DAYS)
    status, motif = desk.current(invoice)
    assert status == "REJETEE" and motif in lifecycle.REJECTION_MOTIFS
    # A rejected invoice is dead: the same number again is a duplicate (a credit note and a new number).
    assert desk.refusal(content) == (
        f"Le numero de facture ({NUMBER[CII]}) existe deja pour ce fournisseur sur l'annee 2026"
    )


@pytest.mark.parametrize(
    ("scenario", "motifs"),
    [("SUSPENDUE", lifecycle.SUSPENSION_MOTIFS), ("A_RECYCLER", lifecycle.RECYCLING_MOTIFS)],
)
def test_cause_44_buyer_suspends_or_sends_back_for_recycling(desk, sim, scenario, motifs):
    invoice = desk.integrates(desk.file(note=f"SCENARIO={scenario}"))
    sim.admin.advance_clock(days=RECIPIENT_DAYS)
    status, motif = desk.current(invoice)
    assert status == scenario and motif in motifs
