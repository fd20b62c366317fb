"""The platform's integration verdict for the invoices of a flux: the `listeErreurDP` of consulterCRDetaille.

Each rule is a small function that looks at one invoice (as read by `flux_files`), the technical account
that deposited it and the platform's directory, and returns the French message the platform would send
(ASCII, no accents, naming the faulty tag as ``FichierXml.<path>.value``) or ``None``. `RULES` is the
ordered list; adding a rejection cause means adding a function to it. A rule enforcing a cause of
`shared/reference/rejection-causes.md` says its row number in a ``# cause N`` comment; docs/rejections.md
maps every row to its rule and test.

Rules about the file's own structure (payment means block, referenced documents, line prices, text
lengths…) only judge invoices read from a deposited file (`FluxInvoice.from_file`): `soumettre` and
`recycler` build their invoice from JSON and are judged by the rules about values only.

Pure logic: the directory (structures, services, invoice numbers already used) is given by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from stdnum import iban as iban_check
from stdnum.fr import siret as siret_check

from chorus_connect.simulator.dataset import (
    DEFAULT_SERVICE_CODE,
    Service,
    Structure,
    StructureKind,
    TechnicalAccount,
)
from chorus_connect.simulator.flux_files import (
    CADRES,
    FluxInvoice,
    InvoiceField,
    NumberKind,
    ReferencedDocument,
    SourceFormat,
    TextKind,
    ascii_text,
)

DP_ERROR_MAX_LENGTH = 200  # the platform cuts libelleErreurDP at about 200 characters
DP_ERROR_SEPARATOR = "|"
MAX_ENGAGEMENT_LENGTH = 50  # BR-FR-CPRO-15
MAX_MARKET_LENGTH = 50  # BR-FR-CPRO-14
MAX_INVOICE_NUMBER_LENGTH = 20  # Annexe EDI G1.05, BR-FR-CPRO-02
INVOICE_NUMBER_PATTERN = re.compile(r"[A-Za-z0-9 +_/-]+")
MAX_SERVICE_CODE_LENGTH = 100
SERVICE_CODE_PATTERN = re.compile(r"[\w -]+")  # letters (accented too), digits, _, -, space
SIRET_PATTERN = re.compile(r"\d{14}")  # no Luhn on known structures: qualification identifiers fail it
# ISO 6523 SIRET, the SIRET of the E1 CII Chorus list, and the historic SIRET-as-legal-id with 0002.
SIRET_SCHEMES = frozenset({"0009", "1", "0002"})
VAT_SCHEMES = frozenset({"9957", "VA"})  # ISO 6523 French VAT, CII VAT registration
VAT_NUMBER_PATTERN = re.compile(r"[A-Z]{2}[0-9A-Z]{8,12}")  # EU VAT: country + 8-12 characters...
VAT_NUMBER_MIN_DIGITS = 7  # ... mostly digits (a service code put in the wrong tag is not one)
FRENCH_COUNTRIES = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT"})  # metropolitan France and the DROM
CREDIT_NOTE = "381"
PAYMENT_MEANS_CODES = frozenset({"01", "10", "20", "30", "31", "42", "48", "49", "58", "59", "97"})  # S2.05
CREDIT_TRANSFER_CODES = frozenset({"30", "31", "42", "58"})
# The 2026 reform's BT-23 codes (BR-FR-08), refused on Chorus deposits (Annexe EDI G1.02) unless configured.
REFORM_FRAME_CODES = frozenset(
    {"B1", "S1", "M1", "B2", "S2", "M2", "S3", "B4", "S4", "M4", "S5", "S6", "B7", "S7"}
    | {"B8", "S8", "M8", "B9", "S9", "M9"}
)
ALREADY_PAID = CADRES["A2"]
PROFILES_WITH_ONE_BUYER_ID = frozenset({"minimum", "basicwl", "basic", "en16931"})  # FX-SCH-A-000164
MAX_ATTACHMENT_NAME = 50
MAX_LINES = 999_999
MAX_DECIMALS = {NumberKind.QUANTITY: 4, NumberKind.PRICE: 6, NumberKind.AMOUNT: 2}
MAX_DIGITS = 19
TEXT_LIMITS = {  # BR-FR-CPRO-30...44
    TextKind.ITEM_DESCRIPTION: 1024,
    TextKind.INVOICE_NOTE: 1024,
    TextKind.PAYMENT_TERMS: 1024,
    TextKind.PARTY_NAME: 99,
    TextKind.TRADING_NAME: 99,
    TextKind.SELLER_ADDRESS: 400,
    TextKind.DELIVERY_LOCATION: 20,
    TextKind.DOCUMENT_REFERENCE: 50,
}


@dataclass(frozen=True)
class RuleOptions:
    """The platform's configurable quirks (`SimulatorConfig.rules`)."""

    # cause 17: BT-23 codes of the 2026 reform (B1, S1, M1...) are refused on Chorus deposits.
    refuse_reform_frame_codes: bool = True
    # cause 6: a credit note (381) must not carry a payment means.
    refuse_credit_note_payment_means: bool = True
    # Production-like: an unknown 14-digit SIRET failing the Luhn key is "invalide" rather than "inconnu".
    # The data set's SIRETs are never Luhn-checked (qualification identifiers fail it).
    luhn_check_unknown_sirets: bool = False


