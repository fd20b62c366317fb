"""The platform's integration rules (listeErreurDP): each rule triggers with the platform-style message
naming the right tag, for CII and UBL files, against a small in-memory directory."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import pytest
from stdnum.fr import siret as siret_check

from chorus_connect.simulator.dataset import (
    AccountRole,
    Service,
    Structure,
    StructureKind,
    TechnicalAccount,
)
from chorus_connect.simulator.flux_files import NAMESPACES, FluxInvoice, SourceFormat, read_flux
from chorus_connect.simulator.integration import (
    RULES,
    RuleContext,
    RuleOptions,
    format_dp_error,
    integration_errors,
    judge_flux,
)
from chorus_connect.simulator.samples import SampleDocument, sample_batch, sample_cii, sample_ubl


def structure(structure_id: int, siret: str, kind: StructureKind, **flags) -> Structure:
    return Structure(
        structure_id=structure_id, siret=siret, name=f"Structure {structure_id}", kind=kind, **flags
    )


SERVICES = [
    Service(service_id=1, code="SERV_A", label="Service A"),
    Service(service_id=2, code="SERV_OFF", label="Service ferme", active=False),
    Service(service_id=3, code="SERV_EJ", label="Service avec EJ", engagement_required=True),
    Service(service_id=4, code="FACTURES_PUBLIQUES", label="Factures publiques"),
]
SUPPLIER = structure(1, "10000000000001", StructureKind.PRIVATE)
SUPPLIER_INACTIVE = structure(2, "10000000000002", StructureKind.PRIVATE, active=False)
SUPPLIER_NOT_ATTACHED = structure(3, "10000000000003", StructureKind.PRIVATE)
PUBLIC_SUPPLIER = structure(4, "20000000000004", StructureKind.PUBLIC)
RECIPIENT = structure(10, "30000000000010", StructureKind.PUBLIC, services=SERVICES)
RECIPIENT_SERVICE = structure(
    11, "30000000000011", StructureKind.PUBLIC, service_required=True, services=SERVICES
)
RECIPIENT_EJ = structure(
    12, "30000000000012", StructureKind.PUBLIC, engagement_required=True, services=SERVICES
)
RECIPIENT_EITHER = structure(
    13, "30000000000013", StructureKind.PUBLIC, engagement_or_service=True, services=SERVICES
)
RECIPIENT_INACTIVE = structure(14, "30000000000014", StructureKind.PUBLIC, active=False)
RECIPIENT_NO_SERVICES = structure(15, "30000000000015", StructureKind.PUBLIC)
ALL = [
    SUPPLIER,
    SUPPLIER_INACTIVE,
    SUPPLIER_NOT_ATTACHED,
    PUBLIC_SUPPLIER,
    RECIPIENT,
    RECIPIENT_SERVICE,
    RECIPIENT_EJ,
    RECIPIENT_EITHER,
    RECIPIENT_INACTIVE,
    RECIPIENT_NO_SERVICES,
]
DEPOSITOR = TechnicalAccount(
    user_id=7,
    login="TECH_1_fournisseur@cpro.fr",
    password="secret",
    password_expires_on=dt.date(2030, 1, 1),
    role=AccountRole.SUPPLIER,
    structure_ids=[SUPPLIER.structure_id, SUPPLIER_INACTIVE.structure_id, PUBLIC_SUPPLIER.structure_id],
)


@dataclass
class MemoryDirectory:
    structures: list[Structure] = field(default_factory=lambda: list(ALL))
    used_numbers: set[tuple[int, str, int]] = field(default_factory=set)

    def structure_by_siret(self, siret: str) -> Structure | None:
        return next((s for s in self.structures if s.siret == siret), None)

    def structure(self, structure_id: int) -> Structure | None:
        return next((s for s in self.structures if s.structure_id == structure_id), None)

    def invoice_number_taken(self, supplier_structure_id: int, number: str, year: int) -> bool:
        return (supplier_structure_id, number, year) in self.used_numbers


AGREEMENT = "FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeAgreement"
PATHS = {
    "cii": {
        "supplier": f"{AGREEMENT}.SellerTradeParty.GlobalID.value",
        "recipient": f"{AGREEMENT}.BuyerTradeParty.GlobalID.value",
        "service": f"{AGREEMENT}.BuyerReference.value",
        "engagement": f"{AGREEMENT}.BuyerOrderReferencedDocument.IssuerAssignedID.value",
        "number": "FichierXml.ExchangedDocument.ID.value",
    },
    "ubl": {
        "supplier": "FichierXml.AccountingSupplierParty.Party.PartyIdentification.ID.value",
        "recipient": "FichierXml.AccountingCustomerParty.Party.PartyIdentification.ID.value",
        "service": "FichierXml.BuyerReference.value",
        "engagement": "FichierXml.OrderReference.ID.value",
        "number": "FichierXml.ID.value",
    },
}
BUILDERS = {"cii": (sample_cii, "IN_DP_E1_CII_16B"), "ubl": (sample_ubl, "IN_DP_E1_UBL_INVOICE")}
DEFAULTS = dict(number="F-1", supplier_siret=SUPPLIER.siret, recipient_siret=RECIPIENT.siret)


def read(fmt: str, **fields) -> FluxInvoice:
    builder, syntax = BUILDERS[fmt]
    flux = read_flux(builder(**{**DEFAULTS, **fields}), "f.xml", syntax)
    assert flux.technical_errors == []
    return flux.invoices[0]


def errors(fmt: str, directory: MemoryDirectory | None = None, **fields) -> list[str]:
    return integration_errors(read(fmt, **fields), DEPOSITOR, directory or MemoryDirectory())


@pytest.fixture(params=["cii", "ubl"])
def fmt(request) -> str:
    return request.param


def path(fmt: str, name: str) -> str:
    return PATHS[fmt][name]


def test_valid_invoice_is_integrated(fmt):
    assert errors(fmt) == []


def test_no_luhn_check_on_sirets(fmt):
    assert not siret_check.is_valid(SUPPLIER.siret) and not siret_check.is_valid(RECIPIENT.siret)
    assert errors(fmt) == []


# --------------------------------------------------------------------------------------------------
# Supplier


def test_supplier_identifier_missing(fmt):
    assert errors(fmt, supplier_siret=None) == [f"L'element {path(fmt, 'supplier')} est obligatoire."]


def test_supplier_identifier_not_a_siret(fmt):
    assert errors(fmt, supplier_siret="100000000") == [
        f"Le champ identifiant du fournisseur ({path(fmt, 'supplier')}) doit contenir un SIRET de 14 chiffres"
    ]


def test_supplier_unknown(fmt):
    assert errors(fmt, supplier_siret="19999999999999") == [
        f"L'identifiant du fournisseur ({path(fmt, 'supplier')}) est inconnu dans Chorus Pro"
    ]


def test_supplier_inactive(fmt):
    assert errors(fmt, supplier_siret=SUPPLIER_INACTIVE.siret) == [
        f"La structure fournisseur ({path(fmt, 'supplier')}) est inactive dans Chorus Pro"
    ]


def test_supplier_not_attached_to_the_depositing_account(fmt):
    assert errors(fmt, supplier_siret=SUPPLIER_NOT_ATTACHED.siret) == [
        f"Le compte deposant n'est pas rattache a la structure fournisseur ({path(fmt, 'supplier')})"
    ]


# --------------------------------------------------------------------------------------------------
# Recipient


def test_recipient_missing(fmt):
    assert errors(fmt, recipient_siret=None) == [f"L'element {path(fmt, 'recipient')} est obligatoire."]


def test_recipient_not_a_siret(fmt):
    assert errors(fmt, recipient_siret="ABC") == [
        f"Le champ identifiant du destinataire ({path(fmt, 'recipient')}) "
        "doit contenir un SIRET de 14 chiffres"
    ]


def test_recipient_unknown(fmt):
    assert errors(fmt, recipient_siret="39999999999999") == [
        f"L'identifiant du destinataire ({path(fmt, 'recipient')}) est inconnu dans Chorus Pro"
    ]


def test_recipient_inactive(fmt):
    assert errors(fmt, recipient_siret=RECIPIENT_INACTIVE.siret) == [
        f"La structure destinataire ({path(fmt, 'recipient')}) est inactive dans Chorus Pro"
    ]


def test_recipient_must_be_public(fmt):
    assert errors(fmt, recipient_siret=SUPPLIER_NOT_ATTACHED.siret) == [
        f"La structure destinataire ({path(fmt, 'recipient')}) n'est pas une structure publique"
    ]


# --------------------------------------------------------------------------------------------------
# Service code


def test_service_code_required_by_the_recipient(fmt):
    assert errors(fmt, recipient_siret=RECIPIENT_SERVICE.siret) == [
        f"L'element {path(fmt, 'service')} est obligatoire."
    ]
    assert errors(fmt, recipient_siret=RECIPIENT_SERVICE.siret, service_code="SERV_A") == []


def test_service_or_engagement(fmt):
    assert errors(fmt, recipient_siret=RECIPIENT_EITHER.siret) == [
        f"L'element {path(fmt, 'service')} est obligatoire en l'absence de numero d'engagement."
    ]
    assert errors(fmt, recipient_siret=RECIPIENT_EITHER.siret, engagement_number="EJ-1") == []
    assert errors(fmt, recipient_siret=RECIPIENT_EITHER.siret, service_code="SERV_A") == []


@pytest.mark.parametrize("code", ["SERV_INCONNU", "SERV_OFF", "serv_a"])
def test_service_code_unknown_or_inactive(fmt, code):
    assert errors(fmt, service_code=code) == [
        "Le code service de la structure publique destinataire "
        f"({path(fmt, 'service')}) est inconnu ou inactif dans Chorus Pro"
    ]


def test_factures_publiques_refused_to_a_private_supplier(fmt):
    assert errors(fmt, service_code="FACTURES_PUBLIQUES") == [
        f"Le code service FACTURES_PUBLIQUES ({path(fmt, 'service')}) "
        "est reserve aux factures entre structures publiques"
    ]


def test_factures_publiques_accepted_from_a_public_supplier(fmt):
    assert errors(fmt, supplier_siret=PUBLIC_SUPPLIER.siret, service_code="FACTURES_PUBLIQUES") == []
    # every public structure has the default service, even when its list does not show it
    fields = dict(supplier_siret=PUBLIC_SUPPLIER.siret, recipient_siret=RECIPIENT_NO_SERVICES.siret)
    assert errors(fmt, service_code="FACTURES_PUBLIQUES", **fields) == []


# --------------------------------------------------------------------------------------------------
# Engagement number


def test_engagement_required_by_the_structure(fmt):
    assert errors(fmt, recipient_siret=RECIPIENT_EJ.siret) == [
        f"L'element {path(fmt, 'engagement')} est obligatoire."
    ]
    assert errors(fmt, recipient_siret=RECIPIENT_EJ.siret, engagement_number="EJ-1") == []


def test_engagement_required_by_the_service(fmt):
    assert errors(fmt, service_code="SERV_EJ") == [f"L'element {path(fmt, 'engagement')} est obligatoire."]
    assert errors(fmt, service_code="SERV_EJ", engagement_number="EJ-1") == []


def test_engagement_at_most_50_characters(fmt):
    assert errors(fmt, engagement_number="E" * 50) == []
    assert errors(fmt, engagement_number="E" * 51) == [
        f"Le champ numero d'engagement ({path(fmt, 'engagement')}) ne doit pas depasser 50 caracteres"
    ]


# --------------------------------------------------------------------------------------------------
# Invoice number and date


def test_invoice_number_missing(fmt):
    assert errors(fmt, number="") == [f"L'element {path(fmt, 'number')} est obligatoire."]


def test_invoice_number_already_used_by_the_supplier_that_year(fmt):
    directory = MemoryDirectory(used_numbers={(SUPPLIER.structure_id, "F-1", 2026)})
    assert errors(fmt, directory) == [
        f"Le numero de facture ({path(fmt, 'number')}) existe deja pour ce fournisseur sur l'annee 2026"
    ]
    assert errors(fmt, directory, issue_date=dt.date(2025, 12, 31)) == []  # other year
    assert errors(fmt, directory, number="F-2") == []  # other number
    other = dict(supplier_siret=PUBLIC_SUPPLIER.siret)
    assert errors(fmt, directory, **other) == []  # other supplier


def test_invalid_invoice_date():
    # CII carries the date as a string (format 102), so the XSD lets a wrong date through.
    bad = sample_cii(**DEFAULTS).replace(b">20260115<", b">20261340<")
    invoice = read_flux(bad, "f.xml", "IN_DP_E1_CII_16B").invoices[0]
    assert integration_errors(invoice, DEPOSITOR, MemoryDirectory()) == [
        "Le champ date de facture (FichierXml.ExchangedDocument.IssueDateTime.DateTimeString.value) "
        "est invalide"
    ]


# --------------------------------------------------------------------------------------------------
# Several errors, formatting, flux


def test_several_errors_in_rule_order(fmt):
    found = errors(fmt, supplier_siret="19999999999999", recipient_siret="39999999999999")
    assert [m.split(" (")[0] for m in found] == [
        "L'identifiant du fournisseur",
        "L'identifiant du destinataire",
    ]


LONG_PATH_CASES = [
    dict(supplier_siret=SUPPLIER_NOT_ATTACHED.siret),
    dict(recipient_siret="ABC"),
    dict(service_code="SERV_OFF"),
    dict(service_code="FACTURES_PUBLIQUES"),
    dict(service_code="S/1"),
    dict(recipient_siret=RECIPIENT_EITHER.siret),
    dict(engagement_number="E" * 60),
    dict(market_number="M" * 60),
    dict(number=""),
    dict(number="N" * 21),
    dict(type_code="381", preceding_invoice="P" * 21),
    dict(type_code="381", preceding_invoice="P", extra_preceding_invoices=("Q",), payment_means_code=None),
    dict(business_process="B1"),
    dict(business_process="A2"),
    dict(business_process="A2", prepaid="1000.00", edit=lambda root: _set_due(root, "0.00")),
    dict(payment_means_code=None),
    dict(payment_means_code="ZZZ"),
    dict(iban=None),
    dict(iban="FR00"),
    dict(supplier_scheme="0088", legal_organization=False),
    dict(recipient_extra_ids=(("X", "0224"),)),
    dict(currency="USD"),
    dict(currency="USD", tax_currency="GBP"),
    dict(quantity="1.123456"),
    dict(unit_price="1.12345678"),
    dict(payment_terms_note="P" * 1025),
    dict(documents=(SampleDocument(content=None),)),
    dict(documents=(SampleDocument(file_name="x" * 60 + ".pdf"),)),
    dict(documents=(SampleDocument(file_name="x.exe"),)),
    dict(documents=(SampleDocument(content=b""),)),
]


def _set_due(root, value: str) -> None:
    root.find(".//ram:DuePayableAmount", NAMESPACES).text = value


@pytest.mark.parametrize("fields", LONG_PATH_CASES)
def test_messages_are_ascii_and_each_fits_the_platform_limit(fields):
    found = errors("cii", **fields)
    assert found, fields
    for message in found:
        assert message.isascii()
        assert len(message) <= 200, message


def test_only_the_gross_price_message_is_the_platforms_own_longer_text():
    # Cause 27's text is quoted from the platform (221 characters): libelleErreurDP shows it cut.
    (message,) = errors("cii", gross_price="1.00")
    assert len(message) > 200 and message.endswith("est renseigne.")


def test_luhn_check_of_unknown_sirets_is_an_option():
    assert not siret_check.is_valid("19999999999999")
    unknown = errors("cii", supplier_siret="19999999999999")
    assert unknown == [
        f"L'identifiant du fournisseur ({path('cii', 'supplier')}) est inconnu dans Chorus Pro"
    ]
    invoice = read("cii", supplier_siret="19999999999999")
    checked = integration_errors(
        invoice, DEPOSITOR, MemoryDirectory(), options=RuleOptions(luhn_check_unknown_sirets=True)
    )
    assert checked == [f"Le SIRET du fournisseur ({path('cii', 'supplier')}) est invalide (cle de controle)"]
    # Known structures are never Luhn-checked, even with the option.
    invoice = read("cii")
    assert (
        integration_errors(invoice, DEPOSITOR, MemoryDirectory(), options=RuleOptions(True, True, True)) == []
    )


def test_invoices_not_read_from_a_file_are_judged_on_their_values_only():
    # soumettre / recycler build their invoice from JSON: no payment means block, IBAN or file structure.
    invoice = FluxInvoice(
        SourceFormat.CII,
        "",
        b"",
        None,
        {"number": "numeroFactureSaisi"},
        number="SAI-1",
        issue_date="2026-01-15",
        type_code="380",
        supplier_id=SUPPLIER.siret,
        recipient_id=RECIPIENT.siret,
        payment_means_code="30",
        currency="USD",
    )
    assert integration_errors(invoice, DEPOSITOR, MemoryDirectory()) == []
    too_long = dataclasses.replace(invoice, number="N" * 21)
    assert integration_errors(too_long, DEPOSITOR, MemoryDirectory()) == [
        "Le champ identifiant de la facture (numeroFactureSaisi) ne doit pas depasser 20 caracteres"
    ]


def test_format_dp_error_joins_and_cuts():
    assert format_dp_error(["a", "b"]) == "a|b"
    long = format_dp_error(["x" * 150, "y" * 150])
    assert len(long) == 200 and long.startswith("x" * 150 + "|y")
    assert format_dp_error(["abc"], limit=2) == "ab"


def test_custom_rules_extend_the_verdict():
    def no_note(ctx: RuleContext) -> str | None:
        return None if ctx.invoice.note else "note obligatoire"

    invoice = read("cii")
    assert integration_errors(invoice, DEPOSITOR, MemoryDirectory(), rules=(*RULES, no_note)) == [
        "note obligatoire"
    ]


def test_judge_flux_refuses_a_number_repeated_in_the_same_flux():
    batch = sample_batch(
        {
            "1.xml": sample_cii(**DEFAULTS),
            "2.xml": sample_cii(**DEFAULTS),
            "3.xml": sample_cii(**{**DEFAULTS, "number": "F-3", "service_code": "SERV_A"}),
        }
    )
    flux = read_flux(batch, "lot.zip", "IN_DP_E1_CII_16B")
    directory = MemoryDirectory()
    verdicts = judge_flux(flux.invoices, DEPOSITOR, directory)
    assert [v.integrated for v in verdicts] == [True, False, True]
    assert "existe deja" in verdicts[1].errors[0]
    assert directory.used_numbers == set()  # the caller's directory is not written to
    third = verdicts[2]
    assert (third.supplier, third.recipient) == (SUPPLIER, RECIPIENT)
    assert third.service is not None and third.service.service_id == 1
    assert verdicts[1].dp_error() == {
        "numeroDP": "F-1",
        "identifiantFournisseur": SUPPLIER.siret,
        "identifiantDestinataire": RECIPIENT.siret,
        "libelleErreurDP": format_dp_error(verdicts[1].errors),
    }


def test_refused_invoice_does_not_reserve_its_number():
    batch = sample_batch(
        {
            "1.xml": sample_cii(**{**DEFAULTS, "recipient_siret": RECIPIENT_INACTIVE.siret}),
            "2.xml": sample_cii(**DEFAULTS),
        }
    )
    verdicts = judge_flux(
        read_flux(batch, "lot.zip", "IN_DP_E1_CII_16B").invoices, DEPOSITOR, MemoryDirectory()
    )
    assert [v.integrated for v in verdicts] == [False, True]
