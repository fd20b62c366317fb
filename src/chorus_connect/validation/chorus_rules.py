"""Chorus Pro rules that no public schematron carries, and the model's own arithmetic checks.

Each rule has a stable id (documented in docs/checks.md) and reports the field of the model (JSON format)
at fault. Sources: rejection-causes.md (numbers in the comments) and chorus-pro-api.md §4.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePosixPath

from stdnum import iban as iban_check
from stdnum import luhn

from chorus_connect.invoice.enums import BillingFrame
from chorus_connect.invoice.model import Invoice, Party
from chorus_connect.validation.findings import Finding, Layer, Severity


@dataclass(frozen=True)
class ChorusContext:
    production: bool = False  # Luhn on SIRETs only in production: qualification SIRETs fail it
    supplier_public: bool = False  # FACTURES_PUBLIQUES is reserved to public suppliers
    # The 2026 reform's BT-23 codes (B1, S1, M1…) are refused on Chorus Pro deposits (Annexe EDI G1.02).
    refuse_reform_frame_codes: bool = True


Rule = Callable[[Invoice, ChorusContext], Iterator[Finding]]
RULES: list[Rule] = []

INVOICE_NUMBER = re.compile(r"^[A-Za-z0-9 +_/-]{1,20}$")
SERVICE_CODE = re.compile(r"^[\w \-]{1,100}$")  # letters (incl. accented), digits, _, -, space
PUBLIC_SERVICE = "FACTURES_PUBLIQUES"
MAX_ENGAGEMENT = 50
MAX_MARKET = 50
MAX_ATTACHMENT_NAME = 50
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 120 * 1024 * 1024
ATTACHMENT_EXTENSIONS = frozenset(
    (
        "bmp",
        "gif",
        "fax",
        "odt",
        "ppt",
        "tiff",
        "xls",
        "bz2",
        "gz",
        "jpeg",
        "p7s",
        "rtf",
        "txt",
        "xml",
        "csv",
        "gzip",
        "jpg",
        "pdf",
        "svg",
        "xhtml",
        "xlsx",
        "doc",
        "htm",
        "odp",
        "png",
        "tgz",
        "xlc",
        "zip",
        "docx",
        "html",
        "ods",
        "pps",
        "tif",
        "xlm",
        "pptx",
    )
)
FRENCH_COUNTRIES = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC", "TF"})
# BR-FR-08 (facturx-stack.md §3): the reform's BT-23 codes, valid on the 2026 platform, not on Chorus Pro.
REFORM_FRAME_CODES = frozenset(
    {"B1", "S1", "M1", "B2", "S2", "M2", "S3", "B4", "S4", "M4", "S5", "S6", "B7", "S7"}
    | {"B8", "S8", "M8", "B9", "S9", "M9"}
)
SIRET_SCHEME = "0009"
VAT_SCHEMES = frozenset({"9957", "VA"})  # ISO 6523 French VAT, CII VAT registration
VAT_NUMBER = re.compile(r"^[A-Z]{2}[0-9A-Z]{8,12}$")
MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][\w:-]*(\s[^<>]*)?/?>")  # an HTML/XML tag in free text (cause #28)
MAX_QUANTITY_DECIMALS = 4
MAX_PRICE_DECIMALS = 6
MAX_DIGITS = 19  # cause #29


def rule(function: Rule) -> Rule:
    RULES.append(function)
    return function


def _error(rule_id: str, path: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
    layer = Layer.ARITHMETIC if rule_id.startswith("CALC") else Layer.CHORUS
    return Finding(rule_id, path, message, severity, layer)


def check_chorus(invoice: Invoice, context: ChorusContext | None = None) -> list[Finding]:
    context = context or ChorusContext()
    return [finding for check in RULES for finding in check(invoice, context)]


# ------------------------------------------------------------------------------------------ identifiers


def _siret_findings(
    party: Party, role: str, label: str, context: ChorusContext, required: bool
) -> Iterator[Finding]:
    siret = party.siret
    if not siret:
        if required:
            yield _missing_siret(party, role, label)
        return
    if not (siret.isdigit() and len(siret) == 14):
        yield _error(
            "CPRO-ID-03",
            f"{role}.siret",
            f"Le SIRET du {label} doit compter exactement 14 chiffres "
            f"(valeur reçue : {siret!r}, un SIREN n'en a que 9).",
        )
        return
    if context.production and not _siret_checksum_ok(siret):
        yield _error(
            "CPRO-ID-04",
            f"{role}.siret",
            f"Le SIRET du {label} {siret} a une clé de contrôle (Luhn) invalide : vérifiez-le.",
        )
    if party.siren and party.siren != siret[:9]:
        yield _error(
            "CPRO-ID-05",
            f"{role}.siren",
            f"Le SIREN du {label} ({party.siren}) doit être les "
            f"9 premiers chiffres de son SIRET ({siret[:9]}).",
        )


def _missing_siret(party: Party, role: str, label: str) -> Finding:
    # Say why the identifier given instead is not enough (causes #20–#22), without a second finding.
    misfiled = next(
        (i for i in party.other_ids if i.value.isdigit() and len(i.value) == 14 and i.scheme != SIRET_SCHEME),
        None,
    )
    if misfiled is not None:  # cause #20
        return _error(
            "CPRO-ID-06",
            f"{role}.other_ids",
            f"Le SIRET {misfiled.value} du {label} est donné sous le schéma {misfiled.scheme or '(aucun)'} : "
            "Chorus Pro attend le schéma 0009 (ISO 6523 SIRET) ; mettez-le dans le champ siret.",
        )
    rule_id = "CPRO-ID-01" if role == "seller" else "CPRO-ID-02"
    if any(_is_vat_number(i.value, i.scheme) for i in party.other_ids):  # causes #21, #22
        return _error(
            rule_id,
            f"{role}.siret",
            f"Le {label} est identifié par un numéro de TVA : Chorus Pro route sur le SIRET "
            "(14 chiffres, y compris en outre-mer) ; renseignez-le.",
        )
    return _error(
        rule_id,
        f"{role}.siret",
        f"Renseignez le SIRET (14 chiffres) du {label} : Chorus Pro route et contrôle la facture avec.",
    )


def _is_vat_number(value: str, scheme: str | None) -> bool:
    return scheme in VAT_SCHEMES or (
        VAT_NUMBER.match(value) is not None and sum(c.isdigit() for c in value) >= 7
    )


def _siret_checksum_ok(siret: str) -> bool:
    # La Poste establishments (SIREN 356000000) use a sum-of-digits-multiple-of-5 rule instead of Luhn.
    if siret.startswith("356000000"):
        return sum(int(digit) for digit in siret) % 5 == 0
    return luhn.is_valid(siret)


@rule
def identifiers(invoice: Invoice, context: ChorusContext) -> Iterator[Finding]:
    seller_french = invoice.seller.address.country_code in FRENCH_COUNTRIES
    yield from _siret_findings(invoice.seller, "seller", "fournisseur", context, required=seller_french)
    if not seller_french and not invoice.seller.siret and not invoice.seller.other_ids:
        # Chorus Pro reads the supplier's identifier (structure type UE_HORS_FRANCE, HORS_UE…) from BT-29,
        # not from the VAT number of BT-31 (chorus-pro-api.md §3.7, rejection cause #21).
        yield _error(
            "CPRO-ID-01",
            "seller.other_ids",
            "Un fournisseur étranger est identifié par l'identifiant de sa structure Chorus Pro en BT-29 "
            "(son n° de TVA intracommunautaire dans l'UE) : renseignez seller.other_ids.",
        )
    yield from _siret_findings(invoice.buyer, "buyer", "destinataire", context, required=True)


# ------------------------------------------------------------------------------------------ payment


@rule
def payment(invoice: Invoice, context: ChorusContext) -> Iterator[Finding]:
    means = invoice.payment_means
    if invoice.is_credit_note:
        if means is not None:  # cause #6
            yield _error(
                "CPRO-PAY-03",
                "payment_means",
                "Un avoir ne doit pas porter de mode de règlement : retirez le moyen de paiement (BG-16).",
            )
        return
    if means is None:  # causes #1–#3
        yield _error(
            "CPRO-PAY-01",
            "payment_means",
            "Chorus Pro exige un mode de règlement sur une facture : "
            "renseignez payment_means (par exemple mode VIREMENT et l'IBAN).",
        )
        return
    if means.code.is_credit_transfer:  # cause #5
        if not means.iban:
            yield _error(
                "CPRO-PAY-02",
                "payment_means.iban",
                "Un virement exige l'IBAN du fournisseur (BT-84) : Chorus Pro n'accepte que l'IBAN.",
            )
        elif not iban_check.is_valid(means.iban) or len(means.iban) > 34:
            yield _error(
                "CPRO-PAY-04",
                "payment_means.iban",
                f"L'IBAN {means.iban!r} est invalide (clé ou longueur) : recopiez-le depuis le RIB.",
            )


# ------------------------------------------------------------------------------------------ credit notes


@rule
def credit_note(invoice: Invoice, context: ChorusContext) -> Iterator[Finding]:
    # Negative amounts on a 381: a connector convention (OCA), no recorded integration rejection (the
    # simulator integrates them): a warning, the buyer would read a negative credit note as an invoice.
    if not invoice.is_credit_note:
        return
    totals = invoice.totals
    if any(
        value is not None and value < 0
        for value in (totals.tax_exclusive, totals.tax_inclusive, totals.payable)
    ):
        yield _error(
            "CPRO-AVR-01",
            "totals",
            "Un avoir (381) porte des montants positifs : retirez les signes moins, le type 381 suffit.",
            Severity.WARNING,
        )
    for index, line in enumerate(invoice.lines):
        if (line.net_amount is not None and line.net_amount < 0) or line.quantity < 0:
            yield _error(
                "CPRO-AVR-01",
                f"lines[{index}].quantity",
                "Une ligne d'avoir a une quantité ou un montant négatif : indiquez-les en positif.",
                Severity.WARNING,
            )
    if not invoice.preceding_invoices:
        yield _error(
            "CPRO-AVR-02",
            "preceding_invoices",
            "Indiquez la facture d'origine de l'avoir (BT-25, numeroFactureOrigine).",
            Severity.WARNING,
        )


# ------------------------------------------------------------------------------------------ lines


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _digits(value: Decimal) -> int:
    """Significant digits as written in the XML (the writer keeps the model's digits)."""
    integer, _, fraction = format(value, "f").lstrip("+-").partition(".")
    return len(integer.lstrip("0")) + len(fraction)


@rule
def lines(invoice: Invoice, context: ChorusContext) -> Iterator[Finding]:
    for index, line in enumerate(invoice.lines):
        path = f"lines[{index}]"
        if line.gross_price is not None and line.price_discount is not None:  # cause #27
            if line.gross_price - line.price_discount != line.net_price:
                yield _error(
                    "CPRO-LIN-01",
                    f"{path}.price_discount",
                    "Prix brut − remise sur prix doit égaler le prix net "
                    "(BT-148 − BT-147 = BT-146) : corrigez la remise.",
                )
            if line.price_discount < 0:
                yield _error(
                    "CPRO-LIN-01",
                    f"{path}.price_discount",
                    "La remise sur prix (BT-147) ne peut pas être négative.",
                )
        if _decimals(line.quantity) > MAX_QUANTITY_DECIMALS:  # cause #29
            yield _error(
                "CPRO-LIN-02",
                f"{path}.quantity",
                "Chorus Pro accepte 4 décimales au plus sur une quantité : arrondissez-la.",
            )
        if _decimals(line.net_price) > MAX_PRICE_DECIMALS:
            yield _error(
                "CPRO-LIN-02",
                f"{path}.net_price",
                "Chorus Pro accepte 6 décimales au plus sur un prix : arrondissez-le.",
            )
        for name in ("quantity", "net_price", "gross_price"):
            value = getattr(line, name)
            if value is not None and _digits(value) > MAX_DIGITS:
                yield _error(
                    "CPRO-LIN-02",
                    f"{path}.{name}",
                    f"Chorus Pro accepte {MAX_DIGITS} chiffres au plus dans un nombre : réduisez-le.",
                )
        if line.net_amount is not None and line.net_amount != line.computed_net_amount():
            yield _error(
                "CALC-01",
                f"{path}.net_amount",
                f"Le montant net de la ligne ({line.net_amount}) ne "
                "correspond pas à quantité × prix net ± remises/frais "
                f"({line.computed_net_amount()}) : corrigez le prix, la quantité ou le montant.",
            )


# ------------------------------------------------------------------------------------------ references


@rule
def references(invoice: Invoice, context: ChorusContext) -> Iterator[Finding]:
    if not INVOICE_NUMBER.match(invoice.number):  # cause #16
        yield _error(
            "CPRO-NUM-01",
            "number",
            "Le numéro de facture doit faire 20 caractères au "
            "plus, parmi lettres, chiffres, espace, + _ / - .",
        )
    for index, preceding in enumerate(invoice.preceding_invoices):
        if not INVOICE_NUMBER.match(preceding.number):
            yield _error(
                "CPRO-NUM-01",
                f"preceding_invoices[{index}].number",
                "Le numéro de la facture d'origine doit faire 20 "
                "caractères au plus (lettres, chiffres, + _ / -).",
            )
    if invoice.engagement_number and len(invoice.engagement_number) > MAX_ENGAGEMENT:  # cause #13
        yield _error(
            "CPRO-EJ-01",
            "engagement_number",
            "Le numéro d'engagement juridique (BT-13) doit faire 50 caractères au plus.",
        )
    if invoice.market_number and len(invoice.market_number) > MAX_MARKET:  # cause #15
        yield _error(
            "CPRO-MKT-01", "market_number", "Le numéro de marché (BT-12) doit faire 50 caractères au plus."
        )
    code = invoice.service_code
    if code is not None:
        if not SERVICE_CODE.match(code):  # cause #11
            yield _error(
                "CPRO-SRV-01",
                "service_code",
                "Le code service (BT-10) n'admet que lettres, chiffres, espace, "
                "_ et - (100 caractères au plus) : retirez les autres caractères.",
            )
        if code.upper() == PUBLIC_SERVICE and not context.supplier_public:  # cause #12
            yield _error(
                "CPRO-SRV-02",
                "service_code",
                "Le service FACTURES_PUBLIQUES est réservé aux factures entre "
                "entités publiques : utilisez le code service donné par l'acheteur.",
            )


# ------------------------------------------------------------------------------------- texts, cardinalities

# BR-FR-CPRO-30…44 length limits (cause #30), per field of the model.
MAX_TEXT = 1024
MAX_NAME = 99
MAX_SELLER_ADDRESS = 400
MAX_DELIVERY_LOCATION = 20
MAX_DOCUMENT_REFERENCE = 50
MAX_PRECEDING_INVOICES = 1  # BR-FR-CPRO-19 (cause #31)
MAX_LINES = 999_999  # BR-FR-CPRO-27 (cause #31)


def _texts(invoice: Invoice) -> Iterator[tuple[str, str | None, int]]:
    """(field, value, limit) for every free text Chorus Pro limits."""
    for index, line in enumerate(invoice.lines):
        yield f"lines[{index}].description", line.description, MAX_TEXT
    for index, note in enumerate(invoice.notes):
        yield f"notes[{index}].text", note.text, MAX_TEXT
    yield "payment_terms", invoice.payment_terms, MAX_TEXT
    for role, party in (("seller", invoice.seller), ("buyer", invoice.buyer)):
        yield f"{role}.name", party.name, MAX_NAME
        yield f"{role}.trading_name", party.trading_name, MAX_NAME
    if invoice.payee is not None:
        yield "payee.name", invoice.payee.name, MAX_NAME
    address = invoice.seller.address
    for name in ("line1", "line2", "line3", "city"):
        yield f"seller.address.{name}", getattr(address, name), MAX_SELLER_ADDRESS
    if invoice.delivery is not None and invoice.delivery.location_id is not None:
        yield "delivery.location_id.value", invoice.delivery.location_id.value, MAX_DELIVERY_LOCATION
    for index, attachment in enumerate(invoice.attachments):
        yield f"attachments[{index}].id", attachment.id, MAX_DOCUMENT_REFERENCE


@rule
def texts(invoice: Invoice, context: ChorusContext) -> Iterator[Finding]:
    for path, value, limit in _texts(invoice):
        if value is not None and len(value) > limit:
            yield _error(
                "CPRO-TXT-01",
                path,
                f"Chorus Pro limite ce champ à {limit} caractères ({len(value)} ici) : raccourcissez-le.",
            )
    for path, value in _free_texts(invoice):
        if value and MARKUP.search(value):
            # Cause #28: written escaped, the tags pass the XSD but the buyer reads them as text.
            yield _error(
                "CPRO-TXT-02",
                path,
                "Ce texte contient des balises HTML/XML : Chorus Pro les affichera telles quelles, "
                "retirez-les (texte brut uniquement).",
                Severity.WARNING,
            )


def _free_texts(invoice: Invoice) -> Iterator[tuple[str, str | None]]:
    for index, note in enumerate(invoice.notes):
        yield f"notes[{index}].text", note.text
    yield "payment_terms", invoice.payment_terms
    for index, line in enumerate(invoice.lines):
        yield f"lines[{index}].name", line.name
        yield f"lines[{index}].description", line.description
        yield f"lines[{index}].note", line.note


@rule
def cardinalities(invoice: Invoice, context: ChorusContext) -> Iterator[Finding]:
    if len(invoice.preceding_invoices) > MAX_PRECEDING_INVOICES:
        yield _error(
            "CPRO-CARD-01",
            "preceding_invoices",
            "Chorus Pro n'accepte qu'une facture d'origine (BT-25) par facture ou avoir : "
            "faites un avoir par facture corrigée.",
        )
    if len(invoice.lines) > MAX_LINES:
        yield _error(
            "CPRO-CARD-01", "lines", f"Chorus Pro accepte {MAX_LINES} lignes au plus : scindez la facture."
        )


# ------------------------------------------------------------------------------------------ billing frame


@rule
def billing_frame(invoice: Invoice, context: ChorusContext) -> Iterator[Finding]:
    frame = invoice.billing_frame
    if not isinstance(frame, BillingFrame):  # cause #17
        if not context.refuse_reform_frame_codes and frame.strip().upper() in REFORM_FRAME_CODES:
            return  # CheckOptions(refuse_reform_frame_codes=False): the reform's platform takes them
        yield _error(
            "CPRO-CAD-04",
            "billing_frame",
            f"Le cadre de facturation (BT-23) {frame!r} n'existe pas dans Chorus Pro : "
            "utilisez A1 à A25 (A1 par défaut).",
        )
        return
    if frame is BillingFrame.A2 and invoice.totals.payable:  # cause #18
        yield _error(
            "CPRO-CAD-01",
            "totals.payable",
            "Le cadre A2 (facture déjà payée) exige un montant à "
            "payer nul : renseignez totals.prepaid = total TTC.",
        )
    if frame.is_works:
        yield _error(
            "CPRO-CAD-02",
            "billing_frame",
            f"Le cadre {frame} ({frame.api_code}) relève des factures de "
            "travaux : déposez-la par le circuit travaux (maîtrise d'œuvre).",
            Severity.WARNING,
        )
    if frame in (BillingFrame.A9, BillingFrame.A12) and invoice.payee is None:
        yield _error(
            "CPRO-CAD-03",
            "payee",
            "Une facture de sous-traitant (A9) ou de co-traitant "
            "(A12) doit désigner le bénéficiaire du paiement (BG-10).",
            Severity.WARNING,
        )


# ------------------------------------------------------------------------------------------ attachments


@rule
def attachments(invoice: Invoice, context: ChorusContext) -> Iterator[Finding]:
    total = 0
    for index, attachment in enumerate(invoice.attachments):
        path = f"attachments[{index}]"
        if attachment.content is None:  # cause #26
            yield _error(
                "CPRO-PJ-01",
                f"{path}.content",
                "Chorus Pro refuse une pièce jointe sans contenu : joignez le "
                "fichier ou retirez la référence (mettez le n° de commande en BT-13).",
            )
            continue
        total += len(attachment.content)
        name = attachment.filename or ""
        suffix = PurePosixPath(name).suffix.lower().lstrip(".")
        if not name or not suffix or len(name) > MAX_ATTACHMENT_NAME:
            yield _error(
                "CPRO-PJ-02",
                f"{path}.filename",
                "Le nom de la pièce jointe doit avoir une extension "
                "et 50 caractères au plus (extension comprise).",
            )
        elif suffix not in ATTACHMENT_EXTENSIONS:
            yield _error(
                "CPRO-PJ-03",
                f"{path}.filename",
                f"L'extension .{suffix} n'est pas acceptée par Chorus "
                "Pro : convertissez le fichier (PDF, par exemple).",
            )
        if len(attachment.content) > MAX_ATTACHMENT_BYTES:
            yield _error(
                "CPRO-PJ-04",
                f"{path}.content",
                "Une pièce jointe ne doit pas dépasser 10 Mo : compressez-la ou scindez-la.",
            )
        elif not attachment.content:  # cause #33
            yield _error(
                "CPRO-PJ-04", f"{path}.content", "La pièce jointe est vide : joignez le bon fichier."
            )
    if total > MAX_TOTAL_BYTES:
        yield _error(
            "CPRO-PJ-04", "attachments", "Les pièces jointes dépassent 120 Mo au total : allégez-les."
        )


# ------------------------------------------------------------------------------------------ arithmetic


@rule
def arithmetic(invoice: Invoice, context: ChorusContext) -> Iterator[Finding]:
    if not invoice.lines:
        return  # MINIMUM / BASIC WL documents carry no lines to recompute from
    given = {entry.key: entry for entry in invoice.vat_breakdown}
    for expected in invoice.computed_vat_breakdown():
        entry = given.get(expected.key)
        rate = "" if expected.rate is None else f" {expected.rate} %"
        if entry is None:
            yield _error(
                "CALC-02",
                "vat_breakdown",
                f"Il manque la ventilation de TVA {expected.category}{rate} (BG-23).",
            )
        elif (entry.taxable_amount, entry.tax_amount) != (expected.taxable_amount, expected.tax_amount):
            yield _error(
                "CALC-02",
                "vat_breakdown",
                f"Ventilation de TVA {expected.category}{rate} : base "
                f"{entry.taxable_amount} / TVA {entry.tax_amount}, attendu "
                f"{expected.taxable_amount} / {expected.tax_amount} : corrigez-la ou laissez-la calculer.",
            )
    computed = invoice.computed_totals()
    for name in (
        "line_total",
        "allowance_total",
        "charge_total",
        "tax_exclusive",
        "tax_total",
        "tax_inclusive",
        "payable",
    ):
        value, expected_value = getattr(invoice.totals, name), getattr(computed, name)
        if value is not None and expected_value is not None and value != expected_value:
            yield _error(
                "CALC-03",
                f"totals.{name}",
                f"Le total {name} vaut {value} mais les lignes donnent "
                f"{expected_value} : corrigez-le ou laissez-le calculer.",
            )
