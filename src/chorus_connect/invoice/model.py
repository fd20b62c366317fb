"""The invoice model: EN 16931 (invoice and credit note) plus the data Chorus Pro routes and checks on.

Field names are English; each field's description gives its EN 16931 business term (BT-/BG-) and, where it
has one, its Chorus Pro name. Amounts are `Decimal`. When the VAT breakdown or totals are absent they are
computed with the EN 16931 rounding rules (`amounts.py`); when given they are kept as given, and the checks
(`chorus_connect.validation`) compare them with the computed ones.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chorus_connect.invoice import amounts
from chorus_connect.invoice.enums import (
    BillingFrame,
    ChorusPaymentMode,
    DocumentType,
    PaymentMeansCode,
    VatCategory,
    chorus_mode_of,
)

SIRET_SCHEME = "0009"
SIREN_SCHEME = "0002"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_default=False)


class Identifier(_Model):
    """An identifier with an optional ISO 6523 scheme (`0009` SIRET, `0002` SIREN, `0088` GLN, …)."""

    value: str = Field(min_length=1)
    scheme: str | None = None


class Address(_Model):
    """BG-5 / BG-8 / BG-12 / BG-15 postal address."""

    line1: str | None = Field(None, description="BT-35 / BT-50 address line 1")
    line2: str | None = Field(None, description="BT-36 / BT-51 address line 2")
    line3: str | None = Field(None, description="BT-162 / BT-163 address line 3")
    city: str | None = Field(None, description="BT-37 / BT-52 city")
    postcode: str | None = Field(None, description="BT-38 / BT-53 post code")
    country_subdivision: str | None = Field(None, description="BT-39 / BT-54 region")
    country_code: str = Field("FR", pattern=r"^[A-Z]{2}$", description="BT-40 / BT-55 ISO 3166-1 alpha-2")


class Contact(_Model):
    """BG-6 / BG-9 contact."""

    name: str | None = Field(None, description="BT-41 / BT-56 contact point")
    phone: str | None = Field(None, description="BT-42 / BT-57")
    email: str | None = Field(None, description="BT-43 / BT-58")


class Party(_Model):
    """Common part of the seller (BG-4) and the buyer (BG-7)."""

    name: str = Field(min_length=1, description="BT-27 / BT-44 legal name")
    trading_name: str | None = Field(None, description="BT-28 / BT-45 trading name")
    siret: str | None = Field(
        None, description="BT-29 / BT-46 with scheme 0009: 14-digit SIRET (Chorus Pro routes on it)"
    )
    siren: str | None = Field(
        None, description="BT-30 / BT-47 with scheme 0002: 9-digit SIREN (derived from the SIRET if absent)"
    )
    vat_id: str | None = Field(None, description="BT-31 / BT-48 VAT identifier (FRxx…)")
    other_ids: list[Identifier] = Field(
        default_factory=list, description="BT-29 / BT-46 other identifiers (for parties without a SIRET)"
    )
    electronic_address: Identifier | None = Field(None, description="BT-34 / BT-49 (with its scheme BT-34-1)")
    address: Address = Field(default_factory=Address, description="BG-5 / BG-8")
    contact: Contact | None = Field(None, description="BG-6 / BG-9")

    @model_validator(mode="after")
    def _derive_siren(self) -> Party:
        # BT-30/BT-47 is the SIREN (first 9 digits of the SIRET) for a French party: Chorus and the reform
        # expect both identifiers (facturx-stack.md §4 field mapping).
        if self.siret and not self.siren and self.siret.isdigit() and len(self.siret) == 14:
            self.siren = self.siret[:9]
        return self


class Seller(Party):
    """BG-4, the supplier (fournisseur)."""

    tax_registration_id: str | None = Field(None, description="BT-32 seller tax registration (scheme FC)")
    legal_info: str | None = Field(None, description="BT-33 additional legal information (capital, RCS…)")


class Buyer(Party):
    """BG-7, the public recipient (destinataire); `siret` is the Chorus Pro `codeDestinataire`."""


class Payee(_Model):
    """BG-10, when the payee is not the seller (e.g. factoring)."""

    name: str = Field(min_length=1, description="BT-59")
    identifier: Identifier | None = Field(None, description="BT-60")
    legal_id: Identifier | None = Field(None, description="BT-61")


class LineAllowanceCharge(_Model):
    """BG-27 (allowance) / BG-28 (charge) on a line."""

    amount: Decimal = Field(description="BT-136 / BT-141 (computed from base × percent when absent)")
    base_amount: Decimal | None = Field(None, description="BT-137 / BT-142")
    percent: Decimal | None = Field(None, description="BT-138 / BT-143")
    reason: str | None = Field(None, description="BT-139 / BT-144")
    reason_code: str | None = Field(None, description="BT-140 / BT-145 (UNTDID 5189 / 7161)")

    @model_validator(mode="before")
    @classmethod
    def _compute_amount(cls, data: Any) -> Any:
        return _fill_allowance_amount(data)


class AllowanceCharge(LineAllowanceCharge):
    """BG-20 (document allowance) / BG-21 (document charge)."""

    vat_category: VatCategory = Field(VatCategory.STANDARD, description="BT-95 / BT-102")
    vat_rate: Decimal | None = Field(None, description="BT-96 / BT-103")

    @model_validator(mode="after")
    def _default_rate(self) -> AllowanceCharge:
        self.vat_rate = _normalized_rate(self.vat_category, self.vat_rate)
        return self


def _fill_allowance_amount(data: Any) -> Any:
    if isinstance(data, dict) and data.get("amount") is None:
        base, percent = data.get("base_amount"), data.get("percent")
        if base is not None and percent is not None:
            computed = amounts.allowance_amount(Decimal(str(base)), Decimal(str(percent)))
            return {**data, "amount": computed}
    return data


def _normalized_rate(category: VatCategory, rate: Decimal | None) -> Decimal | None:
    # Category O ("not subject to VAT") carries no rate at all (BR-O-05…); the other exempt categories
    # carry 0 (BR-E-05, BR-AE-05, BR-IC-05, BR-G-05, BR-Z-05).
    if category is VatCategory.NOT_SUBJECT:
        return None
    if rate is None and category is not VatCategory.STANDARD:
        return Decimal("0")
    return rate


class InvoiceLine(_Model):
    """BG-25, an invoice line (with BG-26 period, BG-29 price details, BG-30 VAT, BG-31 item)."""

    id: str = Field(min_length=1, description="BT-126 line identifier")
    note: str | None = Field(None, description="BT-127 line note")
    name: str = Field(min_length=1, description="BT-153 item name")
    description: str | None = Field(None, description="BT-154 item description")
    seller_item_id: str | None = Field(None, description="BT-155")
    buyer_item_id: str | None = Field(None, description="BT-156")
    standard_item_id: Identifier | None = Field(None, description="BT-157 (with scheme, e.g. 0160 GTIN)")
    origin_country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="BT-159")
    quantity: Decimal = Field(description="BT-129 invoiced quantity")
    unit_code: str = Field("C62", description="BT-130 UN/ECE rec. 20 unit (C62 = unit, HUR = hour, DAY…)")
    net_price: Decimal = Field(description="BT-146 item net price (after price discount), excl. VAT")
    gross_price: Decimal | None = Field(None, description="BT-148 item gross price (before price discount)")
    price_discount: Decimal | None = Field(None, description="BT-147 item price discount (gross − net)")
    base_quantity: Decimal | None = Field(None, description="BT-149 price base quantity")
    vat_category: VatCategory = Field(VatCategory.STANDARD, description="BT-151")
    vat_rate: Decimal | None = Field(None, description="BT-152 VAT rate in percent (e.g. 20)")
    period_start: dt.date | None = Field(None, description="BT-134")
    period_end: dt.date | None = Field(None, description="BT-135")
    order_line_reference: str | None = Field(None, description="BT-132 referenced purchase order line")
    accounting_reference: str | None = Field(None, description="BT-133 buyer accounting reference")
    allowances: list[LineAllowanceCharge] = Field(default_factory=list, description="BG-27")
    charges: list[LineAllowanceCharge] = Field(default_factory=list, description="BG-28")
    net_amount: Decimal | None = Field(None, description="BT-131 line net amount (computed when absent)")

    @model_validator(mode="after")
    def _normalize(self) -> InvoiceLine:
        self.vat_rate = _normalized_rate(self.vat_category, self.vat_rate)
        self._normalize_price()
        if self.net_amount is None:
            self.net_amount = self.computed_net_amount()
        return self

    def _normalize_price(self) -> None:
        # A gross price is only meaningful with a real discount (Chorus rejects a gross price without
        # `AppliedTradeAllowanceCharge/ActualAmount`, rejection-causes #27): fold the three values into
        # one canonical form so that what is written reads back identical.
        if self.gross_price is not None and self.price_discount is None:
            self.price_discount = self.gross_price - self.net_price
        if self.gross_price is not None and not self.price_discount:
            self.gross_price = None
            self.price_discount = None

    def computed_net_amount(self) -> Decimal:
        return amounts.line_net_amount(
            self.quantity, self.net_price, self.base_quantity, self.allowances, self.charges
        )


class VatBreakdown(_Model):
    """BG-23, one VAT category and rate."""

    category: VatCategory = Field(description="BT-118")
    rate: Decimal | None = Field(None, description="BT-119")
    taxable_amount: Decimal = Field(description="BT-116")
    tax_amount: Decimal = Field(description="BT-117")
    exemption_reason: str | None = Field(None, description="BT-120 (required for E, AE, K, G, O)")
    exemption_reason_code: str | None = Field(None, description="BT-121 (VATEX code, e.g. VATEX-EU-132)")

    @model_validator(mode="after")
    def _default_rate(self) -> VatBreakdown:
        self.rate = _normalized_rate(self.category, self.rate)
        return self

    @property
    def key(self) -> tuple[VatCategory, Decimal | None]:
        return self.category, self.rate


class VatExemption(_Model):
    """Input convenience: the exemption reason of a category, moved into the computed VAT breakdown."""

    category: VatCategory
    reason: str | None = None
    reason_code: str | None = None


class Totals(_Model):
    """BG-22 document totals; any field left out is computed."""

    line_total: Decimal | None = Field(None, description="BT-106 Σ line net amounts")
    allowance_total: Decimal | None = Field(None, description="BT-107 Σ document allowances")
    charge_total: Decimal | None = Field(None, description="BT-108 Σ document charges")
    tax_exclusive: Decimal | None = Field(None, description="BT-109 total without VAT (montantHtTotal)")
    tax_total: Decimal | None = Field(None, description="BT-110 total VAT (montantTVA)")
    tax_inclusive: Decimal | None = Field(None, description="BT-112 total with VAT (montantTtcTotal)")
    prepaid: Decimal | None = Field(None, description="BT-113 paid amount")
    rounding: Decimal | None = Field(None, description="BT-114 rounding amount")
    payable: Decimal | None = Field(None, description="BT-115 amount due (montantAPayer)")


def _payment_means_schema(schema: dict[str, Any]) -> None:
    # The input may give the Chorus mode instead of the BT-81 code (converted by `_mode_to_code`).
    schema["properties"]["mode"] = {
        "enum": [mode.value for mode in ChorusPaymentMode],
        "description": "Chorus modePaiement, converted to BT-81 (VIREMENT = 30, CHEQUE = 20, …)",
    }
    schema["required"] = [name for name in schema.get("required", []) if name != "code"]
    schema["anyOf"] = [{"required": ["code"]}, {"required": ["mode"]}]


class PaymentMeans(_Model):
    """BG-16 payment instructions; `code` is BT-81 (or give the Chorus `mode`: VIREMENT, CHEQUE, …)."""

    model_config = ConfigDict(json_schema_extra=_payment_means_schema)

    code: PaymentMeansCode = Field(description="BT-81 UNTDID 4461 (30 = credit transfer)")
    information: str | None = Field(None, description="BT-82 payment means text")
    iban: str | None = Field(None, description="BT-84 payee IBAN (coordonnées bancaires fournisseur)")
    account_name: str | None = Field(None, description="BT-85")
    bic: str | None = Field(None, description="BT-86")
    mandate_reference: str | None = Field(None, description="BT-89 direct debit mandate")
    creditor_reference: str | None = Field(None, description="BT-90 bank assigned creditor identifier")
    debited_account: str | None = Field(None, description="BT-91 debited account (direct debit)")

    @model_validator(mode="before")
    @classmethod
    def _mode_to_code(cls, data: Any) -> Any:
        if isinstance(data, dict) and "mode" in data:
            data = dict(data)
            mode = data.pop("mode")
            if mode is not None and data.get("code") is None:
                data["code"] = ChorusPaymentMode(str(mode).upper()).means_code
        if isinstance(data, dict) and isinstance(data.get("iban"), str):
            data = {**data, "iban": data["iban"].replace(" ", "").upper()}
        return data

    @property
    def chorus_mode(self) -> ChorusPaymentMode:
        return chorus_mode_of(self.code)


class Note(_Model):
    """BG-1 invoice note."""

    text: str = Field(min_length=1, description="BT-22")
    subject_code: str | None = Field(None, description="BT-21 (UNTDID 4451, e.g. AAI, PMT, PMD, AAB)")


class PrecedingInvoice(_Model):
    """BG-3, the invoice a credit note corrects (Chorus `numeroFactureOrigine`)."""

    number: str = Field(min_length=1, description="BT-25")
    issue_date: dt.date | None = Field(None, description="BT-26")


class Attachment(_Model):
    """BG-24 additional supporting document (pièce jointe complémentaire)."""

    id: str = Field(min_length=1, description="BT-122 supporting document reference")
    description: str | None = Field(None, description="BT-123")
    uri: str | None = Field(None, description="BT-124 external location")
    filename: str | None = Field(None, description="BT-125-2 file name (≤ 50 characters for Chorus)")
    mime_code: str | None = Field(None, description="BT-125-1 MIME type (application/pdf, image/png, …)")
    content: bytes | None = Field(None, description="BT-125 content, base64 in JSON")


class Delivery(_Model):
    """BG-13 delivery information."""

    date: dt.date | None = Field(None, description="BT-72 actual delivery date")
    party_name: str | None = Field(None, description="BT-70 deliver-to party name")
    location_id: Identifier | None = Field(None, description="BT-71 deliver-to location identifier")
    address: Address | None = Field(None, description="BG-15 deliver-to address")


class Invoice(_Model):
    """An EN 16931 invoice or credit note with the Chorus Pro routing data."""

    number: str = Field(min_length=1, description="BT-1 invoice number (Chorus: ≤ 20 characters)")
    issue_date: dt.date = Field(description="BT-2 issue date")
    type_code: DocumentType = Field(DocumentType.INVOICE, description="BT-3: 380 invoice, 381 credit note, …")
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$", description="BT-5 invoice currency")
    billing_frame: BillingFrame | str = Field(
        BillingFrame.A1,
        description="BT-23 Chorus cadre de facturation: A1 … A25 (or A1_FACTURE_FOURNISSEUR…), works A4–A8…",
    )
    service_code: str | None = Field(
        None, description="BT-10 buyer reference = Chorus code service exécutant"
    )
    engagement_number: str | None = Field(
        None, description="BT-13 purchase order = Chorus numéro d'engagement juridique (≤ 50 characters)"
    )
    market_number: str | None = Field(None, description="BT-12 contract reference = Chorus numéro de marché")
    project_reference: str | None = Field(None, description="BT-11 project reference")
    buyer_accounting_reference: str | None = Field(None, description="BT-19")
    notes: list[Note] = Field(default_factory=list, description="BG-1")
    preceding_invoices: list[PrecedingInvoice] = Field(default_factory=list, description="BG-3")
    seller: Seller = Field(description="BG-4 supplier")
    buyer: Buyer = Field(description="BG-7 public recipient")
    payee: Payee | None = Field(None, description="BG-10")
    delivery: Delivery | None = Field(None, description="BG-13")
    invoicing_period_start: dt.date | None = Field(None, description="BT-73")
    invoicing_period_end: dt.date | None = Field(None, description="BT-74")
    payment_means: PaymentMeans | None = Field(None, description="BG-16 (none on a credit note for Chorus)")
    payment_reference: str | None = Field(None, description="BT-83 remittance information")
    payment_terms: str | None = Field(None, description="BT-20 payment terms")
    due_date: dt.date | None = Field(None, description="BT-9 payment due date")
    allowances: list[AllowanceCharge] = Field(default_factory=list, description="BG-20")
    charges: list[AllowanceCharge] = Field(default_factory=list, description="BG-21")
    lines: list[InvoiceLine] = Field(default_factory=list, description="BG-25 (at least one)")
    vat_breakdown: list[VatBreakdown] = Field(
        default_factory=list, description="BG-23 (computed from the lines when absent)"
    )
    vat_exemptions: list[VatExemption] = Field(
        default_factory=list,
        description="Exemption reasons per VAT category, copied into the VAT breakdown (input only)",
    )
    totals: Totals = Field(default_factory=Totals, description="BG-22 (fields left out are computed)")
    attachments: list[Attachment] = Field(default_factory=list, description="BG-24")

    @field_validator("billing_frame", mode="before")
    @classmethod
    def _parse_frame(cls, value: Any) -> Any:
        # Other values (e.g. the reform's B1/S1/M1) are kept as read, for CPRO-CAD-04 to report them.
        if isinstance(value, str):
            try:
                return BillingFrame.parse(value)
            except ValueError:
                return value
        return value

    @model_validator(mode="after")
    def _complete(self) -> Invoice:
        if not self.vat_breakdown and self.lines:
            self.vat_breakdown = self.computed_vat_breakdown()
        self._apply_exemptions()
        self._complete_totals()
        return self

    @property
    def is_credit_note(self) -> bool:
        return self.type_code.is_credit_note

    def _apply_exemptions(self) -> None:
        for exemption in self.vat_exemptions:
            for entry in self.vat_breakdown:
                if entry.category is exemption.category:
                    entry.exemption_reason = entry.exemption_reason or exemption.reason
                    entry.exemption_reason_code = entry.exemption_reason_code or exemption.reason_code
        self.vat_exemptions = []

    def computed_vat_breakdown(self) -> list[VatBreakdown]:
        """BG-23 from the lines and document allowances/charges, one entry per category and rate."""
        bases: dict[tuple[VatCategory, Decimal | None], Decimal] = defaultdict(lambda: amounts.ZERO)
        for line in self.lines:
            bases[(line.vat_category, line.vat_rate)] += line.net_amount or amounts.ZERO
        for charge in self.charges:
            bases[(charge.vat_category, charge.vat_rate)] += charge.amount
        for allowance in self.allowances:
            bases[(allowance.vat_category, allowance.vat_rate)] -= allowance.amount
        return [
            VatBreakdown(
                category=category,
                rate=rate,
                taxable_amount=amounts.round_amount(base),
                tax_amount=amounts.vat_of(base, rate or amounts.ZERO),
            )
            for (category, rate), base in bases.items()
        ]

    def computed_totals(self) -> Totals:
        """BG-22 as EN 16931 defines it (BR-CO-10…16), from the lines, allowances, charges and breakdown."""
        line_total = amounts.total(line.net_amount or amounts.ZERO for line in self.lines)
        allowance_total = amounts.total(a.amount for a in self.allowances)
        charge_total = amounts.total(c.amount for c in self.charges)
        tax_exclusive = line_total - allowance_total + charge_total
        tax_total = amounts.total(entry.tax_amount for entry in self.vat_breakdown)
        tax_inclusive = tax_exclusive + tax_total
        prepaid = self.totals.prepaid
        rounding = self.totals.rounding
        payable = tax_inclusive - (prepaid or amounts.ZERO) + (rounding or amounts.ZERO)
        return Totals(
            line_total=line_total,
            allowance_total=allowance_total if self.allowances else None,
            charge_total=charge_total if self.charges else None,
            tax_exclusive=tax_exclusive,
            tax_total=tax_total,
            tax_inclusive=tax_inclusive,
            prepaid=prepaid,
            rounding=rounding,
            payable=payable,
        )

    def _complete_totals(self) -> None:
        computed = self.computed_totals()
        for name in Totals.model_fields:
            if getattr(self.totals, name) is None:
                setattr(self.totals, name, getattr(computed, name))
