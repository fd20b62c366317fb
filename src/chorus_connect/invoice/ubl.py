"""UBL 2.1 Invoice and CreditNote (EN 16931 binding): writer and reader, with lxml in XSD element order.

Credit notes (BT-3 = 381) are written as a UBL `CreditNote`, everything else as an `Invoice`. Where the
two document types differ in the EN 16931 binding (BT-9 due date, BT-11 project reference) we follow it.
"""

from __future__ import annotations

import base64
from decimal import Decimal

from lxml import etree

from chorus_connect.invoice.model import (
    SIREN_SCHEME,
    SIRET_SCHEME,
    AllowanceCharge,
    Invoice,
    InvoiceLine,
    LineAllowanceCharge,
    Party,
)
from chorus_connect.invoice.xmlutil import (
    XmlReadError,
    drop_none,
    fmt,
    parse_decimal,
    parse_iso_date,
    parse_xml,
    sub,
)

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017"
_A = f"{{{CAC_NS}}}"
_B = f"{{{CBC_NS}}}"
_PROJECT_DOC_TYPE = "50"  # BT-11 in a CreditNote: AdditionalDocumentReference with DocumentTypeCode 50
_SEPA = "SEPA"  # BT-90 is a seller PartyIdentification with scheme SEPA


# --------------------------------------------------------------------------------------------- writer


def write_ubl(invoice: Invoice) -> bytes:
    return etree.tostring(build_ubl(invoice), xml_declaration=True, encoding="UTF-8")


def build_ubl(invoice: Invoice) -> etree._Element:
    credit = invoice.is_credit_note
    namespace = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(
        f"{{{namespace}}}{'CreditNote' if credit else 'Invoice'}",
        nsmap={None: namespace, "cac": CAC_NS, "cbc": CBC_NS},
    )
    currency = invoice.currency
    sub(root, _B + "CustomizationID", CUSTOMIZATION_ID)
    sub(root, _B + "ProfileID", invoice.billing_frame)
    sub(root, _B + "ID", invoice.number)
    sub(root, _B + "IssueDate", invoice.issue_date.isoformat())
    if invoice.due_date and not credit:
        sub(root, _B + "DueDate", invoice.due_date.isoformat())
    sub(root, _B + ("CreditNoteTypeCode" if credit else "InvoiceTypeCode"), invoice.type_code)
    for note in invoice.notes:
        sub(root, _B + "Note", f"#{note.subject_code}#{note.text}" if note.subject_code else note.text)
    sub(root, _B + "DocumentCurrencyCode", currency)
    if invoice.buyer_accounting_reference:
        sub(root, _B + "AccountingCost", invoice.buyer_accounting_reference)
    if invoice.service_code:
        sub(root, _B + "BuyerReference", invoice.service_code)
    if invoice.invoicing_period_start or invoice.invoicing_period_end:
        _period(root, invoice.invoicing_period_start, invoice.invoicing_period_end)
    if invoice.engagement_number:
        sub(sub(root, _A + "OrderReference"), _B + "ID", invoice.engagement_number)
    for preceding in invoice.preceding_invoices:
        ref = sub(sub(root, _A + "BillingReference"), _A + "InvoiceDocumentReference")
        sub(ref, _B + "ID", preceding.number)
        if preceding.issue_date:
            sub(ref, _B + "IssueDate", preceding.issue_date.isoformat())
    if invoice.market_number:
        sub(sub(root, _A + "ContractDocumentReference"), _B + "ID", invoice.market_number)
    _attachments(root, invoice)
    if invoice.project_reference and not credit:
        sub(sub(root, _A + "ProjectReference"), _B + "ID", invoice.project_reference)
    _party(sub(root, _A + "AccountingSupplierParty"), invoice.seller, invoice, is_seller=True)
    _party(sub(root, _A + "AccountingCustomerParty"), invoice.buyer, invoice, is_seller=False)
    _payee(root, invoice)
    _delivery(root, invoice)
    _payment_means(root, invoice)
    if invoice.payment_terms:
        sub(sub(root, _A + "PaymentTerms"), _B + "Note", invoice.payment_terms)
    for allowance in invoice.allowances:
        _allowance_charge(root, allowance, False, currency)
    for charge in invoice.charges:
        _allowance_charge(root, charge, True, currency)
    _tax_total(root, invoice)
    _monetary_total(root, invoice)
    for line in invoice.lines:
        _line(root, line, currency, credit)
    return root