DEFAULT_OPTIONS = RuleOptions()


class Directory(Protocol):
    """What the integration rules need to know about the platform's state (the lead's state implements it)."""

    def structure_by_siret(self, siret: str) -> Structure | None: ...

    def structure(self, structure_id: int) -> Structure | None: ...

    def invoice_number_taken(self, supplier_structure_id: int, number: str, year: int) -> bool:
        """Whether this supplier already has an integrated invoice with this number dated in `year`."""
        ...


@dataclass
class RuleContext:
    """One invoice being judged, with the directory look-ups the rules share (each made once)."""

    invoice: FluxInvoice
    depositor: TechnicalAccount
    directory: Directory
    options: RuleOptions = DEFAULT_OPTIONS

    def path(self, name: InvoiceField) -> str:
        return self.invoice.path(name)

    def element(self, name: InvoiceField) -> str:
        """The platform's name of the tag itself (no `.value`), for messages about the element."""
        return self.invoice.path(name).removesuffix(".value")

    @cached_property
    def supplier(self) -> Structure | None:
        return _structure(self.directory, self.invoice.supplier_id)

    @cached_property
    def recipient(self) -> Structure | None:
        return _structure(self.directory, self.invoice.recipient_id)

    @cached_property
    def service(self) -> Service | None:
        """The recipient's service named by the service code (BT-10), if both are known."""
        if self.recipient is None or self.invoice.service_code is None:
            return None
        return self.recipient.service_by_code(self.invoice.service_code)


def _structure(directory: Directory, identifier: str | None) -> Structure | None:
    if identifier is None or not SIRET_PATTERN.fullmatch(identifier):
        return None
    return directory.structure_by_siret(identifier)


Rule = Callable[[RuleContext], str | None]


# --------------------------------------------------------------------------------------------------
# Messages. The first is the platform's own wording (seen on a real rejection); the others follow it.


def mandatory(path: str) -> str:
    return f"L'element {path} est obligatoire."


def _not_a_siret(role: str, path: str) -> str:
    return f"Le champ identifiant du {role} ({path}) doit contenir un SIRET de 14 chiffres"


def too_long(path: str, limit: int) -> str:
    return f"Le champ ({path}) ne doit pas depasser {limit} caracteres"


def _is_vat_number(identifier: str, scheme: str | None) -> bool:
    if scheme in VAT_SCHEMES:
        return True
    digits = sum(character.isdigit() for character in identifier)
    return VAT_NUMBER_PATTERN.fullmatch(identifier) is not None and digits >= VAT_NUMBER_MIN_DIGITS


def _supplier_is_french(invoice: FluxInvoice) -> bool:
    country = invoice.supplier_country
    return country is None or country.upper() in FRENCH_COUNTRIES


def _supplier_identified_by_vat(invoice: FluxInvoice) -> bool:
    identifier = invoice.supplier_id
    return (
        identifier is not None
        and _supplier_is_french(invoice)
        and _is_vat_number(identifier, invoice.supplier_scheme)
    )


def _recipient_identified_by_vat(invoice: FluxInvoice) -> bool:
    identifier = invoice.recipient_id
    return identifier is not None and _is_vat_number(identifier, invoice.recipient_scheme)


def _unknown_siret(ctx: RuleContext, role: str, identifier: str, field: InvoiceField) -> str:
    path = ctx.path(field)
    if ctx.options.luhn_check_unknown_sirets and not siret_check.is_valid(identifier):
        return f"Le SIRET du {role} ({path}) est invalide (cle de controle)"
    return f"L'identifiant du {role} ({path}) est inconnu dans Chorus Pro"


