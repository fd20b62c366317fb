"""UN/CEFACT CII D16B (Factur-X 1.09 profiles MINIMUM … EXTENDED): writer and reader.

Written directly with lxml in the element order of the Factur-X XSDs: it is faster than going through
factur-x's `generate_cii_xml` dictionary (which also mutates its input and can emit a non-nillable empty
delivery block, facturx-stack.md §6) and it maps every model field, so that reading back what was written
gives the same invoice. Elements a profile does not allow are left out (MINIMUM and BASIC WL carry no lines).
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from chorus_connect.invoice.enums import Profile
from chorus_connect.invoice.model import (
    SIREN_SCHEME,
    SIRET_SCHEME,
    AllowanceCharge,
    Invoice,
    InvoiceLine,
    LineAllowanceCharge,
    Party,
    Payee,
)
from chorus_connect.invoice.xmlutil import (
    XmlReadError,
    drop_none,
    fmt,
    parse_date_102,
    parse_decimal,
    parse_xml,
    sub,
)

RSM_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT_NS = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT_NS = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM_NS, "ram": RAM_NS, "udt": UDT_NS, "qdt": QDT_NS}
ROOT_TAG = f"{{{RSM_NS}}}CrossIndustryInvoice"

_R = f"{{{RAM_NS}}}"
_U = f"{{{UDT_NS}}}"
_Q = f"{{{QDT_NS}}}"
_S = f"{{{RSM_NS}}}"

MIN = Profile.MINIMUM
WL = Profile.BASIC_WL
BASIC = Profile.BASIC
EN = Profile.EN16931
EXT = Profile.EXTENDED


# --------------------------------------------------------------------------------------------- writer


def write_cii(invoice: Invoice, profile: Profile = Profile.EN16931) -> bytes:
    """The invoice as Factur-X / CII D16B XML bytes for `profile`."""
    return etree.tostring(build_cii(invoice, profile), xml_declaration=True, encoding="UTF-8")


def build_cii(invoice: Invoice, profile: Profile = Profile.EN16931) -> etree._Element:
    root = etree.Element(ROOT_TAG, nsmap=NSMAP)
    context = sub(root, _S + "ExchangedDocumentContext")
    sub(
        sub(context, _R + "BusinessProcessSpecifiedDocumentContextParameter"),
        _R + "ID",
        invoice.billing_frame,
    )
    sub(sub(context, _R + "GuidelineSpecifiedDocumentContextParameter"), _R + "ID", profile.guideline)
    _document(sub(root, _S + "ExchangedDocument"), invoice, profile)
    transaction = sub(root, _S + "SupplyChainTradeTransaction")
    if profile.has_lines:
        for line in invoice.lines:
            _line(sub(transaction, _R + "IncludedSupplyChainTradeLineItem"), line, profile)
    _agreement(sub(transaction, _R + "ApplicableHeaderTradeAgreement"), invoice, profile)
    _delivery(sub(transaction, _R + "ApplicableHeaderTradeDelivery"), invoice, profile)
    _settlement(sub(transaction, _R + "ApplicableHeaderTradeSettlement"), invoice, profile)
    return root


def _date(parent: etree._Element, tag: str, value: object, qualified: bool = False) -> None:
    holder = sub(parent, _R + tag)
    sub(holder, (_Q if qualified else _U) + "DateTimeString", value.strftime("%Y%m%d"), format="102")  # type: ignore[attr-defined]


def _document(doc: etree._Element, invoice: Invoice, profile: Profile) -> None:
    sub(doc, _R + "ID", invoice.number)
    sub(doc, _R + "TypeCode", invoice.type_code)
    _date(doc, "IssueDateTime", invoice.issue_date)
    if profile.at_least(WL):
        for note in invoice.notes:
            included = sub(doc, _R + "IncludedNote")
            sub(included, _R + "Content", note.text)
            if note.subject_code:
                sub(included, _R + "SubjectCode", note.subject_code)


def _party(parent: etree._Element, tag: str, party: Party, profile: Profile, is_seller: bool) -> None:
    node = sub(parent, _R + tag)
    if profile.at_least(WL):
        for ident in party.other_ids:
            if not ident.scheme:
                sub(node, _R + "ID", ident.value)
        if party.siret:
            sub(node, _R + "GlobalID", party.siret, schemeID=SIRET_SCHEME)
        for ident in party.other_ids:
            if ident.scheme:
                sub(node, _R + "GlobalID", ident.value, schemeID=ident.scheme)
    sub(node, _R + "Name", party.name)
    legal_info = getattr(party, "legal_info", None)
    if legal_info and profile.at_least(EN):
        sub(node, _R + "Description", legal_info)
    trading_allowed = profile.at_least(WL if is_seller else EN)
    if party.siren or (party.trading_name and trading_allowed):
        organization = sub(node, _R + "SpecifiedLegalOrganization")
        if party.siren:
            sub(organization, _R + "ID", party.siren, schemeID=SIREN_SCHEME)
        if party.trading_name and trading_allowed:
            sub(organization, _R + "TradingBusinessName", party.trading_name)
    if party.contact and profile.at_least(EN):
        contact = sub(node, _R + "DefinedTradeContact")
        if party.contact.name:
            sub(contact, _R + "PersonName", party.contact.name)
        if party.contact.phone:
            sub(
                sub(contact, _R + "TelephoneUniversalCommunication"),
                _R + "CompleteNumber",
                party.contact.phone,
            )
        if party.contact.email:
            sub(sub(contact, _R + "EmailURIUniversalCommunication"), _R + "URIID", party.contact.email)
    if is_seller or profile.at_least(WL):
        _address(node, party.address, profile)
    if party.electronic_address and profile.at_least(WL):
        uri = sub(node, _R + "URIUniversalCommunication")
        sub(
            uri,
            _R + "URIID",
            party.electronic_address.value,
            schemeID=party.electronic_address.scheme or "EM",
        )
    tax_ids = [("VA", party.vat_id)]
    if is_seller:
        tax_ids.append(("FC", getattr(party, "tax_registration_id", None)))
    for scheme, value in tax_ids:
        if value and (is_seller or profile.at_least(WL)):
            sub(sub(node, _R + "SpecifiedTaxRegistration"), _R + "ID", value, schemeID=scheme)


def _address(
    parent: etree._Element, address: object, profile: Profile, tag: str = "PostalTradeAddress"
) -> None:
    node = sub(parent, _R + tag)
    full = profile.at_least(WL)
    if full and address.postcode:  # type: ignore[attr-defined]
        sub(node, _R + "PostcodeCode", address.postcode)  # type: ignore[attr-defined]
    for element, value in (
        ("LineOne", "line1"),
        ("LineTwo", "line2"),
        ("LineThree", "line3"),
        ("CityName", "city"),
    ):
        text = getattr(address, value)
        if full and text:
            sub(node, _R + element, text)
    sub(node, _R + "CountryID", address.country_code)  # type: ignore[attr-defined]
    if full and address.country_subdivision:  # type: ignore[attr-defined]
        sub(node, _R + "CountrySubDivisionName", address.country_subdivision)  # type: ignore[attr-defined]


def _agreement(node: etree._Element, invoice: Invoice, profile: Profile) -> None:
    if invoice.service_code:
        sub(node, _R + "BuyerReference", invoice.service_code)
    _party(node, "SellerTradeParty", invoice.seller, profile, is_seller=True)
    _party(node, "BuyerTradeParty", invoice.buyer, profile, is_seller=False)
    if invoice.engagement_number:
        sub(
            sub(node, _R + "BuyerOrderReferencedDocument"), _R + "IssuerAssignedID", invoice.engagement_number
        )
    if invoice.market_number and profile.at_least(WL):
        sub(sub(node, _R + "ContractReferencedDocument"), _R + "IssuerAssignedID", invoice.market_number)
    if profile.at_least(EN):
        for attachment in invoice.attachments:
            doc = sub(node, _R + "AdditionalReferencedDocument")
            sub(doc, _R + "IssuerAssignedID", attachment.id)
            if attachment.uri:
                sub(doc, _R + "URIID", attachment.uri)
            sub(doc, _R + "TypeCode", "916")
            if attachment.description:
                sub(doc, _R + "Name", attachment.description)
            if attachment.content is not None:
                binary = sub(doc, _R + "AttachmentBinaryObject", _b64(attachment.content))
                binary.set("mimeCode", attachment.mime_code or "application/octet-stream")
                binary.set("filename", attachment.filename or attachment.id)
        if invoice.project_reference:
            project = sub(node, _R + "SpecifiedProcuringProject")
            sub(project, _R + "ID", invoice.project_reference)
            sub(project, _R + "Name", invoice.project_reference)


def _b64(content: bytes) -> str:
    import base64

    return base64.b64encode(content).decode("ascii")


def _delivery(node: etree._Element, invoice: Invoice, profile: Profile) -> None:
    delivery = invoice.delivery
    if delivery is None or not profile.at_least(WL):
        return
    if delivery.party_name or delivery.location_id or delivery.address:
        ship_to = sub(node, _R + "ShipToTradeParty")
        if delivery.location_id:
            if delivery.location_id.scheme:
                sub(
                    ship_to, _R + "GlobalID", delivery.location_id.value, schemeID=delivery.location_id.scheme
                )
            else:
                sub(ship_to, _R + "ID", delivery.location_id.value)
        if delivery.party_name:
            sub(ship_to, _R + "Name", delivery.party_name)
        if delivery.address:
            _address(ship_to, delivery.address, profile)
    if delivery.date:
        event = sub(node, _R + "ActualDeliverySupplyChainEvent")
        _date(event, "OccurrenceDateTime", delivery.date)


def _settlement(node: etree._Element, invoice: Invoice, profile: Profile) -> None:
    means = invoice.payment_means
    if profile.at_least(WL):
        if means and means.creditor_reference:
            sub(node, _R + "CreditorReferenceID", means.creditor_reference)
        if invoice.payment_reference:
            sub(node, _R + "PaymentReference", invoice.payment_reference)
    sub(node, _R + "InvoiceCurrencyCode", invoice.currency)
    if profile.at_least(WL):
        if invoice.payee:
            _payee(node, invoice.payee)
        if means:
            _payment_means(node, invoice, profile)
        for entry in invoice.vat_breakdown:
            _header_tax(node, entry)
        if invoice.invoicing_period_start or invoice.invoicing_period_end:
            _period(node, invoice.invoicing_period_start, invoice.invoicing_period_end)
        for allowance in invoice.allowances:
            _allowance_charge(node, allowance, is_charge=False, profile=profile)
        for charge in invoice.charges:
            _allowance_charge(node, charge, is_charge=True, profile=profile)
        if invoice.payment_terms or invoice.due_date or (means and means.mandate_reference):
            terms = sub(node, _R + "SpecifiedTradePaymentTerms")
            if invoice.payment_terms:
                sub(terms, _R + "Description", invoice.payment_terms)
            if invoice.due_date:
                _date(terms, "DueDateDateTime", invoice.due_date)
            if means and means.mandate_reference:
                sub(terms, _R + "DirectDebitMandateID", means.mandate_reference)
    _summation(sub(node, _R + "SpecifiedTradeSettlementHeaderMonetarySummation"), invoice, profile)
    if profile.at_least(WL):
        for preceding in invoice.preceding_invoices:
            ref = sub(node, _R + "InvoiceReferencedDocument")
            sub(ref, _R + "IssuerAssignedID", preceding.number)
            if preceding.issue_date:
                _date(ref, "FormattedIssueDateTime", preceding.issue_date, qualified=True)
        if invoice.buyer_accounting_reference:
            account = sub(node, _R + "ReceivableSpecifiedTradeAccountingAccount")
            sub(account, _R + "ID", invoice.buyer_accounting_reference)


def _payee(parent: etree._Element, payee: Payee) -> None:
    node = sub(parent, _R + "PayeeTradeParty")
    if payee.identifier:
        if payee.identifier.scheme:
            sub(node, _R + "GlobalID", payee.identifier.value, schemeID=payee.identifier.scheme)
        else:
            sub(node, _R + "ID", payee.identifier.value)
    sub(node, _R + "Name", payee.name)
    if payee.legal_id:
        organization = sub(node, _R + "SpecifiedLegalOrganization")
        attrs = {"schemeID": payee.legal_id.scheme} if payee.legal_id.scheme else {}
        sub(organization, _R + "ID", payee.legal_id.value, **attrs)


def _payment_means(parent: etree._Element, invoice: Invoice, profile: Profile) -> None:
    means = invoice.payment_means
    assert means is not None
    node = sub(parent, _R + "SpecifiedTradeSettlementPaymentMeans")
    sub(node, _R + "TypeCode", means.code)
    if means.information and profile.at_least(EN):
        sub(node, _R + "Information", means.information)
    if means.debited_account:
        sub(sub(node, _R + "PayerPartyDebtorFinancialAccount"), _R + "IBANID", means.debited_account)
    if means.iban:
        account = sub(node, _R + "PayeePartyCreditorFinancialAccount")
        sub(account, _R + "IBANID", means.iban)
        if means.account_name and profile.at_least(EN):
            sub(account, _R + "AccountName", means.account_name)
    if means.bic and profile.at_least(EN):
        sub(sub(node, _R + "PayeeSpecifiedCreditorFinancialInstitution"), _R + "BICID", means.bic)


def _header_tax(parent: etree._Element, entry: object) -> None:
    node = sub(parent, _R + "ApplicableTradeTax")
    sub(node, _R + "CalculatedAmount", fmt(entry.tax_amount))  # type: ignore[attr-defined]
    sub(node, _R + "TypeCode", "VAT")
    if entry.exemption_reason:  # type: ignore[attr-defined]
        sub(node, _R + "ExemptionReason", entry.exemption_reason)  # type: ignore[attr-defined]
    sub(node, _R + "BasisAmount", fmt(entry.taxable_amount))  # type: ignore[attr-defined]
    sub(node, _R + "CategoryCode", entry.category)  # type: ignore[attr-defined]
    if entry.exemption_reason_code:  # type: ignore[attr-defined]
        sub(node, _R + "ExemptionReasonCode", entry.exemption_reason_code)  # type: ignore[attr-defined]
    if entry.rate is not None:  # type: ignore[attr-defined]
        sub(node, _R + "RateApplicablePercent", fmt(entry.rate))  # type: ignore[attr-defined]


def _period(parent: etree._Element, start: object, end: object) -> None:
    node = sub(parent, _R + "BillingSpecifiedPeriod")
    if start:
        _date(node, "StartDateTime", start)
    if end:
        _date(node, "EndDateTime", end)


def _allowance_charge(
    parent: etree._Element, item: LineAllowanceCharge, is_charge: bool, profile: Profile
) -> None:
    node = sub(parent, _R + "SpecifiedTradeAllowanceCharge")
    sub(sub(node, _R + "ChargeIndicator"), _U + "Indicator", "true" if is_charge else "false")
    if item.percent is not None:
        sub(node, _R + "CalculationPercent", fmt(item.percent))
    if item.base_amount is not None:
        sub(node, _R + "BasisAmount", fmt(item.base_amount))
    sub(node, _R + "ActualAmount", fmt(item.amount))
    if item.reason_code:
        sub(node, _R + "ReasonCode", item.reason_code)
    if item.reason:
        sub(node, _R + "Reason", item.reason)
    if isinstance(item, AllowanceCharge):
        tax = sub(node, _R + "CategoryTradeTax")
        sub(tax, _R + "TypeCode", "VAT")
        sub(tax, _R + "CategoryCode", item.vat_category)
        if item.vat_rate is not None:
            sub(tax, _R + "RateApplicablePercent", fmt(item.vat_rate))


def _summation(node: etree._Element, invoice: Invoice, profile: Profile) -> None:
    totals = invoice.totals
    if profile.at_least(WL):
        sub(node, _R + "LineTotalAmount", fmt(totals.line_total or Decimal(0)))
        if totals.charge_total is not None:
            sub(node, _R + "ChargeTotalAmount", fmt(totals.charge_total))
        if totals.allowance_total is not None:
            sub(node, _R + "AllowanceTotalAmount", fmt(totals.allowance_total))
    sub(node, _R + "TaxBasisTotalAmount", fmt(totals.tax_exclusive or Decimal(0)))
    sub(node, _R + "TaxTotalAmount", fmt(totals.tax_total or Decimal(0)), currencyID=invoice.currency)
    if totals.rounding is not None and profile.at_least(EN):
        sub(node, _R + "RoundingAmount", fmt(totals.rounding))
    sub(node, _R + "GrandTotalAmount", fmt(totals.tax_inclusive or Decimal(0)))
    if totals.prepaid is not None and profile.at_least(WL):
        sub(node, _R + "TotalPrepaidAmount", fmt(totals.prepaid))
    sub(node, _R + "DuePayableAmount", fmt(totals.payable or Decimal(0)))


def _line(node: etree._Element, line: InvoiceLine, profile: Profile) -> None:
    document = sub(node, _R + "AssociatedDocumentLineDocument")
    sub(document, _R + "LineID", line.id)
    if line.note:
        sub(sub(document, _R + "IncludedNote"), _R + "Content", line.note)
    product = sub(node, _R + "SpecifiedTradeProduct")
    if line.standard_item_id:
        sub(
            product,
            _R + "GlobalID",
            line.standard_item_id.value,
            schemeID=line.standard_item_id.scheme or "0160",
        )
    rich = profile.at_least(EN)
    if rich and line.seller_item_id:
        sub(product, _R + "SellerAssignedID", line.seller_item_id)
    if rich and line.buyer_item_id:
        sub(product, _R + "BuyerAssignedID", line.buyer_item_id)
    sub(product, _R + "Name", line.name)
    if rich and line.description:
        sub(product, _R + "Description", line.description)
    if rich and line.origin_country:
        sub(sub(product, _R + "OriginTradeCountry"), _R + "ID", line.origin_country)
    agreement = sub(node, _R + "SpecifiedLineTradeAgreement")
    if rich and line.order_line_reference:
        sub(sub(agreement, _R + "BuyerOrderReferencedDocument"), _R + "LineID", line.order_line_reference)
    if line.gross_price is not None:
        gross = sub(agreement, _R + "GrossPriceProductTradePrice")
        sub(gross, _R + "ChargeAmount", fmt(line.gross_price))
        if line.base_quantity is not None:
            sub(gross, _R + "BasisQuantity", fmt(line.base_quantity), unitCode=line.unit_code)
        discount = sub(gross, _R + "AppliedTradeAllowanceCharge")
        sub(sub(discount, _R + "ChargeIndicator"), _U + "Indicator", "false")
        sub(discount, _R + "ActualAmount", fmt(line.price_discount or Decimal(0)))
    net = sub(agreement, _R + "NetPriceProductTradePrice")
    sub(net, _R + "ChargeAmount", fmt(line.net_price))
    if line.base_quantity is not None:
        sub(net, _R + "BasisQuantity", fmt(line.base_quantity), unitCode=line.unit_code)
    delivery = sub(node, _R + "SpecifiedLineTradeDelivery")
    sub(delivery, _R + "BilledQuantity", fmt(line.quantity), unitCode=line.unit_code)
    settlement = sub(node, _R + "SpecifiedLineTradeSettlement")
    tax = sub(settlement, _R + "ApplicableTradeTax")
    sub(tax, _R + "TypeCode", "VAT")
    sub(tax, _R + "CategoryCode", line.vat_category)
    if line.vat_rate is not None:
        sub(tax, _R + "RateApplicablePercent", fmt(line.vat_rate))
    if line.period_start or line.period_end:
        _period(settlement, line.period_start, line.period_end)
    for allowance in line.allowances:
        _allowance_charge(settlement, allowance, is_charge=False, profile=profile)
    for charge in line.charges:
        _allowance_charge(settlement, charge, is_charge=True, profile=profile)
    summation = sub(settlement, _R + "SpecifiedTradeSettlementLineMonetarySummation")
    sub(summation, _R + "LineTotalAmount", fmt(line.net_amount or Decimal(0)))
    if rich and line.accounting_reference:
        account = sub(settlement, _R + "ReceivableSpecifiedTradeAccountingAccount")
        sub(account, _R + "ID", line.accounting_reference)


# --------------------------------------------------------------------------------------------- reader


def read_cii(data: bytes, source: str = "CII") -> Invoice:
    """Read a CII D16B / Factur-X XML document (any profile) into an `Invoice`."""
    return Invoice.model_validate(cii_to_dict(parse_xml(data, source)))


def profile_of(root: etree._Element) -> Profile:
    guideline = root.findtext(
        f"{_S}ExchangedDocumentContext/{_R}GuidelineSpecifiedDocumentContextParameter/{_R}ID"
    )
    return Profile.from_guideline(guideline or "")


def cii_to_dict(root: etree._Element) -> dict:
    if root.tag != ROOT_TAG:
        raise XmlReadError(root.tag, "not a CII invoice (rsm:CrossIndustryInvoice expected)")
    doc = _child(root, "ExchangedDocument", _S)
    transaction = _child(root, "SupplyChainTradeTransaction", _S)
    agreement = _child(transaction, "ApplicableHeaderTradeAgreement")
    settlement = _child(transaction, "ApplicableHeaderTradeSettlement")
    delivery = transaction.find(_R + "ApplicableHeaderTradeDelivery")
    frame = root.findtext(
        f"{_S}ExchangedDocumentContext/{_R}BusinessProcessSpecifiedDocumentContextParameter/{_R}ID"
    )
    data = {
        "number": doc.findtext(_R + "ID"),
        "type_code": doc.findtext(_R + "TypeCode"),
        "issue_date": _read_date(doc, "IssueDateTime"),
        "notes": [
            drop_none(
                {"text": note.findtext(_R + "Content"), "subject_code": note.findtext(_R + "SubjectCode")}
            )
            for note in doc.iterfind(_R + "IncludedNote")
        ],
        "billing_frame": frame,
        "currency": settlement.findtext(_R + "InvoiceCurrencyCode"),
        "service_code": agreement.findtext(_R + "BuyerReference"),
        "engagement_number": agreement.findtext(f"{_R}BuyerOrderReferencedDocument/{_R}IssuerAssignedID"),
        "market_number": agreement.findtext(f"{_R}ContractReferencedDocument/{_R}IssuerAssignedID"),
        "project_reference": agreement.findtext(f"{_R}SpecifiedProcuringProject/{_R}ID"),
        "seller": _read_party(_child(agreement, "SellerTradeParty"), is_seller=True),
        "buyer": _read_party(_child(agreement, "BuyerTradeParty"), is_seller=False),
        "attachments": [
            _read_attachment(doc_ref) for doc_ref in agreement.iterfind(_R + "AdditionalReferencedDocument")
        ],
        "lines": [_read_line(item) for item in transaction.iterfind(_R + "IncludedSupplyChainTradeLineItem")],
        "delivery": _read_delivery(delivery) if delivery is not None else None,
    }
    data.update(_read_settlement(settlement))
    return drop_none(data)


def _child(parent: etree._Element, name: str, prefix: str = _R) -> etree._Element:
    element = parent.find(prefix + name)
    if element is None:
        raise XmlReadError(f"{parent.tag.split('}')[-1]}/{name}", "mandatory element missing")
    return element


def _read_date(parent: etree._Element, tag: str) -> object:
    node = parent.find(_R + tag)
    if node is None:
        return None
    text = node.findtext(_U + "DateTimeString")
    if text is None:
        text = node.findtext(_Q + "DateTimeString")
    return parse_date_102(text, tag)


def _read_party(node: etree._Element, is_seller: bool) -> dict:
    siret = None
    other_ids = [{"value": ident.text, "scheme": None} for ident in node.iterfind(_R + "ID")]
    for global_id in node.iterfind(_R + "GlobalID"):
        if global_id.get("schemeID") == SIRET_SCHEME and siret is None:
            siret = global_id.text
        else:
            other_ids.append({"value": global_id.text, "scheme": global_id.get("schemeID")})
    organization = node.find(_R + "SpecifiedLegalOrganization")
    contact = node.find(_R + "DefinedTradeContact")
    uri = node.find(f"{_R}URIUniversalCommunication/{_R}URIID")
    tax_ids = {tax.get("schemeID"): tax.text for tax in node.iterfind(f"{_R}SpecifiedTaxRegistration/{_R}ID")}
    address = node.find(_R + "PostalTradeAddress")
    data = {
        "name": node.findtext(_R + "Name"),
        "siret": siret,
        "siren": organization.findtext(_R + "ID") if organization is not None else None,
        "trading_name": organization.findtext(_R + "TradingBusinessName")
        if organization is not None
        else None,
        "vat_id": tax_ids.get("VA"),
        "other_ids": [drop_none(ident) for ident in other_ids],
        "electronic_address": drop_none({"value": uri.text, "scheme": uri.get("schemeID")})
        if uri is not None
        else None,
        "address": _read_address(address) if address is not None else None,
        "contact": _read_contact(contact) if contact is not None else None,
    }
    if is_seller:
        data["tax_registration_id"] = tax_ids.get("FC")
        data["legal_info"] = node.findtext(_R + "Description")
    return drop_none(data)


def _read_address(node: etree._Element) -> dict:
    return drop_none(
        {
            "postcode": node.findtext(_R + "PostcodeCode"),
            "line1": node.findtext(_R + "LineOne"),
            "line2": node.findtext(_R + "LineTwo"),
            "line3": node.findtext(_R + "LineThree"),
            "city": node.findtext(_R + "CityName"),
            "country_code": node.findtext(_R + "CountryID"),
            "country_subdivision": node.findtext(_R + "CountrySubDivisionName"),
        }
    )


def _read_contact(node: etree._Element) -> dict:
    return drop_none(
        {
            "name": node.findtext(_R + "PersonName"),
            "phone": node.findtext(f"{_R}TelephoneUniversalCommunication/{_R}CompleteNumber"),
            "email": node.findtext(f"{_R}EmailURIUniversalCommunication/{_R}URIID"),
        }
    )


def _read_attachment(node: etree._Element) -> dict:
    import base64

    binary = node.find(_R + "AttachmentBinaryObject")
    return drop_none(
        {
            "id": node.findtext(_R + "IssuerAssignedID"),
            "uri": node.findtext(_R + "URIID"),
            "description": node.findtext(_R + "Name"),
            "content": base64.b64decode(binary.text or "") if binary is not None else None,
            "mime_code": binary.get("mimeCode") if binary is not None else None,
            "filename": binary.get("filename") if binary is not None else None,
        }
    )


def _read_delivery(node: etree._Element) -> dict | None:
    ship_to = node.find(_R + "ShipToTradeParty")
    data: dict = (
        {"date": _read_date(node.find(_R + "ActualDeliverySupplyChainEvent"), "OccurrenceDateTime")}
        if (node.find(_R + "ActualDeliverySupplyChainEvent") is not None)
        else {}
    )
    if ship_to is not None:
        global_id = ship_to.find(_R + "GlobalID")
        local_id = ship_to.findtext(_R + "ID")
        address = ship_to.find(_R + "PostalTradeAddress")
        data["party_name"] = ship_to.findtext(_R + "Name")
        if global_id is not None:
            data["location_id"] = {"value": global_id.text, "scheme": global_id.get("schemeID")}
        elif local_id:
            data["location_id"] = {"value": local_id}
        data["address"] = _read_address(address) if address is not None else None
    data = drop_none(data)
    return data or None


def _read_settlement(node: etree._Element) -> dict:
    summation = _child(node, "SpecifiedTradeSettlementHeaderMonetarySummation")
    terms = node.find(_R + "SpecifiedTradePaymentTerms")
    period = node.find(_R + "BillingSpecifiedPeriod")
    payee = node.find(_R + "PayeeTradeParty")
    means = node.find(_R + "SpecifiedTradeSettlementPaymentMeans")
    allowances, charges = _read_allowances(node, with_tax=True)
    data = {
        "payment_reference": node.findtext(_R + "PaymentReference"),
        "payee": _read_payee(payee) if payee is not None else None,
        "payment_means": _read_means(means, node, terms) if means is not None else None,
        "vat_breakdown": [_read_header_tax(tax) for tax in node.iterfind(_R + "ApplicableTradeTax")],
        "invoicing_period_start": _read_date(period, "StartDateTime") if period is not None else None,
        "invoicing_period_end": _read_date(period, "EndDateTime") if period is not None else None,
        "allowances": allowances,
        "charges": charges,
        "payment_terms": terms.findtext(_R + "Description") if terms is not None else None,
        "due_date": _read_date(terms, "DueDateDateTime") if terms is not None else None,
        "totals": _read_totals(summation),
        "preceding_invoices": [
            drop_none(
                {
                    "number": ref.findtext(_R + "IssuerAssignedID"),
                    "issue_date": _read_date(ref, "FormattedIssueDateTime"),
                }
            )
            for ref in node.iterfind(_R + "InvoiceReferencedDocument")
        ],
        "buyer_accounting_reference": node.findtext(f"{_R}ReceivableSpecifiedTradeAccountingAccount/{_R}ID"),
    }
    return data


def _read_payee(node: etree._Element) -> dict:
    global_id = node.find(_R + "GlobalID")
    local_id = node.findtext(_R + "ID")
    legal = node.find(f"{_R}SpecifiedLegalOrganization/{_R}ID")
    identifier = None
    if global_id is not None:
        identifier = {"value": global_id.text, "scheme": global_id.get("schemeID")}
    elif local_id:
        identifier = {"value": local_id}
    return drop_none(
        {
            "name": node.findtext(_R + "Name"),
            "identifier": identifier,
            "legal_id": drop_none({"value": legal.text, "scheme": legal.get("schemeID")})
            if legal is not None
            else None,
        }
    )


def _read_means(node: etree._Element, settlement: etree._Element, terms: etree._Element | None) -> dict:
    return drop_none(
        {
            "code": node.findtext(_R + "TypeCode"),
            "information": node.findtext(_R + "Information"),
            "iban": node.findtext(f"{_R}PayeePartyCreditorFinancialAccount/{_R}IBANID")
            or node.findtext(f"{_R}PayeePartyCreditorFinancialAccount/{_R}ProprietaryID"),
            "account_name": node.findtext(f"{_R}PayeePartyCreditorFinancialAccount/{_R}AccountName"),
            "bic": node.findtext(f"{_R}PayeeSpecifiedCreditorFinancialInstitution/{_R}BICID"),
            "debited_account": node.findtext(f"{_R}PayerPartyDebtorFinancialAccount/{_R}IBANID"),
            "creditor_reference": settlement.findtext(_R + "CreditorReferenceID"),
            "mandate_reference": terms.findtext(_R + "DirectDebitMandateID") if terms is not None else None,
        }
    )


def _read_header_tax(node: etree._Element) -> dict:
    return drop_none(
        {
            "tax_amount": parse_decimal(
                node.findtext(_R + "CalculatedAmount"), "ApplicableTradeTax/CalculatedAmount"
            ),
            "taxable_amount": parse_decimal(
                node.findtext(_R + "BasisAmount"), "ApplicableTradeTax/BasisAmount"
            ),
            "category": node.findtext(_R + "CategoryCode"),
            "rate": parse_decimal(node.findtext(_R + "RateApplicablePercent"), "RateApplicablePercent"),
            "exemption_reason": node.findtext(_R + "ExemptionReason"),
            "exemption_reason_code": node.findtext(_R + "ExemptionReasonCode"),
        }
    )


def _read_allowances(node: etree._Element, with_tax: bool) -> tuple[list[dict], list[dict]]:
    allowances: list[dict] = []
    charges: list[dict] = []
    for item in node.iterfind(_R + "SpecifiedTradeAllowanceCharge"):
        indicator = item.findtext(f"{_R}ChargeIndicator/{_U}Indicator")
        data = {
            "amount": parse_decimal(
                item.findtext(_R + "ActualAmount"), "SpecifiedTradeAllowanceCharge/ActualAmount"
            ),
            "base_amount": parse_decimal(item.findtext(_R + "BasisAmount"), "BasisAmount"),
            "percent": parse_decimal(item.findtext(_R + "CalculationPercent"), "CalculationPercent"),
            "reason": item.findtext(_R + "Reason"),
            "reason_code": item.findtext(_R + "ReasonCode"),
        }
        if with_tax:
            data["vat_category"] = item.findtext(f"{_R}CategoryTradeTax/{_R}CategoryCode")
            data["vat_rate"] = parse_decimal(
                item.findtext(f"{_R}CategoryTradeTax/{_R}RateApplicablePercent"), "RateApplicablePercent"
            )
        (charges if indicator == "true" else allowances).append(drop_none(data))
    return allowances, charges


def _read_totals(node: etree._Element) -> dict:
    def amount(tag: str) -> Decimal | None:
        return parse_decimal(
            node.findtext(_R + tag), f"SpecifiedTradeSettlementHeaderMonetarySummation/{tag}"
        )

    return drop_none(
        {
            "line_total": amount("LineTotalAmount"),
            "charge_total": amount("ChargeTotalAmount"),
            "allowance_total": amount("AllowanceTotalAmount"),
            "tax_exclusive": amount("TaxBasisTotalAmount"),
            "tax_total": amount("TaxTotalAmount"),
            "rounding": amount("RoundingAmount"),
            "tax_inclusive": amount("GrandTotalAmount"),
            "prepaid": amount("TotalPrepaidAmount"),
            "payable": amount("DuePayableAmount"),
        }
    )


def _read_line(node: etree._Element) -> dict:
    document = node.find(_R + "AssociatedDocumentLineDocument")
    product = node.find(_R + "SpecifiedTradeProduct")
    agreement = node.find(_R + "SpecifiedLineTradeAgreement")
    delivery = node.find(_R + "SpecifiedLineTradeDelivery")
    settlement = node.find(_R + "SpecifiedLineTradeSettlement")
    if document is None or product is None or agreement is None or delivery is None or settlement is None:
        raise XmlReadError("IncludedSupplyChainTradeLineItem", "incomplete invoice line")
    line_id = document.findtext(_R + "LineID")
    path = f"IncludedSupplyChainTradeLineItem[{line_id}]"
    quantity = delivery.find(_R + "BilledQuantity")
    gross = agreement.find(_R + "GrossPriceProductTradePrice")
    net = agreement.find(_R + "NetPriceProductTradePrice")
    global_id = product.find(_R + "GlobalID")
    period = settlement.find(_R + "BillingSpecifiedPeriod")
    allowances, charges = _read_allowances(settlement, with_tax=False)
    base_quantity = net.findtext(_R + "BasisQuantity") if net is not None else None
    if base_quantity is None and gross is not None:
        base_quantity = gross.findtext(_R + "BasisQuantity")
    data = {
        "id": line_id,
        "note": document.findtext(f"{_R}IncludedNote/{_R}Content"),
        "name": product.findtext(_R + "Name"),
        "description": product.findtext(_R + "Description"),
        "seller_item_id": product.findtext(_R + "SellerAssignedID"),
        "buyer_item_id": product.findtext(_R + "BuyerAssignedID"),
        "standard_item_id": {"value": global_id.text, "scheme": global_id.get("schemeID")}
        if global_id is not None
        else None,
        "origin_country": product.findtext(f"{_R}OriginTradeCountry/{_R}ID"),
        "quantity": parse_decimal(quantity.text if quantity is not None else None, path + "/BilledQuantity"),
        "unit_code": quantity.get("unitCode") if quantity is not None else None,
        "net_price": parse_decimal(
            net.findtext(_R + "ChargeAmount") if net is not None else None, path + "/NetPrice"
        ),
        "gross_price": parse_decimal(gross.findtext(_R + "ChargeAmount"), path + "/GrossPrice")
        if gross is not None
        else None,
        "price_discount": parse_decimal(
            gross.findtext(f"{_R}AppliedTradeAllowanceCharge/{_R}ActualAmount"), path + "/ActualAmount"
        )
        if gross is not None
        else None,
        "base_quantity": parse_decimal(base_quantity, path + "/BasisQuantity"),
        "vat_category": settlement.findtext(f"{_R}ApplicableTradeTax/{_R}CategoryCode"),
        "vat_rate": parse_decimal(
            settlement.findtext(f"{_R}ApplicableTradeTax/{_R}RateApplicablePercent"), path
        ),
        "period_start": _read_date(period, "StartDateTime") if period is not None else None,
        "period_end": _read_date(period, "EndDateTime") if period is not None else None,
        "order_line_reference": agreement.findtext(f"{_R}BuyerOrderReferencedDocument/{_R}LineID"),
        "accounting_reference": settlement.findtext(f"{_R}ReceivableSpecifiedTradeAccountingAccount/{_R}ID"),
        "allowances": allowances,
        "charges": charges,
        "net_amount": parse_decimal(
            settlement.findtext(f"{_R}SpecifiedTradeSettlementLineMonetarySummation/{_R}LineTotalAmount"),
            path + "/LineTotalAmount",
        ),
    }
    return drop_none(data)
