"""The invoice life cycle: the engine's statuses, the Chorus Pro statuses that follow, and which actions
each allows. The store records what it is told; this module decides what may be told.

Engine status (``InvoiceRecord.status``) and, once integrated, Chorus Pro's own status
(``InvoiceRecord.chorus_status``) together say where an invoice is::

    imported ─check─▶ checked ─queue─▶ queued ─▶ depositing ─▶ deposited ─▶ integrated (Chorus statuses…)
        │                 │                          │              └────▶ refused_at_integration
        └──▶ check_failed ┘ (edit, check again)      └─▶ queued again (deposit definitely not made)

See docs/engine.md for the full table.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING

from chorus_connect.engine.errors import ForbiddenActionError
from chorus_connect.store import InvoiceStatus

if TYPE_CHECKING:
    from chorus_connect.store import InvoiceRecord

S = InvoiceStatus

# Engine transitions. A status may "move" to itself when an event is recorded without a status change
# (a new check result, a new Chorus status of an integrated invoice).
TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    S.IMPORTED: frozenset({S.IMPORTED, S.CHECKED, S.CHECK_FAILED, S.WITHDRAWN}),
    S.CHECKED: frozenset({S.IMPORTED, S.CHECKED, S.CHECK_FAILED, S.QUEUED, S.WITHDRAWN}),
    S.CHECK_FAILED: frozenset({S.IMPORTED, S.CHECKED, S.CHECK_FAILED, S.WITHDRAWN}),
    S.QUEUED: frozenset({S.IMPORTED, S.CHECKED, S.QUEUED, S.DEPOSITING, S.WITHDRAWN}),
    # depositing → queued: the attempt definitely did not reach Chorus Pro (refused before processing, or
    # not found on Chorus Pro after the integration delay); → integrated: found there by the resolution.
    S.DEPOSITING: frozenset({S.DEPOSITING, S.DEPOSITED, S.INTEGRATED, S.QUEUED, S.REFUSED_AT_INTEGRATION}),
    S.DEPOSITED: frozenset({S.DEPOSITED, S.INTEGRATED, S.REFUSED_AT_INTEGRATION}),
    S.INTEGRATED: frozenset({S.INTEGRATED}),
    S.REFUSED_AT_INTEGRATION: frozenset({S.REFUSED_AT_INTEGRATION}),
    S.WITHDRAWN: frozenset({S.WITHDRAWN}),
}

# --- Chorus Pro statuses (reference §3.4) -----------------------------------------------------------------

DEPOSEE = "DEPOSEE"
SUSPENDUE = "SUSPENDUE"
A_RECYCLER = "A_RECYCLER"
REJETEE = "REJETEE"
COMPLETEE = "COMPLETEE"
MANDATEE = "MANDATEE"
MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT"

# Nothing follows these for the supplier (the simulator's and the reference's terminal set).
CHORUS_FINAL = frozenset({MISE_EN_PAIEMENT, REJETEE, "ABANDONNEE", "SUPPRIMEE"})
# Payment ordered: the last news a structure with `statutMiseEnPaiementNestPasRemonte` ever gives (it
# never reports MISE_EN_PAIEMENT), so tracking stops there for such recipients instead of polling forever.
PAYMENT_ORDERED = frozenset({MANDATEE, "MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE"})
# Statuses where the recipient waits for the supplier.
NEEDS_SUPPLIER = {SUSPENDUE: "complete", A_RECYCLER: "recycle"}
# Statuses announced to the structure (store NotificationKind values).
NOTIFIED = {
    REJETEE: "rejection",
    SUSPENDUE: "suspension",
    MISE_EN_PAIEMENT: "payment",
    A_RECYCLER: "recycle_request",
}


def is_chorus_terminal(chorus_status: str | None, *, payment_not_reported: bool = False) -> bool:
    """Whether tracking stops at this Chorus status."""
    if chorus_status is None:
        return False
    return chorus_status in CHORUS_FINAL or (payment_not_reported and chorus_status in PAYMENT_ORDERED)


# --- actions --------------------------------------------------------------------------------------------


class Action(StrEnum):
    EDIT = "edit"  # replace the document (before deposit)
    CHECK = "check"
    QUEUE = "queue"  # queue for deposit (the worker deposits)
    WITHDRAW = "withdraw"  # give up an invoice never deposited
    COMPLETE = "complete"  # answer a suspension (attachments + comment)
    RECYCLE = "recycle"  # new recipient / service / engagement for an invoice to recycle
    RESEND = "resend"  # send a corrected copy as a NEW invoice (new number), linked to this one
    CANCEL = "cancel"  # issue a credit note (AVOIR) cancelling this invoice


_BEFORE_DEPOSIT = frozenset({S.IMPORTED, S.CHECKED, S.CHECK_FAILED, S.QUEUED})

# Why each action is refused, said the way a user thinks about it.
_REQUIREMENT = {
    Action.EDIT: "before the invoice is deposited (imported, checked, check_failed or queued)",
    Action.CHECK: "for an imported, checked or check_failed invoice",
    Action.QUEUE: "for a checked invoice with no blocking finding",
    Action.WITHDRAW: "before the invoice is deposited",
    Action.COMPLETE: f"when Chorus Pro shows the invoice {SUSPENDUE}",
    Action.RECYCLE: f"when Chorus Pro shows the invoice {A_RECYCLER}",
    Action.RESEND: f"for an invoice refused at integration or {REJETEE} by the recipient",
    Action.CANCEL: f"for an invoice {REJETEE} or paid ({MISE_EN_PAIEMENT}, or {MANDATEE} for a recipient "
    "that never reports payment), and not for a credit note",
}


def allowed_actions(record: InvoiceRecord) -> list[Action]:
    """The actions the invoice's current status allows, in a stable order."""
    return [action for action in Action if _allows(record, action)]