def _wrong_scheme(
    ctx: RuleContext, role: str, identifier: str | None, scheme: str | None, field: InvoiceField
) -> str | None:
    # Only a 14-digit identifier under a scheme that is not a SIRET's: other identifiers get the
    # "not a SIRET" or "VAT number" message instead.
    if not ctx.invoice.from_file or identifier is None or scheme is None:
        return None
    if scheme in SIRET_SCHEMES or not SIRET_PATTERN.fullmatch(identifier):
        return None
    return f"Le schema d'identification du {role} ({ctx.path(field)}) doit designer un SIRET (0009)"


# --------------------------------------------------------------------------------------------------
# Supplier (BT-29/BT-30)


def supplier_identifier_present(ctx: RuleContext) -> str | None:
    if ctx.invoice.supplier_id is None:
        return mandatory(ctx.path(InvoiceField.SUPPLIER_ID))
    return None


def supplier_identified_by_vat_number(ctx: RuleContext) -> str | None:
    # cause 21 (and 22 for a seller in a DROM): a French seller is identified by its SIRET.
    if _supplier_identified_by_vat(ctx.invoice):
        return (
            f"Le fournisseur ({ctx.path(InvoiceField.SUPPLIER_ID)}) doit etre identifie par son SIRET "
            "et non par un numero de TVA"
        )
    return None


def supplier_identifier_is_siret(ctx: RuleContext) -> str | None:
    # cause 19: a SIREN (9 digits) or any other identifier where the SIRET is expected.
    identifier = ctx.invoice.supplier_id
    if _supplier_identified_by_vat(ctx.invoice):
        return None  # reported by supplier_identified_by_vat_number
    if identifier is not None and not SIRET_PATTERN.fullmatch(identifier):
        return _not_a_siret("fournisseur", ctx.path(InvoiceField.SUPPLIER_ID))
    return None


def supplier_identifier_scheme(ctx: RuleContext) -> str | None:
    # cause 20
    invoice = ctx.invoice
    return _wrong_scheme(
        ctx, "fournisseur", invoice.supplier_id, invoice.supplier_scheme, InvoiceField.SUPPLIER_SCHEME
    )


def supplier_known(ctx: RuleContext) -> str | None:
    identifier = ctx.invoice.supplier_id
    if identifier is not None and SIRET_PATTERN.fullmatch(identifier) and ctx.supplier is None:
        return _unknown_siret(ctx, "fournisseur", identifier, InvoiceField.SUPPLIER_ID)
    return None


def supplier_active(ctx: RuleContext) -> str | None:
    if ctx.supplier is not None and not ctx.supplier.active:
        return f"La structure fournisseur ({ctx.path(InvoiceField.SUPPLIER_ID)}) est inactive dans Chorus Pro"
    return None


def supplier_attached_to_depositor(ctx: RuleContext) -> str | None:
    if ctx.supplier is not None and ctx.supplier.structure_id not in ctx.depositor.structure_ids:
        return (
            "Le compte deposant n'est pas rattache a la structure fournisseur "
            f"({ctx.path(InvoiceField.SUPPLIER_ID)})"
        )
    return None


# --------------------------------------------------------------------------------------------------
# Recipient (BT-46/BT-47)


def recipient_identifier_present(ctx: RuleContext) -> str | None:
    if ctx.invoice.recipient_id is None:
        return mandatory(ctx.path(InvoiceField.RECIPIENT_ID))
    return None


def recipient_identified_by_vat_number(ctx: RuleContext) -> str | None:
    # cause 22: the buyer (in metropolitan France or a DROM alike) is routed by its SIRET only.
    if _recipient_identified_by_vat(ctx.invoice):
        return (
            f"Le destinataire ({ctx.path(InvoiceField.RECIPIENT_ID)}) doit etre identifie par son SIRET "
            "et non par un numero de TVA"
        )
    return None


def recipient_identifier_is_siret(ctx: RuleContext) -> str | None:
    # cause 19
    identifier = ctx.invoice.recipient_id
    if _recipient_identified_by_vat(ctx.invoice):
        return None  # reported by recipient_identified_by_vat_number
    if identifier is not None and not SIRET_PATTERN.fullmatch(identifier):
        return _not_a_siret("destinataire", ctx.path(InvoiceField.RECIPIENT_ID))
    return None


def recipient_identifier_scheme(ctx: RuleContext) -> str | None:
    # cause 20
    invoice = ctx.invoice
    return _wrong_scheme(
        ctx, "destinataire", invoice.recipient_id, invoice.recipient_scheme, InvoiceField.RECIPIENT_SCHEME
    )


