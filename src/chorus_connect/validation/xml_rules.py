"""Chorus Pro rules read on the XML itself: what a file can carry that the model cannot hold, or that its
reader folds away (an empty payment-means block, a code outside Chorus Pro's list, a gross price without
its discount, a UBL buyer without its legal id, the VAT in EUR of a foreign-currency invoice).

They run on every XML the checks see: the one written from the model (where most of them cannot fire) and
a user's own CII / UBL / Factur-X file, even when that file cannot be read into the model. Rule ids are
shared with the model rules of `chorus_rules` where the cause is the same (documented in docs/checks.md);
`path` names the model field, `location` the XML element at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lxml import etree

from chorus_connect.invoice.cii import RAM_NS, RSM_NS
from chorus_connect.invoice.ubl import CAC_NS, CBC_NS
from chorus_connect.invoice.ubl import is_ubl as _is_ubl
from chorus_connect.validation.findings import Finding, Layer, Severity

# Annexe EDI S2.05 (rejection cause #4), as the catalogue lists them: "1" (UNTDID "instrument not
# defined", the model's AUTRE mode) is not among them.
PAYMENT_MEANS_CODES = frozenset({"01", "10", "20", "30", "31", "42", "48", "49", "58", "59", "97"})
CREDIT_NOTE = "381"
EUR = "EUR"
_SIRET_DIGITS = 14

_NS = {"rsm": RSM_NS, "ram": RAM_NS, "cac": CAC_NS, "cbc": CBC_NS}
_SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"

XmlRule = Callable[[etree._Element], Iterator[Finding]]


def check_xml_rules(root: etree._Element) -> list[Finding]:
    """The findings of every XML rule on a CII or UBL invoice (nothing for another root)."""
    rules = (
        _UBL_RULES if _is_ubl(root) else _CII_RULES if root.tag == f"{{{RSM_NS}}}CrossIndustryInvoice" else ()
    )
    return [finding for rule in rules for finding in rule(root)]


def _finding(
    rule_id: str, path: str, message: str, element: etree._Element, severity: Severity = Severity.ERROR
) -> Finding:
    return Finding(
        rule_id, path, message, severity, Layer.CHORUS, location=element.getroottree().getpath(element)
    )


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


# ------------------------------------------------------------------------------------------ payment means


def _payment_means_findings(
    means: list[etree._Element], code_of: Callable[[etree._Element], etree._Element | None], credit_note: bool
) -> Iterator[Finding]:
    for block in means:
        code_element = code_of(block)
        code = _text(code_element)
        if not code:
            if not credit_note:  # cause #2: the block is there, its code is not (same verdict as #1)
                yield _finding(
                    "CPRO-PAY-01",
                    "payment_means.code",
                    "Le bloc de paiement (BG-16) est vide : renseignez son code (BT-81, 30 pour un "
                    "virement) ou retirez le bloc et indiquez le mode de règlement.",
                    block,
                )
        elif code not in PAYMENT_MEANS_CODES:  # cause #4
            yield _finding(
                "CPRO-PAY-05",
                "payment_means.code",
                f"Le code de moyen de paiement {code!r} n'est pas dans la liste de Chorus Pro "
                "(10, 20, 30, 31, 42, 48, 49, 58, 59, 97) : utilisez 30 (virement) de préférence.",
                code_element if code_element is not None else block,
            )


def _cii_payment_means(root: etree._Element) -> Iterator[Finding]:
    means = root.findall(f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans", _NS)
    credit_note = root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=_NS) == CREDIT_NOTE
    yield from _payment_means_findings(means, lambda b: b.find("ram:TypeCode", _NS), credit_note)


def _ubl_payment_means(root: etree._Element) -> Iterator[Finding]:
    credit_note = root.tag.endswith("CreditNote") or root.findtext("cbc:InvoiceTypeCode", namespaces=_NS) == (
        CREDIT_NOTE
    )
    means = root.findall("cac:PaymentMeans", _NS)
    yield from _payment_means_findings(means, lambda b: b.find("cbc:PaymentMeansCode", _NS), credit_note)


# ------------------------------------------------------------------------------------------ lines


def _cii_gross_prices(root: etree._Element) -> Iterator[Finding]:
    # Cause #27: Chorus Pro wants AppliedTradeAllowanceCharge/ActualAmount (BT-147) with every gross price
    # (BT-148); EN 16931 does not. The model never writes one without the other; a user's file can.
    lines = root.findall("rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem", _NS)
    for index, line in enumerate(lines):
        gross = line.find("ram:SpecifiedLineTradeAgreement/ram:GrossPriceProductTradePrice", _NS)
        if gross is not None and not _text(
            gross.find("ram:AppliedTradeAllowanceCharge/ram:ActualAmount", _NS)
        ):
            yield _finding(
                "CPRO-LIN-01",
                f"lines[{index}].gross_price",
                "Un prix brut (BT-148) sans sa remise (BT-147, AppliedTradeAllowanceCharge/ActualAmount) "
                "est refusé par Chorus Pro : ajoutez la remise ou retirez le prix brut.",
                gross,
            )


# ------------------------------------------------------------------------------------------ parties


def _ubl_buyer_legal_id(root: etree._Element) -> Iterator[Finding]:
    # Cause #23 (the Peppol route is UBL): the buyer with a SIRET also gives its legal id in
    # PartyLegalEntity/CompanyID, without a schemeName attribute.
    party = root.find("cac:AccountingCustomerParty/cac:Party", _NS)
    if party is None:
        return
    identifiers = [_text(e) for e in party.findall("cac:PartyIdentification/cbc:ID", _NS)]
    if not any(value.isdigit() and len(value) == _SIRET_DIGITS for value in identifiers):
        return  # no SIRET at all: CPRO-ID-02 / CPRO-ID-03 say so
    company = party.find("cac:PartyLegalEntity/cbc:CompanyID", _NS)
    if company is None or not _text(company):
        yield _finding(
            "CPRO-ID-07",
            "buyer.siren",
            "En UBL, l'identifiant légal de l'acheteur (PartyLegalEntity/CompanyID : son SIREN ou son "
            "SIRET) est obligatoire pour Chorus Pro : ajoutez-le.",
            party,
        )
    elif company.get("schemeName") is not None:
        yield _finding(
            "CPRO-ID-07",
            "buyer.siren",
            "L'attribut schemeName de PartyLegalEntity/CompanyID (acheteur) est refusé par Chorus Pro : "
            "retirez-le (gardez schemeID).",
            company,
        )


# ------------------------------------------------------------------------------------------ currency


def _currency_findings(
    currency_element: etree._Element | None,
    tax_currency: str,
    amounts_in_eur: bool,
    anchor: etree._Element,
) -> Iterator[Finding]:
    # Cause #32: an invoice in another currency gives its VAT in EUR too (BT-6 = EUR and BT-111).
    currency = _text(currency_element).upper() or EUR
    if currency == EUR:
        return
    where = currency_element if currency_element is not None else anchor
    if tax_currency.upper() != EUR or not amounts_in_eur:
        yield _finding(
            "CPRO-CUR-01",
            "currency",
            f"Une facture en {currency} doit aussi donner sa TVA en euros (devise de TVA BT-6 = EUR et "
            "montant BT-111) : ajoutez-les, ou établissez la facture en EUR (chorus-connect ne les écrit "
            "pas encore).",
            where,
        )
    else:
        yield _finding(
            "CPRO-CUR-02",
            "currency",
            f"Facture en {currency} : vérifiez que l'acheteur public accepte une facture en devise "
            "(Chorus Pro l'intègre, l'acheteur peut la rejeter).",
            where,
            Severity.WARNING,
        )


def _cii_currency(root: etree._Element) -> Iterator[Finding]:
    settlement = root.find(_SETTLEMENT, _NS)
    if settlement is None:
        return
    totals = settlement.findall("ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount", _NS)
    yield from _currency_findings(
        settlement.find("ram:InvoiceCurrencyCode", _NS),
        _text(settlement.find("ram:TaxCurrencyCode", _NS)),
        any((t.get("currencyID") or "").upper() == EUR for t in totals),
        settlement,
    )


def _ubl_currency(root: etree._Element) -> Iterator[Finding]:
    totals = root.findall("cac:TaxTotal/cbc:TaxAmount", _NS)
    yield from _currency_findings(
        root.find("cbc:DocumentCurrencyCode", _NS),
        _text(root.find("cbc:TaxCurrencyCode", _NS)),
        any((t.get("currencyID") or "").upper() == EUR for t in totals),
        root,
    )


_CII_RULES: tuple[XmlRule, ...] = (_cii_payment_means, _cii_gross_prices, _cii_currency)
_UBL_RULES: tuple[XmlRule, ...] = (_ubl_payment_means, _ubl_buyer_legal_id, _ubl_currency)