def _amount(parent: etree._Element, tag: str, value: Decimal, currency: str) -> None:
    sub(parent, _B + tag, fmt(value), currencyID=currency)


def _period(parent: etree._Element, start: object, end: object) -> None:
    period = sub(parent, _A + "InvoicePeriod")
    if start:
        sub(period, _B + "StartDate", start.isoformat())  # type: ignore[attr-defined]
    if end:
        sub(period, _B + "EndDate", end.isoformat())  # type: ignore[attr-defined]


def _attachments(root: etree._Element, invoice: Invoice) -> None:
    for attachment in invoice.attachments:
        ref = sub(root, _A + "AdditionalDocumentReference")
        sub(ref, _B + "ID", attachment.id)
        if attachment.description:
            sub(ref, _B + "DocumentDescription", attachment.description)
        if attachment.content is not None or attachment.uri:
            holder = sub(ref, _A + "Attachment")
            if attachment.content is not None:
                binary = sub(
                    holder, _B + "EmbeddedDocumentBinaryObject", base64.b64encode(attachment.content).decode()
                )
                binary.set("mimeCode", attachment.mime_code or "application/octet-stream")
                binary.set("filename", attachment.filename or attachment.id)
            if attachment.uri:
                sub(sub(holder, _A + "ExternalReference"), _B + "URI", attachment.uri)
    if invoice.project_reference and invoice.is_credit_note:
        ref = sub(root, _A + "AdditionalDocumentReference")
        sub(ref, _B + "ID", invoice.project_reference)
        sub(ref, _B + "DocumentTypeCode", _PROJECT_DOC_TYPE)


def _party(holder: etree._Element, party: Party, invoice: Invoice, is_seller: bool) -> None:
    node = sub(holder, _A + "Party")
    if party.electronic_address:
        sub(
            node,
            _B + "EndpointID",
            party.electronic_address.value,
            schemeID=party.electronic_address.scheme or "EM",
        )
    if party.siret:
        sub(sub(node, _A + "PartyIdentification"), _B + "ID", party.siret, schemeID=SIRET_SCHEME)
    for ident in party.other_ids:
        attrs = {"schemeID": ident.scheme} if ident.scheme else {}
        sub(sub(node, _A + "PartyIdentification"), _B + "ID", ident.value, **attrs)
    means = invoice.payment_means
    if is_seller and means and means.creditor_reference:
        sub(sub(node, _A + "PartyIdentification"), _B + "ID", means.creditor_reference, schemeID=_SEPA)
    if party.trading_name:
        sub(sub(node, _A + "PartyName"), _B + "Name", party.trading_name)
    _address(node, party.address, "PostalAddress")
    if party.vat_id:
        scheme = sub(node, _A + "PartyTaxScheme")
        sub(scheme, _B + "CompanyID", party.vat_id)
        sub(sub(scheme, _A + "TaxScheme"), _B + "ID", "VAT")
    tax_registration = getattr(party, "tax_registration_id", None)
    if tax_registration:
        scheme = sub(node, _A + "PartyTaxScheme")
        sub(scheme, _B + "CompanyID", tax_registration)
        sub(sub(scheme, _A + "TaxScheme"), _B + "ID", "FC")
    legal = sub(node, _A + "PartyLegalEntity")
    sub(legal, _B + "RegistrationName", party.name)
    if party.siren:
        sub(legal, _B + "CompanyID", party.siren, schemeID=SIREN_SCHEME)
    legal_info = getattr(party, "legal_info", None)
    if legal_info:
        sub(legal, _B + "CompanyLegalForm", legal_info)
    if party.contact:
        contact = sub(node, _A + "Contact")
        for tag, value in (
            ("Name", party.contact.name),
            ("Telephone", party.contact.phone),
            ("ElectronicMail", party.contact.email),
        ):
            if value:
                sub(contact, _B + tag, value)