def recipient_known(ctx: RuleContext) -> str | None:
    # cause 24
    identifier = ctx.invoice.recipient_id
    if identifier is not None and SIRET_PATTERN.fullmatch(identifier) and ctx.recipient is None:
        return _unknown_siret(ctx, "destinataire", identifier, InvoiceField.RECIPIENT_ID)
    return None


def recipient_active(ctx: RuleContext) -> str | None:
    # cause 24
    if ctx.recipient is not None and not ctx.recipient.active:
        return (
            f"La structure destinataire ({ctx.path(InvoiceField.RECIPIENT_ID)}) est inactive dans Chorus Pro"
        )
    return None


def recipient_public(ctx: RuleContext) -> str | None:
    if ctx.recipient is not None and ctx.recipient.kind is not StructureKind.PUBLIC:
        return (
            f"La structure destinataire ({ctx.path(InvoiceField.RECIPIENT_ID)}) "
            "n'est pas une structure publique"
        )
    return None


def recipient_legal_entity_company_id(ctx: RuleContext) -> str | None:
    # cause 23: in UBL the buyer's legal id (PartyLegalEntity/CompanyID) is required, without schemeName.
    invoice = ctx.invoice
    if not invoice.from_file or invoice.source_format is not SourceFormat.UBL:
        return None
    if invoice.recipient_id is None or not SIRET_PATTERN.fullmatch(invoice.recipient_id):
        return None  # no SIRET at all: reported by the identifier rules
    if invoice.recipient_legal_id is None:
        return mandatory(ctx.path(InvoiceField.RECIPIENT_LEGAL_ID))
    if invoice.recipient_legal_id_scheme_name is not None:
        return f"L'attribut ({ctx.path(InvoiceField.RECIPIENT_LEGAL_ID_SCHEME_NAME)}) n'est pas autorise"
    return None


def single_buyer_global_id(ctx: RuleContext) -> str | None:
    # cause 25: below EXTENDED, Factur-X allows one buyer GlobalID (the SIRET; the service code is BT-10).
    invoice = ctx.invoice
    if invoice.profile in PROFILES_WITH_ONE_BUYER_ID and invoice.recipient_global_id_count > 1:
        return (
            f"L'element {ctx.element(InvoiceField.RECIPIENT_GLOBAL_IDS)} est limite a une occurrence "
            f"en profil {invoice.profile.upper()} (FX-SCH-A-000164)"
        )
    return None


# --------------------------------------------------------------------------------------------------
# Service code (BT-10)


def service_code_required(ctx: RuleContext) -> str | None:
    # cause 7
    recipient = ctx.recipient
    if recipient is not None and recipient.service_required and ctx.invoice.service_code is None:
        return mandatory(ctx.path(InvoiceField.SERVICE_CODE))
    return None


def service_or_engagement_required(ctx: RuleContext) -> str | None:
    # cause 9: gestionNumeroEJOuCodeService, neither given (the message names BT-10 only: 200 characters).
    recipient, invoice = ctx.recipient, ctx.invoice
    if recipient is None or recipient.service_required or not recipient.engagement_or_service:
        return None
    if invoice.service_code is None and invoice.engagement_number is None:
        path = ctx.path(InvoiceField.SERVICE_CODE)
        return f"L'element {path} est obligatoire en l'absence de numero d'engagement."
    return None


def _service_code_well_formed(code: str) -> bool:
    return len(code) <= MAX_SERVICE_CODE_LENGTH and SERVICE_CODE_PATTERN.fullmatch(code) is not None


def service_code_format(ctx: RuleContext) -> str | None:
    # cause 11
    code = ctx.invoice.service_code
    if code is None:
        return None
    path = ctx.path(InvoiceField.SERVICE_CODE)
    if len(code) > MAX_SERVICE_CODE_LENGTH:
        return too_long(path, MAX_SERVICE_CODE_LENGTH)
    if not SERVICE_CODE_PATTERN.fullmatch(code):
        return f"Le champ ({path}) doit etre alphanumerique"
    return None


def service_code_reserved_to_public_suppliers(ctx: RuleContext) -> str | None:
    # cause 12
    # FACTURES_PUBLIQUES is the default service of every public structure, for public-to-public invoices.
    if ctx.invoice.service_code != DEFAULT_SERVICE_CODE:
        return None
    if ctx.supplier is not None and ctx.supplier.kind is StructureKind.PRIVATE:
        return (
            f"Le code service {DEFAULT_SERVICE_CODE} ({ctx.path(InvoiceField.SERVICE_CODE)}) "
            "est reserve aux factures entre structures publiques"
        )
    return None


