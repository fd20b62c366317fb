"""Writing what Chorus Pro said into the store: deposits, integrations, Chorus statuses — one history line
each, idempotent (``external_key``), in the caller's transaction.

Times from Chorus Pro are platform times: ISO date-times with an offset are converted to UTC; a bare
date (``dateDepot``) or a naive ``YYYY-MM-DD HH:MM`` is Chorus Pro's local time (Europe/Paris).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chorus_connect.engine.notifications import notify_refused_at_integration, notify_status_change
from chorus_connect.engine.states import is_chorus_terminal, require_transition
from chorus_connect.store import EventSource, InvoiceStatus, UnitOfWork

PARIS = ZoneInfo("Europe/Paris")


class DepositTarget(Protocol):
    def after_deposit(self, tx: UnitOfWork, flux: str) -> None: ...


def chorus_moment(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """A Chorus Pro date or date-time as an aware UTC datetime."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    return value.astimezone(dt.UTC)


def chorus_local(moment: dt.datetime) -> dt.datetime:
    """An aware time as Chorus Pro's naive local time, to the second (the shape other connectors send in
    search periods: ``YYYY-MM-DDTHH:MM:SS``)."""
    return moment.astimezone(PARIS).replace(tzinfo=None, microsecond=0)


def record_deposited(
    tx: UnitOfWork,
    invoice_ids: Sequence[int],
    flux: str,
    deposited_at: dt.datetime | None,
    attempt_number: int,
    target: DepositTarget | None = None,
) -> None:
    """The flux number is known: the invoices are ``deposited`` (integration follows)."""
    if target is not None:
        target.after_deposit(tx, flux)
    day = f" on {deposited_at.astimezone(PARIS).date().isoformat()}" if deposited_at else ""
    for invoice_id in invoice_ids:
        record = tx.invoices.get(invoice_id)
        if record.flux_number == flux and record.status != InvoiceStatus.DEPOSITING:
            continue
        require_transition(record, InvoiceStatus.DEPOSITED)
        tx.invoices.transition(
            invoice_id,
            source=EventSource.CHORUS,
            status=InvoiceStatus.DEPOSITED,
            flux_number=flux,
            deposited_at=deposited_at or tx.now(),
            next_attempt_at=None,
            comment=f"Deposited (attempt #{attempt_number}): flux {flux}{day}; waiting for its integration.",
        )


def record_chorus_status(
    tx: UnitOfWork,
    invoice_id: int,
    *,
    chorus_invoice_id: int | None,
    status: str | None,
    at: dt.datetime | None,
    comment: str | None,
    payment_not_reported: bool,
    integrate: bool,
    flux_number: str | None = None,
) -> bool:
    """Record a Chorus status seen for an invoice (integrating it first when ``integrate``).

    Returns True when it was new (not recorded by an earlier sync). Notifications for rejections,
    suspensions, payments and recycle requests are enqueued in the same transaction
    (:func:`chorus_connect.engine.notifications.notify_status_change`).
    """
    terminal = is_chorus_terminal(status, payment_not_reported=payment_not_reported)
    fields: dict[str, Any] = {}
    if integrate:
        fields["chorus_invoice_id"] = chorus_invoice_id
        if flux_number:
            fields["flux_number"] = flux_number
    record = tx.invoices.get(invoice_id)
    previous = record.chorus_status
    event = tx.invoices.transition(
        invoice_id,
        source=EventSource.CHORUS,
        status=InvoiceStatus.INTEGRATED if integrate else None,
        chorus_status=status,
        chorus_status_at=at,
        terminal=terminal or None,
        comment=_status_comment(status, comment, integrate, chorus_invoice_id),
        external_key=f"chorus:{chorus_invoice_id}:{status}:{at.isoformat() if at else ''}",
        **fields,
    )
    if event is None:
        return False
    if record.chorus_status == status:  # not an older status arriving late
        notify_status_change(tx, record, previous, status, comment, changed_at=at)
    return True


def record_refused(tx: UnitOfWork, invoice_id: int, flux: str, reason: str) -> None:
    """Refused at integration (``listeErreurDP`` or a technical error of the whole flux)."""
    record = tx.invoices.get(invoice_id)
    require_transition(record, InvoiceStatus.REFUSED_AT_INTEGRATION)
    tx.invoices.transition(
        invoice_id,
        source=EventSource.CHORUS,
        status=InvoiceStatus.REFUSED_AT_INTEGRATION,
        terminal=True,
        comment=f"Refused at integration (flux {flux}): {reason}",
        external_key=f"flux:{flux}:refused",
    )
    notify_refused_at_integration(tx, record, flux, reason)


def _status_comment(status: str | None, comment: str | None, integrate: bool, chorus_id: int | None) -> str:
    head = (
        f"Integrated as Chorus invoice {chorus_id}; status {status}"
        if integrate
        else f"Chorus status {status}"
    )
    return f"{head}: {comment}" if comment else f"{head}."