def _address(parent: etree._Element, address: object, tag: str) -> None:
    node = sub(parent, _A + tag)
    for element, name in (
        ("StreetName", "line1"),
        ("AdditionalStreetName", "line2"),
        ("CityName", "city"),
        ("PostalZone", "postcode"),
        ("CountrySubentity", "country_subdivision"),
    ):
        value = getattr(address, name)
        if value:
            sub(node, _B + element, value)
    if address.line3:  # type: ignore[attr-defined]
        sub(sub(node, _A + "AddressLine"), _B + "Line", address.line3)  # type: ignore[attr-defined]
    sub(sub(node, _A + "Country"), _B + "IdentificationCode", address.country_code)  # type: ignore[attr-defined]


def _payee(root: etree._Element, invoice: Invoice) -> None:
    payee = invoice.payee
    if payee is None:
        return
    node = sub(root, _A + "PayeeParty")
    if payee.identifier:
        attrs = {"schemeID": payee.identifier.scheme} if payee.identifier.scheme else {}
        sub(sub(node, _A + "PartyIdentification"), _B + "ID", payee.identifier.value, **attrs)
    sub(sub(node, _A + "PartyName"), _B + "Name", payee.name)
    if payee.legal_id:
        attrs = {"schemeID": payee.legal_id.scheme} if payee.legal_id.scheme else {}
        sub(sub(node, _A + "PartyLegalEntity"), _B + "CompanyID", payee.legal_id.value, **attrs)


def _delivery(root: etree._Element, invoice: Invoice) -> None:
    delivery = invoice.delivery
    if delivery is None:
        return
    node = sub(root, _A + "Delivery")
    if delivery.date:
        sub(node, _B + "ActualDeliveryDate", delivery.date.isoformat())
    if delivery.location_id or delivery.address:
        location = sub(node, _A + "DeliveryLocation")
        if delivery.location_id:
            attrs = {"schemeID": delivery.location_id.scheme} if delivery.location_id.scheme else {}
            sub(location, _B + "ID", delivery.location_id.value, **attrs)
        if delivery.address:
            _address(location, delivery.address, "Address")
    if delivery.party_name:
        sub(sub(sub(node, _A + "DeliveryParty"), _A + "PartyName"), _B + "Name", delivery.party_name)


def _payment_means(root: etree._Element, invoice: Invoice) -> None:
    means = invoice.payment_means
    if means is None:
        return
    node = sub(root, _A + "PaymentMeans")
    code = sub(node, _B + "PaymentMeansCode", means.code)
    if means.information:
        code.set("name", means.information)
    if invoice.due_date and invoice.is_credit_note:
        sub(node, _B + "PaymentDueDate", invoice.due_date.isoformat())
    if invoice.payment_reference:
        sub(node, _B + "PaymentID", invoice.payment_reference)
    if means.iban:
        account = sub(node, _A + "PayeeFinancialAccount")
        sub(account, _B + "ID", means.iban)
        if means.account_name:
            sub(account, _B + "Name", means.account_name)
        if means.bic:
            sub(sub(account, _A + "FinancialInstitutionBranch"), _B + "ID", means.bic)
    if means.mandate_reference or means.debited_account:
        mandate = sub(node, _A + "PaymentMandate")
        if means.mandate_reference:
            sub(mandate, _B + "ID", means.mandate_reference)
        if means.debited_account:
            sub(sub(mandate, _A + "PayerFinancialAccount"), _B + "ID", means.debited_account)


def _tax_category(parent: etree._Element, tag: str, category: str, rate: Decimal | None) -> etree._Element:
    node = sub(parent, _A + tag)
    sub(node, _B + "ID", category)
    if rate is not None:
        sub(node, _B + "Percent", fmt(rate))
    return node