def service_code_known_and_active(ctx: RuleContext) -> str | None:
    # cause 10
    code = ctx.invoice.service_code
    if ctx.recipient is None or code is None or not _service_code_well_formed(code):
        return None  # a malformed code is reported by service_code_format
    if code == DEFAULT_SERVICE_CODE and ctx.service is None:
        return None  # every public structure has it, listed or not; misuse is the rule above
    if ctx.service is None or not ctx.service.active:
        return (
            "Le code service de la structure publique destinataire "
            f"({ctx.path(InvoiceField.SERVICE_CODE)}) est inconnu ou inactif dans Chorus Pro"
        )
    return None


# --------------------------------------------------------------------------------------------------
# Engagement number (BT-13)


def engagement_required(ctx: RuleContext) -> str | None:
    # cause 8
    if ctx.recipient is None or ctx.invoice.engagement_number is not None:
        return None
    service_requires = ctx.service is not None and ctx.service.engagement_required
    if ctx.recipient.engagement_required or service_requires:
        return mandatory(ctx.path(InvoiceField.ENGAGEMENT_NUMBER))
    return None


def engagement_length(ctx: RuleContext) -> str | None:
    # cause 13
    number = ctx.invoice.engagement_number
    if number is not None and len(number) > MAX_ENGAGEMENT_LENGTH:
        return (
            f"Le champ numero d'engagement ({ctx.path(InvoiceField.ENGAGEMENT_NUMBER)}) "
            f"ne doit pas depasser {MAX_ENGAGEMENT_LENGTH} caracteres"
        )
    return None


def market_number_length(ctx: RuleContext) -> str | None:
    # cause 15
    number = ctx.invoice.market_number
    if number is not None and len(number) > MAX_MARKET_LENGTH:
        return (
            f"Le champ numero de marche ({ctx.path(InvoiceField.MARKET_NUMBER)}) "
            f"ne doit pas depasser {MAX_MARKET_LENGTH} caracteres"
        )
    return None


# --------------------------------------------------------------------------------------------------
# Invoice number (BT-1) and date (BT-2)


def invoice_number_present(ctx: RuleContext) -> str | None:
    if ctx.invoice.number is None:
        return mandatory(ctx.path(InvoiceField.NUMBER))
    return None


def _invoice_identifier_problem(label: str, number: str, path: str) -> str | None:
    if len(number) > MAX_INVOICE_NUMBER_LENGTH:
        return f"Le champ {label} ({path}) ne doit pas depasser {MAX_INVOICE_NUMBER_LENGTH} caracteres"
    if not INVOICE_NUMBER_PATTERN.fullmatch(number):
        return f"Le champ {label} ({path}) contient des caracteres non autorises"
    return None


def invoice_number_format(ctx: RuleContext) -> str | None:
    # cause 16: the platform's own text for the length (TS-live flow ...425899)
    number = ctx.invoice.number
    if number is None:
        return None
    return _invoice_identifier_problem("identifiant de la facture", number, ctx.path(InvoiceField.NUMBER))


def preceding_invoice_number_format(ctx: RuleContext) -> str | None:
    # cause 16, on every preceding-invoice reference (BT-25)
    invoice = ctx.invoice
    numbers = invoice.preceding_invoices or (
        (invoice.preceding_invoice,) if invoice.preceding_invoice else ()
    )
    path = ctx.path(InvoiceField.PRECEDING_INVOICE)
    for number in numbers:
        problem = _invoice_identifier_problem("facture d'origine", number, path)
        if problem is not None:
            return problem
    return None


def invoice_date_valid(ctx: RuleContext) -> str | None:
    if ctx.invoice.issue_date is None:
        return mandatory(ctx.path(InvoiceField.ISSUE_DATE))
    if ctx.invoice.invoice_date is None:
        return f"Le champ date de facture ({ctx.path(InvoiceField.ISSUE_DATE)}) est invalide"
    return None


def invoice_number_not_used(ctx: RuleContext) -> str | None:
    # Duplicate key: supplier structure + invoice number + year of the invoice date.
    number, date = ctx.invoice.number, ctx.invoice.invoice_date
    if number is None or date is None or ctx.supplier is None:
        return None
    if ctx.directory.invoice_number_taken(ctx.supplier.structure_id, number, date.year):
        return (
            f"Le numero de facture ({ctx.path(InvoiceField.NUMBER)}) existe deja pour ce fournisseur "
            f"sur l'annee {date.year}"
        )
    return None


