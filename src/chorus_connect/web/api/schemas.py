"""Request and response bodies of the REST API (English names; Chorus Pro's French ones stay on the wire
between the connector and Chorus Pro). Amounts are strings, to stay exact."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from chorus_connect.store import InvoiceEvent, InvoiceRecord, PasswordExpiry, ReceivedInvoice, Structure
from chorus_connect.web import presenters


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    @field_serializer("*", when_used="json", check_fields=False)
    def _exact(self, value: Any) -> Any:
        return format(value, "f") if isinstance(value, Decimal) else value


# --- structures -----------------------------------------------------------------------------------------


class WebhookSettings(Out):
    url: str | None = None
    secret_set: bool = False
    notification_emails: list[str] = Field(default_factory=list)


class StructureOut(Out):
    id: int
    name: str
    role: Literal["supplier", "public_buyer"]
    environment: Literal["production", "sandbox", "local"]
    siret: str
    chorus_structure_id: int | None
    technical_login: str
    technical_password_expires_on: dt.date
    technical_password_expiry_source: str = Field(description="chorus (read from Chorus Pro) or estimated")
    technical_password_days_left: int
    technical_password_warning: bool = Field(description="True from 30 days before the expiry")
    default_service_code: str | None
    engagement_management: bool
    default_payment_mode: str | None
    bank_account_id: int | None
    bank_account_label: str | None
    referent_email: str | None
    is_active: bool
    webhook: WebhookSettings

    @classmethod
    def of(cls, structure: Structure, expiry: PasswordExpiry) -> StructureOut:
        return cls(
            id=structure.id,
            name=structure.name,
            role=structure.role.value,  # type: ignore[arg-type]
            environment=structure.environment.value,  # type: ignore[arg-type]
            siret=structure.siret,
            chorus_structure_id=structure.chorus_structure_id,
            technical_login=structure.technical_login,
            technical_password_expires_on=expiry.expires_on,
            technical_password_expiry_source=expiry.source,
            technical_password_days_left=expiry.days_left,
            technical_password_warning=expiry.warn,
            default_service_code=structure.default_service_code,
            engagement_management=structure.engagement_management,
            default_payment_mode=structure.default_payment_mode,
            bank_account_id=structure.bank_account_id,
            bank_account_label=structure.bank_account_label,
            referent_email=structure.referent_email,
            is_active=structure.is_active,
            webhook=WebhookSettings(
                url=structure.webhook_url,
                secret_set=structure.webhook_secret_encrypted is not None,
                notification_emails=list(structure.notification_emails or []),
            ),
        )


class WebhookUpdate(Model):
    url: str | None = Field(None, description="https URL (http only to loopback); null removes the webhook")
    secret: str | None = Field(
        None, description="HMAC-SHA256 key of the signatures; required with a new URL, write-only"
    )
    notification_emails: list[str] | None = Field(None, description="Addresses e-mailed on each event")


class ConnectionStepOut(Out):
    name: str
    status: Literal["passed", "warning", "failed", "skipped"]
    detail: str
    fix: str


class ConnectionCheckOut(Out):
    ok: bool
    environment: str
    api_url: str
    steps: list[ConnectionStepOut]


# --- invoices -------------------------------------------------------------------------------------------


class FindingOut(Out):
    rule_id: str
    path: str
    message: str
    severity: str
    layer: str
    detail: str | None = None
    location: str | None = None


class EventOut(Out):
    at: dt.datetime
    source: str
    status: str
    chorus_status: str | None
    comment: str | None
    actor: str | None

    @classmethod
    def of(cls, event: InvoiceEvent) -> EventOut:
        return cls(
            at=event.at,
            source=event.source.value,
            status=event.status.value,
            chorus_status=event.chorus_status,
            comment=event.comment,
            actor=event.actor,
        )


class InvoiceOut(Out):
    id: int
    structure_id: int
    number: str
    issue_date: dt.date
    type_code: str
    currency: str
    recipient_siret: str | None
    recipient_name: str | None
    service_code: str | None
    engagement_number: str | None
    market_number: str | None
    amount_tax_exclusive: Decimal | None
    amount_tax_inclusive: Decimal | None
    status: str = Field(description="The connector's status: imported, checked, check_failed, queued, …")
    chorus_status: str | None = Field(description="Chorus Pro's status once integrated (SUSPENDUE, …)")
    category: str | None = Field(description="Dashboard category: a-deposer, en-erreur, deposees, …")
    flux_number: str | None
    chorus_invoice_id: int | None
    deposited_at: dt.datetime | None
    status_changed_at: dt.datetime
    is_terminal: bool
    errors: int = Field(0, description="Blocking findings of the last check")
    warnings: int = 0

    @classmethod
    def of(cls, record: InvoiceRecord) -> InvoiceOut:
        category = presenters.category_of(record.status, record.chorus_status)
        findings = record.findings or []
        return cls(
            id=record.id,
            structure_id=record.structure_id,
            number=record.number,
            issue_date=record.issue_date,
            type_code=record.type_code,
            currency=record.currency,
            recipient_siret=record.recipient_siret,
            recipient_name=record.recipient_name,
            service_code=record.service_code,
            engagement_number=record.engagement_number,
            market_number=record.market_number,
            amount_tax_exclusive=record.amount_tax_exclusive,
            amount_tax_inclusive=record.amount_tax_inclusive,
            status=record.status.value,
            chorus_status=record.chorus_status,
            category=category.slug if category else None,
            flux_number=record.flux_number,
            chorus_invoice_id=record.chorus_invoice_id,
            deposited_at=record.deposited_at,
            status_changed_at=record.status_changed_at,
            is_terminal=record.is_terminal,
            errors=sum(1 for f in findings if f.get("severity") == "error"),
            warnings=sum(1 for f in findings if f.get("severity") == "warning"),
        )


class InvoiceDetail(InvoiceOut):
    findings: list[FindingOut]
    history: list[EventOut]
    allowed_actions: list[str]
    document: dict[str, Any] = Field(description="The invoice as stored (docs/invoice.schema.json)")


class InvoicePage(Out):
    items: list[InvoiceOut]
    total: int
    limit: int
    offset: int


class RejectedFile(Out):
    file_name: str
    message: str
    fix: str


class ImportOut(Out):
    structure_id: int
    invoices: list[InvoiceOut] = Field(description="The invoices imported, each already checked")
    rejected_files: list[RejectedFile] = Field(
        default_factory=list, description="Files that could not be imported (nothing of them was)"
    )


DatabaseId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class DepositRequest(Model):
    invoice_ids: list[DatabaseId] = Field(min_length=1, max_length=500)


class ActionResult(Out):
    invoice_id: int
    ok: bool
    status: str | None = None
    chorus_status: str | None = None
    message: str = ""
    fix: str = ""


class DepositOut(Out):
    results: list[ActionResult]


class Attachment(Model):
    file_name: str = Field(min_length=1, max_length=50, description="With its extension, e.g. bon.pdf")
    content_base64: str = Field(min_length=1, description="The file, base64-encoded (10 MB at most)")


class CompleteRequest(Model):
    comment: str = Field("", max_length=2000)
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)


class RecycleRequest(Model):
    recipient_siret: str | None = Field(None, description="New recipient SIRET")
    service_code: str | None = None
    engagement_number: str | None = None


class ResendRequest(Model):
    new_number: str = Field(min_length=1, max_length=20, description="The corrected invoice's new number")


class RoutingUpdate(Model):
    """The Chorus Pro block of an invoice, editable until it is deposited; omitted fields are kept, an
    empty string clears one."""

    buyer_siret: str | None = Field(None, max_length=20, description="The recipient's SIRET (14 digits)")
    service_code: str | None = Field(None, max_length=100)
    market_number: str | None = Field(None, max_length=50)
    engagement_number: str | None = Field(None, max_length=50)
    payment_mode: Literal["VIREMENT", "CHEQUE", "PRELEVEMENT", "ESPECE", "AUTRE", "REPORT"] | None = None
    iban: str | None = Field(None, max_length=40)


class SyncOut(Out):
    structure_id: int
    details: dict[str, Any] = Field(default_factory=dict)


# --- received invoices ----------------------------------------------------------------------------------


class ReceivedOut(Out):
    id: int
    structure_id: int
    chorus_invoice_id: int
    number: str
    issue_date: dt.date | None
    supplier_name: str | None
    supplier_identifier: str | None
    service_code: str | None
    engagement_number: str | None
    currency: str | None
    amount_tax_exclusive: Decimal | None
    amount_tax_inclusive: Decimal | None
    chorus_status: str | None
    chorus_status_at: dt.datetime | None
    downloaded: bool

    @classmethod
    def of(cls, row: ReceivedInvoice) -> ReceivedOut:
        return cls(
            id=row.id,
            structure_id=row.structure_id,
            chorus_invoice_id=row.chorus_invoice_id,
            number=row.number,
            issue_date=row.issue_date,
            supplier_name=row.supplier_name,
            supplier_identifier=row.supplier_identifier,
            service_code=row.service_code,
            engagement_number=row.engagement_number,
            currency=row.currency,
            amount_tax_exclusive=row.amount_tax_exclusive,
            amount_tax_inclusive=row.amount_tax_inclusive,
            chorus_status=row.chorus_status,
            chorus_status_at=row.chorus_status_at,
            downloaded=row.file_id is not None,
        )


class ReceivedEventOut(Out):
    at: dt.datetime
    source: str
    chorus_status: str | None
    comment: str | None
    actor: str | None


class ReceivedDetail(ReceivedOut):
    history: list[ReceivedEventOut]


class DecisionRequest(Model):
    decision: Literal["approve", "suspend", "reject"]
    motif: str | None = Field(None, max_length=1000, description="Required to suspend or reject")


class ReceivedSyncOut(Out):
    structure_id: int
    seen: int
    created: int
    updated: int