def _allowance_charge(
    parent: etree._Element, item: LineAllowanceCharge, is_charge: bool, currency: str
) -> None:
    node = sub(parent, _A + "AllowanceCharge")
    sub(node, _B + "ChargeIndicator", "true" if is_charge else "false")
    if item.reason_code:
        sub(node, _B + "AllowanceChargeReasonCode", item.reason_code)
    if item.reason:
        sub(node, _B + "AllowanceChargeReason", item.reason)
    if item.percent is not None:
        sub(node, _B + "MultiplierFactorNumeric", fmt(item.percent))
    _amount(node, "Amount", item.amount, currency)
    if item.base_amount is not None:
        _amount(node, "BaseAmount", item.base_amount, currency)
    if isinstance(item, AllowanceCharge):
        category = _tax_category(node, "TaxCategory", item.vat_category, item.vat_rate)
        sub(sub(category, _A + "TaxScheme"), _B + "ID", "VAT")


def _tax_total(root: etree._Element, invoice: Invoice) -> None:
    currency = invoice.currency
    node = sub(root, _A + "TaxTotal")
    _amount(node, "TaxAmount", invoice.totals.tax_total or Decimal(0), currency)
    for entry in invoice.vat_breakdown:
        subtotal = sub(node, _A + "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", entry.taxable_amount, currency)
        _amount(subtotal, "TaxAmount", entry.tax_amount, currency)
        category = _tax_category(subtotal, "TaxCategory", entry.category, entry.rate)
        if entry.exemption_reason_code:
            sub(category, _B + "TaxExemptionReasonCode", entry.exemption_reason_code)
        if entry.exemption_reason:
            sub(category, _B + "TaxExemptionReason", entry.exemption_reason)
        sub(sub(category, _A + "TaxScheme"), _B + "ID", "VAT")


def _monetary_total(root: etree._Element, invoice: Invoice) -> None:
    totals, currency = invoice.totals, invoice.currency
    node = sub(root, _A + "LegalMonetaryTotal")
    _amount(node, "LineExtensionAmount", totals.line_total or Decimal(0), currency)
    _amount(node, "TaxExclusiveAmount", totals.tax_exclusive or Decimal(0), currency)
    _amount(node, "TaxInclusiveAmount", totals.tax_inclusive or Decimal(0), currency)
    for tag, value in (
        ("AllowanceTotalAmount", totals.allowance_total),
        ("ChargeTotalAmount", totals.charge_total),
        ("PrepaidAmount", totals.prepaid),
        ("PayableRoundingAmount", totals.rounding),
    ):
        if value is not None:
            _amount(node, tag, value, currency)
    _amount(node, "PayableAmount", totals.payable or Decimal(0), currency)


def _line(root: etree._Element, line: InvoiceLine, currency: str, credit: bool) -> None:
    node = sub(root, _A + ("CreditNoteLine" if credit else "InvoiceLine"))
    sub(node, _B + "ID", line.id)
    if line.note:
        sub(node, _B + "Note", line.note)
    sub(
        node,
        _B + ("CreditedQuantity" if credit else "InvoicedQuantity"),
        fmt(line.quantity),
        unitCode=line.unit_code,
    )
    _amount(node, "LineExtensionAmount", line.net_amount or Decimal(0), currency)
    if line.accounting_reference:
        sub(node, _B + "AccountingCost", line.accounting_reference)
    if line.period_start or line.period_end:
        _period(node, line.period_start, line.period_end)
    if line.order_line_reference:
        sub(sub(node, _A + "OrderLineReference"), _B + "LineID", line.order_line_reference)
    for allowance in line.allowances:
        _allowance_charge(node, allowance, False, currency)
    for charge in line.charges:
        _allowance_charge(node, charge, True, currency)
    item = sub(node, _A + "Item")
    if line.description:
        sub(item, _B + "Description", line.description)
    sub(item, _B + "Name", line.name)
    if line.buyer_item_id:
        sub(sub(item, _A + "BuyersItemIdentification"), _B + "ID", line.buyer_item_id)
    if line.seller_item_id:
        sub(sub(item, _A + "SellersItemIdentification"), _B + "ID", line.seller_item_id)
    if line.standard_item_id:
        sub(
            sub(item, _A + "StandardItemIdentification"),
            _B + "ID",
            line.standard_item_id.value,
            schemeID=line.standard_item_id.scheme or "0160",
        )
    if line.origin_country:
        sub(sub(item, _A + "OriginCountry"), _B + "IdentificationCode", line.origin_country)
    category = _tax_category(item, "ClassifiedTaxCategory", line.vat_category, line.vat_rate)
    sub(sub(category, _A + "TaxScheme"), _B + "ID", "VAT")
    price = sub(node, _A + "Price")
    _amount(price, "PriceAmount", line.net_price, currency)
    if line.base_quantity is not None:
        sub(price, _B + "BaseQuantity", fmt(line.base_quantity), unitCode=line.unit_code)
    if line.gross_price is not None:
        discount = sub(price, _A + "AllowanceCharge")
        sub(discount, _B + "ChargeIndicator", "false")
        _amount(discount, "Amount", line.price_discount or Decimal(0), currency)
        _amount(discount, "BaseAmount", line.gross_price, currency)