# --------------------------------------------------------------------------------------------------
# Cadre de facturation (BT-23)


def frame_code(ctx: RuleContext) -> str | None:
    # cause 17: BT-23 absent or A1...A25 (the reform's B1/S1/M1... only when configured)
    invoice = ctx.invoice
    value = invoice.business_process
    if value is None or invoice.cadre is not None:
        return None
    if not ctx.options.refuse_reform_frame_codes and value.strip().upper() in REFORM_FRAME_CODES:
        return None
    return (
        f"Le champ cadre de facturation ({ctx.path(InvoiceField.BUSINESS_PROCESS)}) "
        "doit contenir un code de A1 a A25"
    )


def already_paid_frame(ctx: RuleContext) -> str | None:
    # cause 18: A2 (already paid) leaves nothing to pay
    invoice = ctx.invoice
    if invoice.cadre != ALREADY_PAID:
        return None
    if invoice.amount_due is not None and invoice.amount_due != 0:
        return f"Le cadre A2 impose un montant a payer nul ({ctx.path(InvoiceField.AMOUNT_DUE)})"
    prepaid, total = invoice.prepaid, invoice.total_with_vat
    if prepaid is not None and total is not None and prepaid != total:
        return f"Le cadre A2 impose un montant deja paye egal au TTC ({ctx.path(InvoiceField.PREPAID)})"
    return None


# --------------------------------------------------------------------------------------------------
# Payment means (BG-16)


def payment_means_present(ctx: RuleContext) -> str | None:
    # causes 1, 2, 3: the platform's own text (OCA #414, TS-live ...425895). An empty TypeCode (#2) reads
    # as absent; a Factur-X MINIMUM file (#3) has no room for the block.
    invoice = ctx.invoice
    if invoice.from_file and invoice.type_code != CREDIT_NOTE and invoice.payment_means_code is None:
        return mandatory(ctx.path(InvoiceField.PAYMENT_MEANS_CODE))
    return None


def payment_means_code_allowed(ctx: RuleContext) -> str | None:
    # cause 4: Annexe EDI S2.05
    code = ctx.invoice.payment_means_code
    if ctx.invoice.from_file and code is not None and code not in PAYMENT_MEANS_CODES:
        return (
            f"Le code du moyen de paiement ({ctx.path(InvoiceField.PAYMENT_MEANS_CODE)}) "
            "n'est pas autorise par Chorus Pro"
        )
    return None


def credit_transfer_account(ctx: RuleContext) -> str | None:
    # cause 5: a transfer needs the payee's account (BR-61), and Chorus takes an IBAN only
    invoice = ctx.invoice
    if not invoice.from_file or invoice.payment_means_code not in CREDIT_TRANSFER_CODES:
        return None
    if invoice.iban is None:
        return mandatory(ctx.path(InvoiceField.IBAN))
    if not iban_check.is_valid(invoice.iban):
        return f"Le champ ({ctx.path(InvoiceField.IBAN)}) doit contenir un IBAN valide"
    return None


def credit_note_without_payment_means(ctx: RuleContext) -> str | None:
    # cause 6
    invoice = ctx.invoice
    if (
        ctx.options.refuse_credit_note_payment_means
        and invoice.from_file
        and invoice.type_code == CREDIT_NOTE
        and invoice.payment_means_code is not None
    ):
        return (
            f"L'element {ctx.path(InvoiceField.PAYMENT_MEANS_CODE)} ne doit pas etre renseigne pour un avoir."
        )
    return None


# --------------------------------------------------------------------------------------------------
# Referenced documents (BG-24) and their files


def supporting_documents_embedded(ctx: RuleContext) -> str | None:
    # cause 26: the platform's own text
    for document in ctx.invoice.documents:
        if document.supporting_document and not document.has_content:
            return (
                f"L'element ({document.content_tag}.value) est obligatoire si l'element ({document.path}) "
                "est renseigne."
            )
    return None


def attachment_files(ctx: RuleContext) -> str | None:
    # cause 33: file name of at most 50 characters with an allowed extension, and a file that is not empty
    for document in ctx.invoice.documents:
        if document.has_content:
            problem = _attachment_problem(document)
            if problem is not None:
                return problem
    return None