def _allows(record: InvoiceRecord, action: Action) -> bool:
    status, chorus = record.status, record.chorus_status
    integrated = status == S.INTEGRATED
    if action in (Action.EDIT, Action.WITHDRAW):
        return status in _BEFORE_DEPOSIT
    if action is Action.CHECK:
        return status in (S.IMPORTED, S.CHECKED, S.CHECK_FAILED)
    if action is Action.QUEUE:
        return status == S.CHECKED
    if action is Action.COMPLETE:
        return integrated and chorus == SUSPENDUE
    if action is Action.RECYCLE:
        return integrated and chorus == A_RECYCLER
    if action is Action.RESEND:
        return status == S.REFUSED_AT_INTEGRATION or (integrated and chorus == REJETEE)
    if action is Action.CANCEL:
        paid = chorus == MISE_EN_PAIEMENT or (record.is_terminal and chorus in PAYMENT_ORDERED)
        return integrated and (chorus == REJETEE or paid) and not record.is_credit_note
    return False  # pragma: no cover - every Action is handled above


def describe(record: InvoiceRecord) -> str:
    """``F-001 (id 12) is integrated, Chorus status SUSPENDUE``."""
    chorus = f", Chorus status {record.chorus_status}" if record.chorus_status else ""
    return f"Invoice {record.number} (id {record.id}) is {record.status.value}{chorus}"


def require_action(record: InvoiceRecord, action: Action) -> None:
    """Raise :class:`ForbiddenActionError` unless the invoice's status allows ``action``."""
    if _allows(record, action):
        return
    allowed = [a.value for a in allowed_actions(record)]
    raise ForbiddenActionError(
        f"{describe(record)}: '{action.value}' is only possible {_REQUIREMENT[action]}.",
        allowed=allowed,
        fix=_fix_for(record, action),
    )


def require_transition(record: InvoiceRecord, target: InvoiceStatus) -> None:
    """Raise :class:`ForbiddenActionError` unless the engine may move the invoice to ``target``."""
    if target in TRANSITIONS[record.status]:
        return
    allowed = sorted(s.value for s in TRANSITIONS[record.status] if s != record.status)
    raise ForbiddenActionError(
        f"{describe(record)}: it cannot become {target.value}.",
        allowed=[f"→ {name}" for name in allowed],
        fix="Reload the invoice: another process may have changed it; see `chorus invoices show`.",
    )


def _fix_for(record: InvoiceRecord, action: Action) -> str:
    if record.status == S.CHECK_FAILED and action is Action.QUEUE:
        return (
            "Correct the findings shown by `chorus invoices show`, import the corrected invoice, check again."
        )
    if record.status in (S.IMPORTED,) and action is Action.QUEUE:
        return "Check it first (`chorus invoices check`)."
    if record.status in (S.DEPOSITING, S.DEPOSITED):
        return "Wait for the deposit to be integrated (the worker follows it), then look again."
    needed = NEEDS_SUPPLIER.get(record.chorus_status or "")
    if needed:
        return f"Chorus Pro waits for you to {needed} this invoice."
    return "Look at its history (`chorus invoices show`) to see what happened and what it needs."


def statuses_allowing(action: Action) -> Iterable[InvoiceStatus]:
    """Engine statuses in which the action can be possible (the Chorus status may narrow it further)."""
    probe = {
        Action.EDIT: _BEFORE_DEPOSIT,
        Action.WITHDRAW: _BEFORE_DEPOSIT,
        Action.CHECK: (S.IMPORTED, S.CHECKED, S.CHECK_FAILED),
        Action.QUEUE: (S.CHECKED,),
        Action.COMPLETE: (S.INTEGRATED,),
        Action.RECYCLE: (S.INTEGRATED,),
        Action.RESEND: (S.INTEGRATED, S.REFUSED_AT_INTEGRATION),
        Action.CANCEL: (S.INTEGRATED,),
    }
    return probe[action]