# --------------------------------------------------------------------------------------------- reader


def read_ubl(data: bytes, source: str = "UBL") -> Invoice:
    return Invoice.model_validate(ubl_to_dict(parse_xml(data, source)))


def is_ubl(root: etree._Element) -> bool:
    return root.tag in (f"{{{INVOICE_NS}}}Invoice", f"{{{CREDIT_NOTE_NS}}}CreditNote")


def ubl_to_dict(root: etree._Element) -> dict:
    if not is_ubl(root):
        raise XmlReadError(root.tag, "not a UBL 2.1 Invoice or CreditNote")
    credit = root.tag.endswith("CreditNote")
    supplier = root.find(f"{_A}AccountingSupplierParty/{_A}Party")
    customer = root.find(f"{_A}AccountingCustomerParty/{_A}Party")
    if supplier is None or customer is None:
        raise XmlReadError("AccountingSupplierParty/AccountingCustomerParty", "mandatory party missing")
    means = root.find(_A + "PaymentMeans")
    project = root.findtext(f"{_A}ProjectReference/{_B}ID")
    attachments = []
    for ref in root.iterfind(_A + "AdditionalDocumentReference"):
        if ref.findtext(_B + "DocumentTypeCode") == _PROJECT_DOC_TYPE:
            project = ref.findtext(_B + "ID")
        else:
            attachments.append(_read_attachment(ref))
    period = root.find(_A + "InvoicePeriod")
    due_date = root.findtext(_B + "DueDate") or (
        means.findtext(_B + "PaymentDueDate") if means is not None else None
    )
    allowances, charges = _read_allowances(root, with_tax=True)
    data = {
        "number": root.findtext(_B + "ID"),
        "issue_date": parse_iso_date(root.findtext(_B + "IssueDate"), "IssueDate"),
        "type_code": root.findtext(_B + ("CreditNoteTypeCode" if credit else "InvoiceTypeCode")),
        "billing_frame": root.findtext(_B + "ProfileID"),
        "currency": root.findtext(_B + "DocumentCurrencyCode"),
        "notes": [_read_note(note.text or "") for note in root.iterfind(_B + "Note")],
        "buyer_accounting_reference": root.findtext(_B + "AccountingCost"),
        "service_code": root.findtext(_B + "BuyerReference"),
        "invoicing_period_start": parse_iso_date(period.findtext(_B + "StartDate"), "StartDate")
        if period is not None
        else None,
        "invoicing_period_end": parse_iso_date(period.findtext(_B + "EndDate"), "EndDate")
        if period is not None
        else None,
        "engagement_number": root.findtext(f"{_A}OrderReference/{_B}ID"),
        "preceding_invoices": [
            drop_none(
                {
                    "number": ref.findtext(_B + "ID"),
                    "issue_date": parse_iso_date(ref.findtext(_B + "IssueDate"), "IssueDate"),
                }
            )
            for ref in root.iterfind(f"{_A}BillingReference/{_A}InvoiceDocumentReference")
        ],
        "market_number": root.findtext(f"{_A}ContractDocumentReference/{_B}ID"),
        "project_reference": project,
        "attachments": attachments,
        "seller": _read_party(supplier, is_seller=True),
        "buyer": _read_party(customer, is_seller=False),
        "payee": _read_payee(root.find(_A + "PayeeParty")),
        "delivery": _read_delivery(root.find(_A + "Delivery")),
        "payment_means": _read_means(means, supplier) if means is not None else None,
        "payment_reference": means.findtext(_B + "PaymentID") if means is not None else None,
        "payment_terms": root.findtext(f"{_A}PaymentTerms/{_B}Note"),
        "due_date": parse_iso_date(due_date, "DueDate"),
        "allowances": allowances,
        "charges": charges,
        "vat_breakdown": [_read_subtotal(node) for node in root.iterfind(f"{_A}TaxTotal/{_A}TaxSubtotal")],
        "totals": _read_totals(root.find(_A + "LegalMonetaryTotal"), root.find(_A + "TaxTotal")),
        "lines": [
            _read_line(node, credit)
            for node in root.iterfind(_A + ("CreditNoteLine" if credit else "InvoiceLine"))
        ],
    }
    return drop_none(data)