def _attachment_problem(document: ReferencedDocument) -> str | None:
    # Imported here: the operations package imports the workflow, which imports this module.
    from chorus_connect.simulator.operations._reference_data import ALLOWED_ATTACHMENT_EXTENSIONS

    binary = f"{document.path}.{document.content_tag}"
    name = document.file_name or ""
    label = f"Le nom de la piece jointe ({binary}.filename)"
    if not name:
        return f"{label} est obligatoire"
    if len(name) > MAX_ATTACHMENT_NAME:
        return f"{label} ne doit pas depasser {MAX_ATTACHMENT_NAME} caracteres"
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not extension:
        return f"{label} doit comporter une extension"
    if extension.upper() not in ALLOWED_ATTACHMENT_EXTENSIONS:
        shown = ascii_text(extension.upper())[:10]
        return f"L'extension {shown} de la piece jointe ({binary}) n'est pas autorisee"
    if not document.size:
        return f"La piece jointe ({binary}.value) est vide"
    return None


# --------------------------------------------------------------------------------------------------
# Lines, numbers, texts, repetitions, currency


def gross_price_with_discount(ctx: RuleContext) -> str | None:
    # cause 27: the platform's own text (it names the line's tags without FichierXml)
    if ctx.invoice.bare_gross_price_count:
        return (
            "L'element (AppliedTradeAllowanceCharge.ActualAmount.value) est obligatoire si l'element "
            "(SupplyChainTradeTransaction.IncludedSupplyChainTradeLineItem.SpecifiedLineTradeAgreement"
            ".GrossPriceProductTradePrice) est renseigne."
        )
    return None


def number_precision(ctx: RuleContext) -> str | None:
    # cause 29: quantities 4 decimals, prices 6, amounts 2; 19 digits at most
    precision = ctx.invoice.precision
    for kind, limit in MAX_DECIMALS.items():
        found = precision.get(kind)
        if found is not None and found.decimals > limit:
            return f"Le champ ({found.decimals_path}) ne doit pas comporter plus de {limit} decimales"
    for found in precision.values():
        if found.digits > MAX_DIGITS:
            return f"Le champ ({found.digits_path}) ne doit pas comporter plus de {MAX_DIGITS} chiffres"
    return None


def text_lengths(ctx: RuleContext) -> str | None:
    # cause 30: BR-FR-CPRO length limits of free-text fields
    for found in ctx.invoice.text_lengths:
        limit = TEXT_LIMITS[found.kind]
        if found.length > limit:
            return too_long(found.path, limit)
    return None


def repeated_elements(ctx: RuleContext) -> str | None:
    # cause 31: one preceding invoice, one contact per party, at most 999999 lines
    invoice = ctx.invoice
    for counted, count in (
        (InvoiceField.PRECEDING_INVOICES, invoice.preceding_invoice_count),
        (InvoiceField.SUPPLIER_CONTACTS, invoice.supplier_contact_count),
        (InvoiceField.RECIPIENT_CONTACTS, invoice.recipient_contact_count),
    ):
        if count > 1:
            return f"L'element {ctx.element(counted)} ne doit pas etre repete ({count} occurrences)"
    if invoice.line_count > MAX_LINES:
        return (
            f"La facture ne doit pas comporter plus de {MAX_LINES} lignes ({ctx.element(InvoiceField.LINES)})"
        )
    return None


def foreign_currency_conversion(ctx: RuleContext) -> str | None:
    # cause 32: an invoice in another currency gives its VAT in EUR (BT-6 = EUR and BT-111)
    invoice = ctx.invoice
    currency = (invoice.currency or "EUR").upper()
    if not invoice.from_file or currency == "EUR":
        return None
    shown = ascii_text(currency)[:3]
    if invoice.tax_currency is None:
        path = ctx.path(InvoiceField.TAX_CURRENCY)
        return f"L'element {path} est obligatoire pour une facture en devise {shown}"
    if invoice.tax_currency.upper() != "EUR":
        return f"Le champ ({ctx.path(InvoiceField.TAX_CURRENCY)}) doit valoir EUR"
    if invoice.vat_total_in_tax_currency is None:
        path = ctx.path(InvoiceField.VAT_TOTAL_IN_TAX_CURRENCY)
        return f"L'element {path} en EUR est obligatoire pour une facture en devise {shown}"
    return None


