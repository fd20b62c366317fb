"""Sample flux files for the simulator's tests and the scripted demo (not the product's invoice generator).

`sample_cii`, `sample_ubl` and `sample_facturx` build one XSD-valid EN 16931 invoice (or credit note,
type 381) from a `SampleInvoice`; keyword arguments override its fields, and a field set to ``None``
leaves its tag out (to provoke a rejection). The optional knobs (profile, contacts, gross prices,
referenced documents, text fields, tax currency…) add what the platform's rejection rules look at;
`edit` changes the finished tree for anything else. `sample_batch` packs files into a .zip or .tar.gz batch.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import gzip
import io
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from lxml import etree
from lxml.builder import ElementMaker

from chorus_connect.simulator.flux_files import NAMESPACES

CENT = Decimal("0.01")
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
# Factur-X profile -> guideline id (BT-24) of the CII
GUIDELINES = {
    "minimum": "urn:factur-x.eu:1p0:minimum",
    "basic": "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
    "en16931": EN16931_GUIDELINE,
    "extended": "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
}


@dataclasses.dataclass(frozen=True)
class SampleDocument:
    """A BG-24 supporting document; `content=None` gives a bare reference with no embedded file."""

    identifier: str = "BL-2026-001"  # BT-122
    file_name: str = "bon-de-livraison.pdf"
    content: bytes | None = b"%PDF-1.7 bon de livraison"
    mime_code: str = "application/pdf"
    type_code: str = "916"  # 916 supporting document; 130 invoiced object (BT-18); 50 tender (BT-17)


@dataclasses.dataclass(frozen=True)
class SampleInvoice:
    """What a sample invoice says. Defaults: a 1 000 EUR + 20 % VAT A1 invoice paid by transfer."""

    number: str = "F2026-0001"
    issue_date: dt.date = dt.date(2026, 1, 15)
    type_code: str = "380"  # 380 invoice, 381 credit note
    currency: str = "EUR"
    business_process: str | None = "A1"  # BT-23, cadre de facturation
    supplier_siret: str | None = "00000000005719"
    supplier_name: str = "Fournisseur Exemple SARL"
    recipient_siret: str | None = "00000000005734"
    recipient_name: str = "Commune d'Exemple"
    siret_scheme: str = "0009"  # ISO 6523 SIRET; the E1 CII Chorus list uses "1"
    service_code: str | None = None  # BT-10
    engagement_number: str | None = None  # BT-13
    market_number: str | None = None  # BT-12
    preceding_invoice: str | None = None  # BT-25 (credit notes)
    amount_without_vat: Decimal = Decimal("1000.00")
    vat_rate: Decimal = Decimal("20.00")
    prepaid: Decimal = Decimal("0.00")
    line_count: int = 1
    payment_means_code: str | None = "30"  # BT-81; None leaves the payment means out
    iban: str | None = "FR7630006000011234567890189"
    note: str | None = None
    # Knobs for the platform's rejection rules; their defaults leave the file as above.
    profile: str = "en16931"  # Factur-X profile of the CII: minimum, basic, en16931, extended
    supplier_country: str = "FR"  # BT-40
    recipient_country: str = "FR"  # BT-55
    supplier_scheme: str | None = None  # scheme of the supplier id (BT-29-1); None: siret_scheme
    recipient_scheme: str | None = None  # BT-46-1; None: siret_scheme
    legal_organization: bool = (
        True  # the SIREN (0002) legal ids: CII SpecifiedLegalOrganization, UBL CompanyID
    )
    supplier_extra_ids: tuple[tuple[str, str], ...] = ()  # more (value, scheme) ids after the SIRET
    recipient_extra_ids: tuple[tuple[str, str], ...] = ()
    supplier_contacts: tuple[str, ...] = ()  # contact names (BG-6); UBL carries the first only
    recipient_contacts: tuple[str, ...] = ()  # BG-9
    extra_preceding_invoices: tuple[str, ...] = ()  # more BT-25 after `preceding_invoice`
    quantity: str = "1"  # BT-129 of every line, as written
    unit_price: str | None = None  # BT-146 as written; None: the line amount
    gross_price: str | None = None  # BT-148 of every line (CII; UBL only with a price discount)
    price_discount: str | None = None  # BT-147, the AppliedTradeAllowanceCharge of the gross price
    item_description: str | None = None  # BT-154
    payment_terms_note: str | None = None  # BT-20
    payee_name: str | None = None  # BT-59 (BG-10)
    supplier_trading_name: str | None = None  # BT-28
    supplier_street: str | None = None  # BT-35
    supplier_city: str | None = None  # BT-37
    delivery_location_id: str | None = None  # BT-71
    documents: tuple[SampleDocument, ...] = ()  # BG-24
    tax_currency: str | None = None  # BT-6, with the VAT total in that currency (BT-111)
    edit: Callable[[etree._Element], None] | None = dataclasses.field(default=None, compare=False)

    @property
    def vat_amount(self) -> Decimal:
        return (self.amount_without_vat * self.vat_rate / 100).quantize(CENT, ROUND_HALF_UP)

    @property
    def amount_with_vat(self) -> Decimal:
        return self.amount_without_vat + self.vat_amount

    @property
    def amount_due(self) -> Decimal:
        return self.amount_with_vat - self.prepaid

    @property
    def due_date(self) -> dt.date:
        return self.issue_date + dt.timedelta(days=30)

    @property
    def supplier_vat_number(self) -> str | None:
        """French VAT number derived from the supplier SIREN (BT-31, needed with VAT category S)."""
        if self.supplier_siret is None or not self.supplier_siret[:9].isdigit():
            return None
        siren = int(self.supplier_siret[:9])
        return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{self.supplier_siret[:9]}"

    @property
    def credit_note(self) -> bool:
        return self.type_code == "381"

    def line_amounts(self) -> list[Decimal]:
        """Line net amounts that add up exactly to the total (the last line takes the remainder)."""
        count = max(1, self.line_count)
        share = (self.amount_without_vat / count).quantize(CENT, ROUND_DOWN)
        return [share] * (count - 1) + [self.amount_without_vat - share * (count - 1)]


def _invoice(base: SampleInvoice | None, changes: Mapping[str, Any]) -> SampleInvoice:
    invoice = dataclasses.replace(base or SampleInvoice(), **changes)
    for name in ("amount_without_vat", "vat_rate", "prepaid"):
        value = getattr(invoice, name)
        if not isinstance(value, Decimal):
            invoice = dataclasses.replace(invoice, **{name: Decimal(str(value))})
    return invoice


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


def _xml_bytes(root: etree._Element, edit: Callable[[etree._Element], None] | None = None) -> bytes:
    if edit is not None:
        edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _base64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


# --------------------------------------------------------------------------------------------------
# CII (Factur-X EN 16931 profile, D16B)


class _CiiMakers:
    """The element makers of a CII document."""

    def __init__(self) -> None:
        nsmap = {k: NAMESPACES[k] for k in ("rsm", "ram", "udt", "qdt")}
        self.rsm = ElementMaker(namespace=NAMESPACES["rsm"], nsmap=nsmap)
        self.ram = ElementMaker(namespace=NAMESPACES["ram"])
        self.udt = ElementMaker(namespace=NAMESPACES["udt"])

    def date(self, value: dt.date) -> etree._Element:
        return self.udt.DateTimeString(value.strftime("%Y%m%d"), format="102")

    def context(self, invoice: SampleInvoice) -> etree._Element:
        context = self.rsm.ExchangedDocumentContext()
        if invoice.business_process is not None:
            context.append(
                self.ram.BusinessProcessSpecifiedDocumentContextParameter(
                    self.ram.ID(invoice.business_process)
                )
            )
        guideline = GUIDELINES.get(invoice.profile, invoice.profile)
        context.append(self.ram.GuidelineSpecifiedDocumentContextParameter(self.ram.ID(guideline)))
        return context


def sample_cii(base: SampleInvoice | None = None, /, **changes: Any) -> bytes:
    """An EN 16931 CII invoice (the XML of `IN_DP_E1_CII_16B`, and the one embedded in Factur-X);
    with `profile="minimum"` the Factur-X MINIMUM body, which has no room for a payment means."""
    invoice = _invoice(base, changes)
    make = _CiiMakers()
    if invoice.profile == "minimum":
        return _xml_bytes(_minimum_cii(invoice, make), invoice.edit)
    rsm, ram = make.rsm, make.ram
    date = make.date

    def party(
        tag: str,
        siret: str | None,
        name: str,
        *,
        scheme: str | None,
        extra_ids: tuple[tuple[str, str], ...],
        contacts: tuple[str, ...],
        country: str,
        vat_number: str | None = None,
        trading_name: str | None = None,
        street: str | None = None,
        city: str | None = None,
    ) -> etree._Element:
        element = getattr(ram, tag)()
        if siret is not None:
            element.append(ram.GlobalID(siret, schemeID=scheme or invoice.siret_scheme))
        for value, other_scheme in extra_ids:
            element.append(ram.GlobalID(value, schemeID=other_scheme))
        element.append(ram.Name(name))
        legal = ram.SpecifiedLegalOrganization()
        if siret is not None and invoice.legal_organization:
            legal.append(ram.ID(siret[:9], schemeID="0002"))
        if trading_name is not None:
            legal.append(ram.TradingBusinessName(trading_name))
        if len(legal):
            element.append(legal)
        for contact in contacts:
            element.append(ram.DefinedTradeContact(ram.PersonName(contact)))
        address = ram.PostalTradeAddress()
        if street is not None:
            address.append(ram.LineOne(street))
        if city is not None:
            address.append(ram.CityName(city))
        address.append(ram.CountryID(country))
        element.append(address)
        if vat_number is not None:
            element.append(ram.SpecifiedTaxRegistration(ram.ID(vat_number, schemeID="VA")))
        return element

    document = rsm.ExchangedDocument(
        ram.ID(invoice.number), ram.TypeCode(invoice.type_code), ram.IssueDateTime(date(invoice.issue_date))
    )
    if invoice.note is not None:
        document.append(ram.IncludedNote(ram.Content(invoice.note)))

    transaction = rsm.SupplyChainTradeTransaction()
    for index, amount in enumerate(invoice.line_amounts(), start=1):
        transaction.append(_cii_line(make, invoice, index, amount))

    agreement = ram.ApplicableHeaderTradeAgreement()
    if invoice.service_code is not None:
        agreement.append(ram.BuyerReference(invoice.service_code))
    agreement.append(
        party(
            "SellerTradeParty",
            invoice.supplier_siret,
            invoice.supplier_name,
            scheme=invoice.supplier_scheme,
            extra_ids=invoice.supplier_extra_ids,
            contacts=invoice.supplier_contacts,
            country=invoice.supplier_country,
            vat_number=invoice.supplier_vat_number,
            trading_name=invoice.supplier_trading_name,
            street=invoice.supplier_street,
            city=invoice.supplier_city,
        )
    )
    agreement.append(
        party(
            "BuyerTradeParty",
            invoice.recipient_siret,
            invoice.recipient_name,
            scheme=invoice.recipient_scheme,
            extra_ids=invoice.recipient_extra_ids,
            contacts=invoice.recipient_contacts,
            country=invoice.recipient_country,
        )
    )
    if invoice.engagement_number is not None:
        agreement.append(ram.BuyerOrderReferencedDocument(ram.IssuerAssignedID(invoice.engagement_number)))
    if invoice.market_number is not None:
        agreement.append(ram.ContractReferencedDocument(ram.IssuerAssignedID(invoice.market_number)))
    for referenced in invoice.documents:
        agreement.append(_cii_document(make, referenced))
    transaction.append(agreement)
    delivery = ram.ApplicableHeaderTradeDelivery()
    if invoice.delivery_location_id is not None:
        delivery.append(ram.ShipToTradeParty(ram.ID(invoice.delivery_location_id)))
    delivery.append(ram.ActualDeliverySupplyChainEvent(ram.OccurrenceDateTime(date(invoice.issue_date))))
    transaction.append(delivery)
    transaction.append(_cii_settlement(make, invoice))

    return _xml_bytes(rsm.CrossIndustryInvoice(make.context(invoice), document, transaction), invoice.edit)


def _cii_line(make: _CiiMakers, invoice: SampleInvoice, index: int, amount: Decimal) -> etree._Element:
    ram = make.ram
    product = ram.SpecifiedTradeProduct(ram.Name(f"Prestation {index}"))
    if invoice.item_description is not None:
        product.append(ram.Description(invoice.item_description))
    agreement = ram.SpecifiedLineTradeAgreement()
    if invoice.gross_price is not None:
        gross = ram.GrossPriceProductTradePrice(ram.ChargeAmount(invoice.gross_price))
        if invoice.price_discount is not None:
            gross.append(
                ram.AppliedTradeAllowanceCharge(
                    ram.ChargeIndicator(make.udt.Indicator("false")), ram.ActualAmount(invoice.price_discount)
                )
            )
        agreement.append(gross)
    agreement.append(ram.NetPriceProductTradePrice(ram.ChargeAmount(invoice.unit_price or _money(amount))))
    return ram.IncludedSupplyChainTradeLineItem(
        ram.AssociatedDocumentLineDocument(ram.LineID(str(index))),
        product,
        agreement,
        ram.SpecifiedLineTradeDelivery(ram.BilledQuantity(invoice.quantity, unitCode="C62")),
        ram.SpecifiedLineTradeSettlement(
            ram.ApplicableTradeTax(
                ram.TypeCode("VAT"),
                ram.CategoryCode("S"),
                ram.RateApplicablePercent(_money(invoice.vat_rate)),
            ),
            ram.SpecifiedTradeSettlementLineMonetarySummation(ram.LineTotalAmount(_money(amount))),
        ),
    )


def _cii_document(make: _CiiMakers, referenced: SampleDocument) -> etree._Element:
    ram = make.ram
    element = ram.AdditionalReferencedDocument(
        ram.IssuerAssignedID(referenced.identifier), ram.TypeCode(referenced.type_code)
    )
    if referenced.content is not None:
        element.append(
            ram.AttachmentBinaryObject(
                _base64(referenced.content), mimeCode=referenced.mime_code, filename=referenced.file_name
            )
        )
    return element


def _cii_settlement(make: _CiiMakers, invoice: SampleInvoice) -> etree._Element:
    ram, date = make.ram, make.date
    settlement = ram.ApplicableHeaderTradeSettlement()
    if invoice.tax_currency is not None:
        settlement.append(ram.TaxCurrencyCode(invoice.tax_currency))
    settlement.append(ram.InvoiceCurrencyCode(invoice.currency))
    if invoice.payee_name is not None:
        settlement.append(ram.PayeeTradeParty(ram.Name(invoice.payee_name)))
    if invoice.payment_means_code is not None:
        means = ram.SpecifiedTradeSettlementPaymentMeans(ram.TypeCode(invoice.payment_means_code))
        if invoice.iban is not None:
            means.append(ram.PayeePartyCreditorFinancialAccount(ram.IBANID(invoice.iban)))
        settlement.append(means)
    settlement.append(
        ram.ApplicableTradeTax(
            ram.CalculatedAmount(_money(invoice.vat_amount)),
            ram.TypeCode("VAT"),
            ram.BasisAmount(_money(invoice.amount_without_vat)),
            ram.CategoryCode("S"),
            ram.RateApplicablePercent(_money(invoice.vat_rate)),
        )
    )
    terms = ram.SpecifiedTradePaymentTerms()
    if invoice.payment_terms_note is not None:
        terms.append(ram.Description(invoice.payment_terms_note))
    terms.append(ram.DueDateDateTime(date(invoice.due_date)))
    settlement.append(terms)
    summation = ram.SpecifiedTradeSettlementHeaderMonetarySummation(
        ram.LineTotalAmount(_money(invoice.amount_without_vat)),
        ram.TaxBasisTotalAmount(_money(invoice.amount_without_vat)),
        ram.TaxTotalAmount(_money(invoice.vat_amount), currencyID=invoice.currency),
    )
    if invoice.tax_currency is not None:
        summation.append(ram.TaxTotalAmount(_money(invoice.vat_amount), currencyID=invoice.tax_currency))
    summation.append(ram.GrandTotalAmount(_money(invoice.amount_with_vat)))
    summation.append(ram.TotalPrepaidAmount(_money(invoice.prepaid)))
    summation.append(ram.DuePayableAmount(_money(invoice.amount_due)))
    settlement.append(summation)
    for preceding in _preceding_invoices(invoice):
        settlement.append(ram.InvoiceReferencedDocument(ram.IssuerAssignedID(preceding)))
    return settlement


def _preceding_invoices(invoice: SampleInvoice) -> list[str]:
    first = [invoice.preceding_invoice] if invoice.preceding_invoice is not None else []
    return first + list(invoice.extra_preceding_invoices)


def _minimum_cii(invoice: SampleInvoice, make: _CiiMakers) -> etree._Element:
    """The Factur-X MINIMUM body: parties with their SIRET as legal id, totals, no lines, no payment means."""
    rsm, ram = make.rsm, make.ram

    def party(tag: str, siret: str | None, name: str, country: str | None) -> etree._Element:
        element = getattr(ram, tag)(ram.Name(name))
        if siret is not None:
            element.append(ram.SpecifiedLegalOrganization(ram.ID(siret, schemeID="0009")))
        if country is not None:
            element.append(ram.PostalTradeAddress(ram.CountryID(country)))
        return element

    agreement = ram.ApplicableHeaderTradeAgreement()
    if invoice.service_code is not None:
        agreement.append(ram.BuyerReference(invoice.service_code))
    seller = party(
        "SellerTradeParty", invoice.supplier_siret, invoice.supplier_name, invoice.supplier_country
    )
    if invoice.supplier_vat_number is not None:
        seller.append(ram.SpecifiedTaxRegistration(ram.ID(invoice.supplier_vat_number, schemeID="VA")))
    agreement.append(seller)
    agreement.append(party("BuyerTradeParty", invoice.recipient_siret, invoice.recipient_name, None))
    if invoice.engagement_number is not None:
        agreement.append(ram.BuyerOrderReferencedDocument(ram.IssuerAssignedID(invoice.engagement_number)))
    settlement = ram.ApplicableHeaderTradeSettlement(
        ram.InvoiceCurrencyCode(invoice.currency),
        ram.SpecifiedTradeSettlementHeaderMonetarySummation(
            ram.TaxBasisTotalAmount(_money(invoice.amount_without_vat)),
            ram.TaxTotalAmount(_money(invoice.vat_amount), currencyID=invoice.currency),
            ram.GrandTotalAmount(_money(invoice.amount_with_vat)),
            ram.DuePayableAmount(_money(invoice.amount_due)),
        ),
    )
    document = rsm.ExchangedDocument(
        ram.ID(invoice.number),
        ram.TypeCode(invoice.type_code),
        ram.IssueDateTime(make.date(invoice.issue_date)),
    )
    transaction = rsm.SupplyChainTradeTransaction(agreement, ram.ApplicableHeaderTradeDelivery(), settlement)
    return rsm.CrossIndustryInvoice(make.context(invoice), document, transaction)


# --------------------------------------------------------------------------------------------------
# UBL 2.1 (Invoice or CreditNote)


def sample_ubl(base: SampleInvoice | None = None, /, **changes: Any) -> bytes:
    """An EN 16931 UBL 2.1 Invoice (or CreditNote for type 381), the file of `IN_DP_E1_UBL_INVOICE`."""
    invoice = _invoice(base, changes)
    kind = "CreditNote" if invoice.credit_note else "Invoice"
    root_ns = NAMESPACES["cn" if invoice.credit_note else "inv"]
    doc = ElementMaker(
        namespace=root_ns, nsmap={None: root_ns, "cac": NAMESPACES["cac"], "cbc": NAMESPACES["cbc"]}
    )
    cac = ElementMaker(namespace=NAMESPACES["cac"])
    cbc = ElementMaker(namespace=NAMESPACES["cbc"])
    currency = {"currencyID": invoice.currency}

    def money(tag: str, value: Decimal) -> etree._Element:
        return getattr(cbc, tag)(_money(value), **currency)

    def party(
        tag: str,
        siret: str | None,
        name: str,
        *,
        scheme: str | None,
        extra_ids: tuple[tuple[str, str], ...],
        contacts: tuple[str, ...],
        country: str,
        vat_number: str | None = None,
        trading_name: str | None = None,
        street: str | None = None,
        city: str | None = None,
    ) -> etree._Element:
        inner = cac.Party()
        if siret is not None:
            inner.append(cac.PartyIdentification(cbc.ID(siret, schemeID=scheme or invoice.siret_scheme)))
        for value, other_scheme in extra_ids:
            inner.append(cac.PartyIdentification(cbc.ID(value, schemeID=other_scheme)))
        if trading_name is not None:
            inner.append(cac.PartyName(cbc.Name(trading_name)))
        address = cac.PostalAddress()
        if street is not None:
            address.append(cbc.StreetName(street))
        if city is not None:
            address.append(cbc.CityName(city))
        address.append(cac.Country(cbc.IdentificationCode(country)))
        inner.append(address)
        if vat_number is not None:
            inner.append(cac.PartyTaxScheme(cbc.CompanyID(vat_number), cac.TaxScheme(cbc.ID("VAT"))))
        legal = cac.PartyLegalEntity(cbc.RegistrationName(name))
        if siret is not None and invoice.legal_organization:
            legal.append(cbc.CompanyID(siret[:9], schemeID="0002"))
        inner.append(legal)
        if contacts:
            inner.append(cac.Contact(cbc.Name(contacts[0])))
        return getattr(cac, tag)(inner)

    root = getattr(doc, kind)(cbc.CustomizationID(EN16931_GUIDELINE))
    if invoice.business_process is not None:
        root.append(cbc.ProfileID(invoice.business_process))
    root.append(cbc.ID(invoice.number))
    root.append(cbc.IssueDate(invoice.issue_date.isoformat()))
    if not invoice.credit_note:
        root.append(cbc.DueDate(invoice.due_date.isoformat()))
    root.append(getattr(cbc, f"{kind}TypeCode")(invoice.type_code))
    if invoice.note is not None:
        root.append(cbc.Note(invoice.note))
    root.append(cbc.DocumentCurrencyCode(invoice.currency))
    if invoice.tax_currency is not None:
        root.append(cbc.TaxCurrencyCode(invoice.tax_currency))
    if invoice.service_code is not None:
        root.append(cbc.BuyerReference(invoice.service_code))
    if invoice.engagement_number is not None:
        root.append(cac.OrderReference(cbc.ID(invoice.engagement_number)))
    for preceding in _preceding_invoices(invoice):
        root.append(cac.BillingReference(cac.InvoiceDocumentReference(cbc.ID(preceding))))
    if invoice.market_number is not None:
        root.append(cac.ContractDocumentReference(cbc.ID(invoice.market_number)))
    for referenced in invoice.documents:
        reference = cac.AdditionalDocumentReference(cbc.ID(referenced.identifier))
        if referenced.type_code != "916":  # BG-24 carries no type code in UBL
            reference.append(cbc.DocumentTypeCode(referenced.type_code))
        if referenced.content is not None:
            reference.append(
                cac.Attachment(
                    cbc.EmbeddedDocumentBinaryObject(
                        _base64(referenced.content),
                        mimeCode=referenced.mime_code,
                        filename=referenced.file_name,
                    )
                )
            )
        root.append(reference)
    root.append(
        party(
            "AccountingSupplierParty",
            invoice.supplier_siret,
            invoice.supplier_name,
            scheme=invoice.supplier_scheme,
            extra_ids=invoice.supplier_extra_ids,
            contacts=invoice.supplier_contacts,
            country=invoice.supplier_country,
            vat_number=invoice.supplier_vat_number,
            trading_name=invoice.supplier_trading_name,
            street=invoice.supplier_street,
            city=invoice.supplier_city,
        )
    )
    root.append(
        party(
            "AccountingCustomerParty",
            invoice.recipient_siret,
            invoice.recipient_name,
            scheme=invoice.recipient_scheme,
            extra_ids=invoice.recipient_extra_ids,
            contacts=invoice.recipient_contacts,
            country=invoice.recipient_country,
        )
    )
    if invoice.payee_name is not None:
        root.append(cac.PayeeParty(cac.PartyName(cbc.Name(invoice.payee_name))))
    if invoice.delivery_location_id is not None:
        root.append(cac.Delivery(cac.DeliveryLocation(cbc.ID(invoice.delivery_location_id))))
    if invoice.payment_means_code is not None:
        means = cac.PaymentMeans(cbc.PaymentMeansCode(invoice.payment_means_code))
        if invoice.credit_note:
            means.insert(1, cbc.PaymentDueDate(invoice.due_date.isoformat()))
        if invoice.iban is not None:
            means.append(cac.PayeeFinancialAccount(cbc.ID(invoice.iban)))
        root.append(means)
    if invoice.payment_terms_note is not None:
        root.append(cac.PaymentTerms(cbc.Note(invoice.payment_terms_note)))

    def vat_category() -> etree._Element:
        return cac.TaxCategory(
            cbc.ID("S"), cbc.Percent(_money(invoice.vat_rate)), cac.TaxScheme(cbc.ID("VAT"))
        )

    root.append(
        cac.TaxTotal(
            money("TaxAmount", invoice.vat_amount),
            cac.TaxSubtotal(
                money("TaxableAmount", invoice.amount_without_vat),
                money("TaxAmount", invoice.vat_amount),
                vat_category(),
            ),
        )
    )
    if invoice.tax_currency is not None:
        root.append(cac.TaxTotal(cbc.TaxAmount(_money(invoice.vat_amount), currencyID=invoice.tax_currency)))
    root.append(
        cac.LegalMonetaryTotal(
            money("LineExtensionAmount", invoice.amount_without_vat),
            money("TaxExclusiveAmount", invoice.amount_without_vat),
            money("TaxInclusiveAmount", invoice.amount_with_vat),
            money("PrepaidAmount", invoice.prepaid),
            money("PayableAmount", invoice.amount_due),
        )
    )
    quantity_tag = "CreditedQuantity" if invoice.credit_note else "InvoicedQuantity"
    for index, amount in enumerate(invoice.line_amounts(), start=1):
        item = cac.Item()
        if invoice.item_description is not None:
            item.append(cbc.Description(invoice.item_description))
        item.append(cbc.Name(f"Prestation {index}"))
        item.append(
            cac.ClassifiedTaxCategory(
                cbc.ID("S"), cbc.Percent(_money(invoice.vat_rate)), cac.TaxScheme(cbc.ID("VAT"))
            )
        )
        price = cac.Price(cbc.PriceAmount(invoice.unit_price or _money(amount), **currency))
        if invoice.gross_price is not None and invoice.price_discount is not None:
            price.append(
                cac.AllowanceCharge(
                    cbc.ChargeIndicator("false"),
                    cbc.Amount(invoice.price_discount, **currency),
                    cbc.BaseAmount(invoice.gross_price, **currency),
                )
            )
        root.append(
            getattr(cac, f"{kind}Line")(
                cbc.ID(str(index)),
                getattr(cbc, quantity_tag)(invoice.quantity, unitCode="C62"),
                money("LineExtensionAmount", amount),
                item,
                price,
            )
        )
    return _xml_bytes(root, invoice.edit)


# --------------------------------------------------------------------------------------------------
# Factur-X (PDF/A-3b rendered by Typst, CII embedded by factur-x)


_TEMPLATE = """
#set page(paper: "a4", margin: 2cm)
#set text(font: "Libertinus Serif", size: 10pt, lang: "fr")
#let v(key) = sys.inputs.at(key, default: "")
#text(size: 16pt, weight: "bold")[#v("title") #v("number")]
#grid(columns: (1fr, 1fr), gutter: 1em,
  [*Fournisseur* \\ #v("supplier_name") \\ SIRET #v("supplier_siret")],
  [*Destinataire* \\ #v("recipient_name") \\ SIRET #v("recipient_siret")])
#table(columns: (auto, 1fr), stroke: 0.5pt,
  [Date], v("issue_date"),
  [Code service], v("service_code"),
  [Engagement], v("engagement_number"),
  [Total HT], v("total_without_vat"),
  [TVA], v("total_vat"),
  [Total TTC], v("total_with_vat"),
  [Net à payer], v("amount_due"),
  [IBAN], v("iban"))
#v("note")
""".encode()


def render_pdf(invoice: SampleInvoice) -> bytes:
    """A one-page PDF/A-3b showing the invoice (Typst with its bundled fonts, so output is stable)."""
    import typst  # imported on first use: the module stays fast to import

    inputs = {
        "title": "Avoir" if invoice.credit_note else "Facture",
        "number": invoice.number,
        "issue_date": invoice.issue_date.strftime("%d/%m/%Y"),
        "supplier_name": invoice.supplier_name,
        "supplier_siret": invoice.supplier_siret or "",
        "recipient_name": invoice.recipient_name,
        "recipient_siret": invoice.recipient_siret or "",
        "service_code": invoice.service_code or "",
        "engagement_number": invoice.engagement_number or "",
        "total_without_vat": f"{_money(invoice.amount_without_vat)} {invoice.currency}",
        "total_vat": f"{_money(invoice.vat_amount)} {invoice.currency}",
        "total_with_vat": f"{_money(invoice.amount_with_vat)} {invoice.currency}",
        "amount_due": f"{_money(invoice.amount_due)} {invoice.currency}",
        "iban": invoice.iban or "",
        "note": invoice.note or "",
    }
    # ~5 ms per page once warm; a reused typst.Compiler cannot recompile an in-memory template.
    return typst.compile(
        _TEMPLATE, format="pdf", sys_inputs=inputs, pdf_standards="a-3b", ignore_system_fonts=True
    )


def sample_facturx(
    base: SampleInvoice | None = None, /, *, xml: bytes | None = None, **changes: Any
) -> bytes:
    """A Factur-X PDF (the invoice's profile, EN 16931 by default) for `IN_DP_E2_CII_FACTURX`; `xml`
    replaces the embedded CII if given."""
    from facturx import generate_from_binary

    invoice = _invoice(base, changes)
    embedded = xml if xml is not None else sample_cii(invoice)
    return generate_from_binary(
        render_pdf(invoice), embedded, flavor="factur-x", level=invoice.profile, check_xsd=False, lang="fr-FR"
    )


def sample_pdf_with_plain_attachment(base: SampleInvoice | None = None, /, **changes: Any) -> bytes:
    """The PDF/A-3b of the invoice with its CII attached as `factur-x.xml` by a plain PDF tool: no
    Factur-X XMP metadata, no associated-file (AF) relationship, so not a Factur-X file."""
    from pypdf import PdfWriter  # installed with factur-x

    invoice = _invoice(base, changes)
    writer = PdfWriter(clone_from=io.BytesIO(render_pdf(invoice)))
    writer.add_attachment("factur-x.xml", sample_cii(invoice))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def sample_pdf_without_xml(base: SampleInvoice | None = None, /, **changes: Any) -> bytes:
    """A plain PDF/A-3b of the invoice with no factur-x.xml inside (to provoke that technical error)."""
    return render_pdf(_invoice(base, changes))


# --------------------------------------------------------------------------------------------------
# Batches


_FIXED_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def sample_batch(
    files: Mapping[str, bytes] | Iterable[tuple[str, bytes]], kind: Literal["zip", "tar.gz"] = "zip"
) -> bytes:
    """Pack (name, bytes) files into a .zip or .tar.gz batch, deterministically (fixed dates)."""
    items = list(files.items()) if isinstance(files, Mapping) else list(files)
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in items:
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME.timetuple()[:6])
                archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    elif kind == "tar.gz":
        # gzip header with a fixed mtime too, so the same files give the same bytes
        with (
            gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed,
            tarfile.open(fileobj=compressed, mode="w") as archive,
        ):
            for name, data in items:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mtime = int(_FIXED_TIME.timestamp())
                archive.addfile(info, io.BytesIO(data))
    else:
        raise ValueError(f"unknown batch kind {kind!r}: use 'zip' or 'tar.gz'")
    return buffer.getvalue()