def _read_note(text: str) -> dict:
    if text.startswith("#") and text.count("#") >= 2:
        _, code, rest = text.split("#", 2)
        return {"text": rest, "subject_code": code}
    return {"text": text}


def _read_attachment(ref: etree._Element) -> dict:
    binary = ref.find(f"{_A}Attachment/{_B}EmbeddedDocumentBinaryObject")
    return drop_none(
        {
            "id": ref.findtext(_B + "ID"),
            "description": ref.findtext(_B + "DocumentDescription"),
            "uri": ref.findtext(f"{_A}Attachment/{_A}ExternalReference/{_B}URI"),
            "content": base64.b64decode(binary.text or "") if binary is not None else None,
            "mime_code": binary.get("mimeCode") if binary is not None else None,
            "filename": binary.get("filename") if binary is not None else None,
        }
    )


def _read_party(node: etree._Element, is_seller: bool) -> dict:
    siret = None
    other_ids = []
    for ident in node.iterfind(f"{_A}PartyIdentification/{_B}ID"):
        scheme = ident.get("schemeID")
        if scheme == SIRET_SCHEME and siret is None:
            siret = ident.text
        elif scheme != _SEPA:
            other_ids.append(drop_none({"value": ident.text, "scheme": scheme}))
    endpoint = node.find(_B + "EndpointID")
    tax_ids = {
        scheme.findtext(f"{_A}TaxScheme/{_B}ID"): scheme.findtext(_B + "CompanyID")
        for scheme in node.iterfind(_A + "PartyTaxScheme")
    }
    legal = node.find(_A + "PartyLegalEntity")
    contact = node.find(_A + "Contact")
    address = node.find(_A + "PostalAddress")
    data = {
        "name": legal.findtext(_B + "RegistrationName")
        if legal is not None
        else node.findtext(f"{_A}PartyName/{_B}Name"),
        "trading_name": node.findtext(f"{_A}PartyName/{_B}Name") if legal is not None else None,
        "siret": siret,
        "siren": legal.findtext(_B + "CompanyID") if legal is not None else None,
        "vat_id": tax_ids.get("VAT"),
        "other_ids": other_ids,
        "electronic_address": drop_none({"value": endpoint.text, "scheme": endpoint.get("schemeID")})
        if endpoint is not None
        else None,
        "address": _read_address(address) if address is not None else None,
        "contact": drop_none(
            {
                "name": contact.findtext(_B + "Name"),
                "phone": contact.findtext(_B + "Telephone"),
                "email": contact.findtext(_B + "ElectronicMail"),
            }
        )
        if contact is not None
        else None,
    }
    if is_seller:
        data["tax_registration_id"] = tax_ids.get("FC")
        data["legal_info"] = legal.findtext(_B + "CompanyLegalForm") if legal is not None else None
    return drop_none(data)


def _read_address(node: etree._Element) -> dict:
    return drop_none(
        {
            "line1": node.findtext(_B + "StreetName"),
            "line2": node.findtext(_B + "AdditionalStreetName"),
            "line3": node.findtext(f"{_A}AddressLine/{_B}Line"),
            "city": node.findtext(_B + "CityName"),
            "postcode": node.findtext(_B + "PostalZone"),
            "country_subdivision": node.findtext(_B + "CountrySubentity"),
            "country_code": node.findtext(f"{_A}Country/{_B}IdentificationCode"),
        }
    )