RULES: tuple[Rule, ...] = (
    # parties: causes 19-25
    supplier_identifier_present,
    supplier_identified_by_vat_number,
    supplier_identifier_is_siret,
    supplier_identifier_scheme,
    supplier_known,
    supplier_active,
    supplier_attached_to_depositor,
    recipient_identifier_present,
    recipient_identified_by_vat_number,
    recipient_identifier_is_siret,
    recipient_identifier_scheme,
    recipient_known,
    recipient_active,
    recipient_public,
    recipient_legal_entity_company_id,
    single_buyer_global_id,
    # routing data: causes 7-13, 15
    service_code_required,
    service_or_engagement_required,
    service_code_format,
    service_code_reserved_to_public_suppliers,
    service_code_known_and_active,
    engagement_required,
    engagement_length,
    market_number_length,
    # the invoice itself: causes 16-18
    invoice_number_present,
    invoice_number_format,
    preceding_invoice_number_format,
    invoice_date_valid,
    invoice_number_not_used,
    frame_code,
    already_paid_frame,
    # payment: causes 1-6
    payment_means_present,
    payment_means_code_allowed,
    credit_transfer_account,
    credit_note_without_payment_means,
    # file content: causes 26, 27, 29-33
    supporting_documents_embedded,
    attachment_files,
    gross_price_with_discount,
    number_precision,
    text_lengths,
    repeated_elements,
    foreign_currency_conversion,
)

# --------------------------------------------------------------------------------------------------
# Entry points


def integration_errors(
    invoice: FluxInvoice,
    depositor: TechnicalAccount,
    directory: Directory,
    rules: Sequence[Rule] = RULES,
    options: RuleOptions = DEFAULT_OPTIONS,
) -> list[str]:
    """The platform's `libelleErreurDP` messages for one invoice, in rule order; empty = integrated."""
    return _judge(RuleContext(invoice, depositor, directory, options), rules)


def _judge(ctx: RuleContext, rules: Sequence[Rule]) -> list[str]:
    return [message for rule in rules if (message := rule(ctx)) is not None]


def format_dp_error(messages: Iterable[str], limit: int = DP_ERROR_MAX_LENGTH) -> str:
    """One `libelleErreurDP`: messages joined with '|' and cut at `limit` characters, like the platform."""
    return DP_ERROR_SEPARATOR.join(messages)[:limit]


@dataclass
class InvoiceVerdict:
    """The outcome for one invoice of a flux, with what the platform resolved while judging it."""

    invoice: FluxInvoice
    errors: list[str]
    supplier: Structure | None
    recipient: Structure | None
    service: Service | None

    @property
    def integrated(self) -> bool:
        return not self.errors

    def dp_error(self) -> dict[str, str]:
        """The `listeErreurDP` entry (wire names) of a refused invoice."""
        return {
            "numeroDP": self.invoice.number or "",
            "identifiantFournisseur": self.invoice.supplier_id or "",
            "identifiantDestinataire": self.invoice.recipient_id or "",
            "libelleErreurDP": format_dp_error(self.errors),
        }


@dataclass
class _FluxDirectory:
    """The directory plus the numbers integrated earlier in the same flux (a batch can hold duplicates)."""

    inner: Directory
    numbers: set[tuple[int, str, int]] = field(default_factory=set)

    def structure_by_siret(self, siret: str) -> Structure | None:
        return self.inner.structure_by_siret(siret)

    def structure(self, structure_id: int) -> Structure | None:
        return self.inner.structure(structure_id)

    def invoice_number_taken(self, supplier_structure_id: int, number: str, year: int) -> bool:
        key = (supplier_structure_id, number, year)
        return key in self.numbers or self.inner.invoice_number_taken(*key)


def judge_flux(
    invoices: Iterable[FluxInvoice],
    depositor: TechnicalAccount,
    directory: Directory,
    rules: Sequence[Rule] = RULES,
    options: RuleOptions = DEFAULT_OPTIONS,
) -> list[InvoiceVerdict]:
    """Judge every invoice of a flux in order; a number integrated earlier in the flux counts as used."""
    flux_directory = _FluxDirectory(directory)
    verdicts = []
    for invoice in invoices:
        ctx = RuleContext(invoice, depositor, flux_directory, options)
        verdict = InvoiceVerdict(invoice, _judge(ctx, rules), ctx.supplier, ctx.recipient, ctx.service)
        date = invoice.invoice_date
        if (
            verdict.integrated
            and ctx.supplier is not None
            and invoice.number is not None
            and date is not None
        ):
            flux_directory.numbers.add((ctx.supplier.structure_id, invoice.number, date.year))
        verdicts.append(verdict)
    return verdicts
