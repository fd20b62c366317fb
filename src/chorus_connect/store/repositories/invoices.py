"""Invoices issued by supplier structures: import, key columns, history, listing, tracking, claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from chorus_connect.store import leases
from chorus_connect.store.enums import EnvironmentName, EventSource, FilePurpose, InvoiceStatus, StructureRole
from chorus_connect.store.errors import ConflictError, DuplicateError, InvalidInputError, NotFoundError
from chorus_connect.store.models.invoices import InvoiceEvent, InvoiceRecord
from chorus_connect.store.repositories.base import Repository
from chorus_connect.store.repositories.files import NewFile

if TYPE_CHECKING:
    from chorus_connect.invoice import Invoice

# Columns the engine may set together with a transition (everything else goes through a dedicated call).
TRANSITION_FIELDS = frozenset(
    {
        "flux_number",
        "deposited_at",
        "chorus_invoice_id",
        "syntax",
        "deposit_file_id",
        "findings",
        "batch_id",
        "next_attempt_at",
    }
)
EDITABLE_STATUSES = (
    InvoiceStatus.IMPORTED,
    InvoiceStatus.CHECKED,
    InvoiceStatus.CHECK_FAILED,
    InvoiceStatus.QUEUED,
)
TRACKED_STATUSES = (InvoiceStatus.DEPOSITED, InvoiceStatus.INTEGRATED)


@dataclass(kw_only=True)
class InvoiceFilter:
    """Every field is optional; given ones are combined with AND."""

    structure_ids: Sequence[int] | None = None  # the structures the caller may see (web isolation)
    statuses: Sequence[InvoiceStatus] | None = None
    chorus_statuses: Sequence[str] | None = None
    environment: EnvironmentName | None = None
    recipient_siret: str | None = None
    recipient_contains: str | None = None  # in the recipient's SIRET or name (case-insensitive)
    exclude_chorus_statuses: Sequence[str] | None = None  # invoices with no Chorus status are kept
    number_contains: str | None = None
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    amount_min: Decimal | None = None  # on the amount with VAT
    amount_max: Decimal | None = None
    terminal: bool | None = None
    batch_id: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[InvoiceRecord]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: InvoiceStatus
    chorus_status: str | None
    count: int
    amount_tax_inclusive: Decimal


def invoice_keys(document: Invoice) -> dict[str, Any]:
    """The columns copied from an invoice document for listing and filtering."""
    totals = document.totals
    return {
        "number": document.number,
        "issue_date": document.issue_date,
        "year": document.issue_date.year,
        "type_code": str(document.type_code.value),
        "currency": document.currency,
        "recipient_siret": document.buyer.siret,
        "recipient_name": (document.buyer.name or "")[:200] or None,
        "service_code": document.service_code,
        "engagement_number": document.engagement_number,
        "market_number": document.market_number,
        "billing_frame": str(document.billing_frame.value),
        "amount_tax_exclusive": totals.tax_exclusive,
        "amount_tax": totals.tax_total,
        "amount_tax_inclusive": totals.tax_inclusive,
        "amount_payable": totals.payable,
    }


class InvoiceRepository(Repository):
    # --- import -------------------------------------------------------------------------------------

    def add(
        self,
        structure_id: int,
        document: Invoice | Mapping[str, Any],
        *,
        source_file: NewFile | None = None,
        comment: str | None = None,
        replaces_invoice_id: int | None = None,
    ) -> InvoiceRecord:
        """Import an invoice for a supplier structure (status ``imported``, first history line written)."""
        structure = self.uow.structures.get(structure_id)
        if structure.role != StructureRole.SUPPLIER:
            raise ConflictError(
                f"Structure {structure.name!r} is a public buyer: it receives invoices, it does not "
                "issue them.",
                fix="Import the invoice into the supplier structure that issued it.",
            )
        parsed = _as_document(document)
        keys = invoice_keys(parsed)
        existing = self.find_by_number(structure_id, keys["number"], keys["year"], structure.environment)
        if existing is not None:
            raise DuplicateError(
                f"Invoice {keys['number']!r} of {keys['year']} is already in the store for "
                f"{structure.name!r} (id {existing.id}, status {existing.status.value}); Chorus Pro refuses "
                "a number used twice in a year.",
                fix="If it is a corrected copy of an invoice not yet deposited, replace that invoice's "
                "document; if the invoice was rejected, issue the correction under a new number.",
            )
        market = self.uow.markets.find(structure_id, keys["market_number"]) if keys["market_number"] else None
        record = InvoiceRecord(
            structure_id=structure_id,
            environment=structure.environment,
            document=_serialized(parsed),
            market_id=market.id if market else None,
            status=InvoiceStatus.IMPORTED,
            status_changed_at=self.uow.now(),
            is_terminal=False,
            replaces_invoice_id=replaces_invoice_id,
            **keys,
        )
        if source_file is not None:
            record.source_file_id = self.uow.files.add(structure_id, FilePurpose.SOURCE, source_file).id
        self.session.add(record)
        self.flush(
            lambda _e: DuplicateError(
                f"Invoice {keys['number']!r} of {keys['year']} was imported at the same time by someone "
                "else.",
                fix="List the structure's invoices: it is there already.",
            )
        )
        self._append_event(record, source=EventSource.USER, comment=comment or "Imported.")
        return record

    def replace_document(
        self, invoice_id: int, document: Invoice | Mapping[str, Any], *, comment: str | None = None
    ) -> InvoiceRecord:
        """Change the invoice before it is deposited (the Chorus Pro block is editable until then)."""
        record = self.get(invoice_id)
        if record.status not in EDITABLE_STATUSES:
            raise ConflictError(
                f"Invoice {record.number!r} is {record.status.value}: it can no longer be edited.",
                fix="After a deposit, use the Chorus Pro actions (complete, recycle) or issue a new invoice.",
            )
        parsed = _as_document(document)
        keys = invoice_keys(parsed)
        if (keys["number"], keys["year"]) != (record.number, record.year):
            other = self.find_by_number(record.structure_id, keys["number"], keys["year"], record.environment)
            if other is not None:
                raise DuplicateError(
                    f"Invoice {keys['number']!r} of {keys['year']} exists already (id {other.id}).",
                    fix="Keep the original number or choose an unused one.",
                )
        market = (
            self.uow.markets.find(record.structure_id, keys["market_number"])
            if keys["market_number"]
            else None
        )
        for name, value in keys.items():
            setattr(record, name, value)
        record.document = _serialized(parsed)
        record.market_id = market.id if market else None
        record.findings = None
        self.transition(
            record.id, source=EventSource.USER, status=InvoiceStatus.IMPORTED, comment=comment or "Edited."
        )
        return record

    # --- read ---------------------------------------------------------------------------------------

    def get(self, invoice_id: int, *, structure_ids: Iterable[int] | None = None) -> InvoiceRecord:
        """By id; with ``structure_ids``, an invoice of another structure is reported as not found."""
        record = self.session.get(InvoiceRecord, invoice_id)
        if record is None or (structure_ids is not None and record.structure_id not in set(structure_ids)):
            raise NotFoundError("invoice", invoice_id)
        return record

    def find_by_number(
        self,
        structure_id: int,
        number: str,
        year: int | None = None,
        environment: EnvironmentName | None = None,
    ) -> InvoiceRecord | None:
        query = select(InvoiceRecord).where(
            InvoiceRecord.structure_id == structure_id, InvoiceRecord.number == number
        )
        if year is not None:
            query = query.where(InvoiceRecord.year == year)
        if environment is not None:
            query = query.where(InvoiceRecord.environment == environment)
        return self.session.scalars(query.order_by(InvoiceRecord.id.desc())).first()

    def find_by_chorus_ids(self, structure_id: int, chorus_ids: Iterable[int]) -> dict[int, InvoiceRecord]:
        ids = list(set(chorus_ids))
        if not ids:
            return {}
        records = self.session.scalars(
            select(InvoiceRecord).where(
                InvoiceRecord.structure_id == structure_id, InvoiceRecord.chorus_invoice_id.in_(ids)
            )
        )
        return {
            record.chorus_invoice_id: record for record in records if record.chorus_invoice_id is not None
        }

    def find_by_flux_number(self, flux_number: str) -> list[InvoiceRecord]:
        return list(
            self.session.scalars(
                select(InvoiceRecord)
                .where(InvoiceRecord.flux_number == flux_number)
                .order_by(InvoiceRecord.id)
            )
        )

    def document(self, invoice: int | InvoiceRecord) -> Invoice:
        """The stored invoice as a :class:`chorus_connect.invoice.Invoice`."""
        record = self.get(invoice) if isinstance(invoice, int) else invoice
        return _as_document(record.document)

    def history(self, invoice_id: int) -> list[InvoiceEvent]:
        return list(
            self.session.scalars(
                select(InvoiceEvent).where(InvoiceEvent.invoice_id == invoice_id).order_by(InvoiceEvent.id)
            )
        )

    def search(
        self,
        where: InvoiceFilter | None = None,
        *,
        limit: int = 50,
        offset: int = 0,
        newest_first: bool = True,
    ) -> Page:
        conditions = _conditions(where or InvoiceFilter())
        total = self.session.scalar(select(func.count()).select_from(InvoiceRecord).where(*conditions)) or 0
        order = (
            (InvoiceRecord.issue_date.desc(), InvoiceRecord.id.desc())
            if newest_first
            else (InvoiceRecord.issue_date, InvoiceRecord.id)
        )
        query: Select[tuple[InvoiceRecord]] = (
            select(InvoiceRecord).where(*conditions).order_by(*order).limit(limit).offset(offset)
        )
        return Page(list(self.session.scalars(query)), total, limit, offset)

    def status_counts(self, where: InvoiceFilter | None = None) -> list[StatusCount]:
        """Counts and amounts per (status, Chorus status), for dashboards."""
        amount = func.sum(InvoiceRecord.amount_tax_inclusive)  # typed as the column: exact on both databases
        query = (
            select(InvoiceRecord.status, InvoiceRecord.chorus_status, func.count(), amount)
            .where(*_conditions(where or InvoiceFilter()))
            .group_by(InvoiceRecord.status, InvoiceRecord.chorus_status)
            .order_by(InvoiceRecord.status, InvoiceRecord.chorus_status)
        )
        return [
            StatusCount(status, chorus_status, count, total if total is not None else Decimal("0.00"))
            for status, chorus_status, count, total in self.session.execute(query)
        ]

    def tracked(self, structure_id: int, *, limit: int | None = None) -> list[InvoiceRecord]:
        """Deposited or integrated invoices of the structure's current environment not yet at an end."""
        structure = self.uow.structures.get(structure_id)
        query = (
            select(InvoiceRecord)
            .where(
                InvoiceRecord.structure_id == structure_id,
                InvoiceRecord.environment == structure.environment,
                InvoiceRecord.is_terminal.is_(False),
                InvoiceRecord.status.in_(TRACKED_STATUSES),
            )
            .order_by(InvoiceRecord.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return list(self.session.scalars(query))

    # --- change -------------------------------------------------------------------------------------

    def transition(
        self,
        invoice_id: int,
        *,
        source: EventSource,
        status: InvoiceStatus | None = None,
        chorus_status: str | None = None,
        chorus_status_at: dt.datetime | None = None,
        terminal: bool | None = None,
        comment: str | None = None,
        details: dict[str, Any] | None = None,
        external_key: str | None = None,
        claim: leases.Claim | None = None,
        at: dt.datetime | None = None,
        **fields: Any,
    ) -> InvoiceEvent | None:
        """Change the invoice and append the history line, in the caller's transaction.

        ``claim``: the worker's claim, checked first (``LeaseLostError`` if taken over). ``external_key``
        makes the call idempotent (None is returned when that key was recorded already). A Chorus status
        older than the current one is kept in the history but does not replace the current one. The state
        machine itself (which transitions are allowed) is the engine's.
        """
        unknown = sorted(set(fields) - TRANSITION_FIELDS)
        if unknown:
            raise InvalidInputError.single(
                "transition",
                f"unknown field(s) {', '.join(unknown)}",
                f"use {', '.join(sorted(TRANSITION_FIELDS))}",
            )
        if claim is not None:
            leases.check_held(self.session, InvoiceRecord, claim)
        record = self.get(invoice_id)
        if external_key is not None and self._has_event(invoice_id, external_key):
            return None
        now = self.uow.now()
        for name, value in fields.items():
            setattr(record, name, value)
        if status is not None and status != record.status:
            record.status = status
            record.status_changed_at = now
        if chorus_status is not None:
            when = chorus_status_at or at or now
            if record.chorus_status_at is None or when >= record.chorus_status_at:
                record.chorus_status = chorus_status
                record.chorus_status_at = when
        if terminal is not None:
            record.is_terminal = terminal
        return self._append_event(
            record,
            source=source,
            chorus_status=chorus_status,
            comment=comment,
            details=details,
            external_key=external_key,
            at=at or now,
        )

    # --- claims -------------------------------------------------------------------------------------

    def claim(
        self,
        worker: str,
        *,
        statuses: Sequence[InvoiceStatus],
        structure_id: int | None = None,
        limit: int = 10,
        ttl: dt.timedelta = leases.DEFAULT_LEASE,
        now: dt.datetime | None = None,
    ) -> list[leases.Claim]:
        """Claim up to ``limit`` free invoices in ``statuses`` that are due (``next_attempt_at`` passed)."""
        current = now or leases.database_now(self.session)
        where: list[ColumnElement[bool]] = [
            InvoiceRecord.status.in_(statuses),
            or_(InvoiceRecord.next_attempt_at.is_(None), InvoiceRecord.next_attempt_at <= current),
        ]
        if structure_id is not None:
            where.append(InvoiceRecord.structure_id == structure_id)
        return leases.claim(
            self.session, InvoiceRecord, worker, where=where, limit=limit, ttl=ttl, now=current
        )

    def check_claim(self, claim: leases.Claim) -> None:
        leases.check_held(self.session, InvoiceRecord, claim)

    def renew(self, claim: leases.Claim, ttl: dt.timedelta = leases.DEFAULT_LEASE) -> leases.Claim:
        return leases.renew(self.session, InvoiceRecord, claim, ttl=ttl)

    def release(self, claim: leases.Claim) -> bool:
        return leases.release(self.session, InvoiceRecord, claim)

    # --- helpers ------------------------------------------------------------------------------------

    def _has_event(self, invoice_id: int, external_key: str) -> bool:
        return (
            self.session.scalar(
                select(InvoiceEvent.id).where(
                    InvoiceEvent.invoice_id == invoice_id, InvoiceEvent.external_key == external_key
                )
            )
            is not None
        )

    def _append_event(
        self,
        record: InvoiceRecord,
        *,
        source: EventSource,
        chorus_status: str | None = None,
        comment: str | None = None,
        details: dict[str, Any] | None = None,
        external_key: str | None = None,
        at: dt.datetime | None = None,
    ) -> InvoiceEvent:
        event = InvoiceEvent(
            invoice_id=record.id,
            at=at or self.uow.now(),
            source=source,
            status=record.status,
            chorus_status=chorus_status,
            comment=comment,
            actor=self.uow.actor,
            details=details,
            external_key=external_key,
        )
        self.session.add(event)
        self.session.flush()
        return event


def _as_document(document: Invoice | Mapping[str, Any]) -> Invoice:
    from pydantic import ValidationError

    from chorus_connect.invoice import Invoice, InvoiceInputError

    if isinstance(document, Invoice):
        return document
    try:
        return Invoice.model_validate(dict(document))
    except ValidationError as error:
        raise InvalidInputError.single(
            "invoice",
            f"the invoice data is not valid ({error.error_count()} error(s))",
            str(error).splitlines()[0],
        ) from None
    except InvoiceInputError as error:  # pragma: no cover - raised by the model's own checks
        raise InvalidInputError.single("invoice", str(error), "correct the invoice file") from None


def _serialized(document: Invoice) -> dict[str, Any]:
    return document.model_dump(mode="json", exclude_none=True)


def _conditions(where: InvoiceFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.structure_ids is not None:
        conditions.append(InvoiceRecord.structure_id.in_(list(where.structure_ids)))
    if where.statuses:
        conditions.append(InvoiceRecord.status.in_(list(where.statuses)))
    if where.chorus_statuses:
        conditions.append(InvoiceRecord.chorus_status.in_(list(where.chorus_statuses)))
    if where.environment is not None:
        conditions.append(InvoiceRecord.environment == where.environment)
    if where.recipient_siret:
        conditions.append(InvoiceRecord.recipient_siret == where.recipient_siret)
    if where.recipient_contains:
        text = where.recipient_contains.strip()
        conditions.append(
            or_(
                InvoiceRecord.recipient_siret.contains(text.replace(" ", ""), autoescape=True),
                func.lower(InvoiceRecord.recipient_name).contains(text.lower(), autoescape=True),
            )
        )
    if where.exclude_chorus_statuses:
        conditions.append(
            or_(
                InvoiceRecord.chorus_status.is_(None),
                InvoiceRecord.chorus_status.not_in(list(where.exclude_chorus_statuses)),
            )
        )
    if where.number_contains:
        conditions.append(InvoiceRecord.number.contains(where.number_contains, autoescape=True))
    if where.issued_from is not None:
        conditions.append(InvoiceRecord.issue_date >= where.issued_from)
    if where.issued_to is not None:
        conditions.append(InvoiceRecord.issue_date <= where.issued_to)
    if where.amount_min is not None:
        conditions.append(InvoiceRecord.amount_tax_inclusive >= where.amount_min)
    if where.amount_max is not None:
        conditions.append(InvoiceRecord.amount_tax_inclusive <= where.amount_max)
    if where.terminal is not None:
        conditions.append(InvoiceRecord.is_terminal.is_(where.terminal))
    if where.batch_id is not None:
        conditions.append(InvoiceRecord.batch_id == where.batch_id)
    return conditions


__all__ = ["InvoiceFilter", "InvoiceRepository", "Page", "StatusCount", "invoice_keys"]