def _read_payee(node: etree._Element | None) -> dict | None:
    if node is None:
        return None
    ident = node.find(f"{_A}PartyIdentification/{_B}ID")
    legal = node.find(f"{_A}PartyLegalEntity/{_B}CompanyID")
    return drop_none(
        {
            "name": node.findtext(f"{_A}PartyName/{_B}Name"),
            "identifier": drop_none({"value": ident.text, "scheme": ident.get("schemeID")})
            if ident is not None
            else None,
            "legal_id": drop_none({"value": legal.text, "scheme": legal.get("schemeID")})
            if legal is not None
            else None,
        }
    )


def _read_delivery(node: etree._Element | None) -> dict | None:
    if node is None:
        return None
    location = node.find(f"{_A}DeliveryLocation/{_B}ID")
    address = node.find(f"{_A}DeliveryLocation/{_A}Address")
    data = drop_none(
        {
            "date": parse_iso_date(node.findtext(_B + "ActualDeliveryDate"), "ActualDeliveryDate"),
            "location_id": drop_none({"value": location.text, "scheme": location.get("schemeID")})
            if location is not None
            else None,
            "address": _read_address(address) if address is not None else None,
            "party_name": node.findtext(f"{_A}DeliveryParty/{_A}PartyName/{_B}Name"),
        }
    )
    return data or None


def _read_means(node: etree._Element, supplier: etree._Element) -> dict:
    code = node.find(_B + "PaymentMeansCode")
    creditor = None
    for ident in supplier.iterfind(f"{_A}PartyIdentification/{_B}ID"):
        if ident.get("schemeID") == _SEPA:
            creditor = ident.text
    return drop_none(
        {
            "code": code.text if code is not None else None,
            "information": code.get("name") if code is not None else None,
            "iban": node.findtext(f"{_A}PayeeFinancialAccount/{_B}ID"),
            "account_name": node.findtext(f"{_A}PayeeFinancialAccount/{_B}Name"),
            "bic": node.findtext(f"{_A}PayeeFinancialAccount/{_A}FinancialInstitutionBranch/{_B}ID"),
            "mandate_reference": node.findtext(f"{_A}PaymentMandate/{_B}ID"),
            "debited_account": node.findtext(f"{_A}PaymentMandate/{_A}PayerFinancialAccount/{_B}ID"),
            "creditor_reference": creditor,
        }
    )


def _read_allowances(parent: etree._Element, with_tax: bool) -> tuple[list[dict], list[dict]]:
    allowances: list[dict] = []
    charges: list[dict] = []
    for node in parent.iterfind(_A + "AllowanceCharge"):
        data = {
            "amount": parse_decimal(node.findtext(_B + "Amount"), "AllowanceCharge/Amount"),
            "base_amount": parse_decimal(node.findtext(_B + "BaseAmount"), "AllowanceCharge/BaseAmount"),
            "percent": parse_decimal(
                node.findtext(_B + "MultiplierFactorNumeric"), "MultiplierFactorNumeric"
            ),
            "reason": node.findtext(_B + "AllowanceChargeReason"),
            "reason_code": node.findtext(_B + "AllowanceChargeReasonCode"),
        }
        if with_tax:
            data["vat_category"] = node.findtext(f"{_A}TaxCategory/{_B}ID")
            data["vat_rate"] = parse_decimal(
                node.findtext(f"{_A}TaxCategory/{_B}Percent"), "TaxCategory/Percent"
            )
        (charges if node.findtext(_B + "ChargeIndicator") == "true" else allowances).append(drop_none(data))
    return allowances, charges


def _read_subtotal(node: etree._Element) -> dict:
    return drop_none(
        {
            "taxable_amount": parse_decimal(node.findtext(_B + "TaxableAmount"), "TaxSubtotal/TaxableAmount"),
            "tax_amount": parse_decimal(node.findtext(_B + "TaxAmount"), "TaxSubtotal/TaxAmount"),
            "category": node.findtext(f"{_A}TaxCategory/{_B}ID"),
            "rate": parse_decimal(node.findtext(f"{_A}TaxCategory/{_B}Percent"), "TaxCategory/Percent"),
            "exemption_reason": node.findtext(f"{_A}TaxCategory/{_B}TaxExemptionReason"),
            "exemption_reason_code": node.findtext(f"{_A}TaxCategory/{_B}TaxExemptionReasonCode"),
        }
    )


def _read_totals(node: etree._Element | None, tax_total: etree._Element | None) -> dict:
    if node is None:
        raise XmlReadError("LegalMonetaryTotal", "mandatory element missing")

    def amount(tag: str) -> Decimal | None:
        return parse_decimal(node.findtext(_B + tag), f"LegalMonetaryTotal/{tag}")

    return drop_none(
        {
            "line_total": amount("LineExtensionAmount"),
            "tax_exclusive": amount("TaxExclusiveAmount"),
            "tax_inclusive": amount("TaxInclusiveAmount"),
            "allowance_total": amount("AllowanceTotalAmount"),
            "charge_total": amount("ChargeTotalAmount"),
            "prepaid": amount("PrepaidAmount"),
            "rounding": amount("PayableRoundingAmount"),
            "payable": amount("PayableAmount"),
            "tax_total": parse_decimal(tax_total.findtext(_B + "TaxAmount"), "TaxTotal/TaxAmount")
            if tax_total is not None
            else None,
        }
    )


def _read_line(node: etree._Element, credit: bool) -> dict:
    line_id = node.findtext(_B + "ID")
    path = f"InvoiceLine[{line_id}]"
    quantity = node.find(_B + ("CreditedQuantity" if credit else "InvoicedQuantity"))
    item = node.find(_A + "Item")
    price = node.find(_A + "Price")
    if item is None or price is None or quantity is None:
        raise XmlReadError(path, "incomplete invoice line (Item, Price and quantity are mandatory)")
    standard = item.find(f"{_A}StandardItemIdentification/{_B}ID")
    period = node.find(_A + "InvoicePeriod")
    discount = price.find(_A + "AllowanceCharge")
    allowances, charges = _read_allowances(node, with_tax=False)
    return drop_none(
        {
            "id": line_id,
            "note": node.findtext(_B + "Note"),
            "quantity": parse_decimal(quantity.text, path + "/quantity"),
            "unit_code": quantity.get("unitCode"),
            "net_amount": parse_decimal(
                node.findtext(_B + "LineExtensionAmount"), path + "/LineExtensionAmount"
            ),
            "accounting_reference": node.findtext(_B + "AccountingCost"),
            "period_start": parse_iso_date(period.findtext(_B + "StartDate"), "StartDate")
            if period is not None
            else None,
            "period_end": parse_iso_date(period.findtext(_B + "EndDate"), "EndDate")
            if period is not None
            else None,
            "order_line_reference": node.findtext(f"{_A}OrderLineReference/{_B}LineID"),
            "allowances": allowances,
            "charges": charges,
            "description": item.findtext(_B + "Description"),
            "name": item.findtext(_B + "Name"),
            "buyer_item_id": item.findtext(f"{_A}BuyersItemIdentification/{_B}ID"),
            "seller_item_id": item.findtext(f"{_A}SellersItemIdentification/{_B}ID"),
            "standard_item_id": {"value": standard.text, "scheme": standard.get("schemeID")}
            if standard is not None
            else None,
            "origin_country": item.findtext(f"{_A}OriginCountry/{_B}IdentificationCode"),
            "vat_category": item.findtext(f"{_A}ClassifiedTaxCategory/{_B}ID"),
            "vat_rate": parse_decimal(
                item.findtext(f"{_A}ClassifiedTaxCategory/{_B}Percent"), path + "/Percent"
            ),
            "net_price": parse_decimal(price.findtext(_B + "PriceAmount"), path + "/PriceAmount"),
            "base_quantity": parse_decimal(price.findtext(_B + "BaseQuantity"), path + "/BaseQuantity"),
            "gross_price": parse_decimal(discount.findtext(_B + "BaseAmount"), path + "/BaseAmount")
            if discount is not None
            else None,
            "price_discount": parse_decimal(discount.findtext(_B + "Amount"), path + "/Amount")
            if discount is not None
            else None,
        }
    )
