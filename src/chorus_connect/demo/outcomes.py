"""What happened to each demo invoice, read back from the store: final status, the buyer's motifs, what the
demo did about them, the check findings, the next steps and the timeline of the store's history.

The store stamps its history with the real clock, while the simulated platform's clock stands still
between the demo's advances (``frozen_clock``): :class:`SimulatedTime` records, at each advance, which
simulated moment began, and maps every history time to the simulated moment it happened in, so the
timeline reads in the platform's days rather than in the few seconds the demo took.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chorus_connect.demo.samples import AddressedSample
from chorus_connect.engine.service import InvoiceView
from chorus_connect.invoice import Invoice

PARIS = ZoneInfo("Europe/Paris")
WallClock = Callable[[], dt.datetime]

PAID = "MISE_EN_PAIEMENT"
REJECTED = "REJETEE"
SUSPENDED = "SUSPENDUE"
TO_RECYCLE = "A_RECYCLER"
ORDERED = "MANDATEE"
MOTIF_STATUSES = (SUSPENDED, TO_RECYCLE, REJECTED)
# "Chorus status SUSPENDUE: <motif>" / "Integrated as Chorus invoice 12; status SUSPENDUE: <motif>"
_STATUS_PREFIX = re.compile(r"^(?:Integrated as Chorus invoice \d+; status|Chorus status) [A-Z_]+: ")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SimulatedTime:
    """Maps wall-clock times of this process to the frozen simulated clock's time then."""

    def __init__(self, wall_clock: WallClock = _utc_now) -> None:
        self._wall_clock = wall_clock
        self._walls: list[dt.datetime] = []
        self._simulated: list[dt.datetime] = []

    def mark(self, simulated_now: dt.datetime) -> None:
        """The simulated clock now shows ``simulated_now`` (call right after each advance)."""
        self._walls.append(self._wall_clock())
        self._simulated.append(simulated_now)

    @property
    def now(self) -> dt.datetime:
        return self._simulated[-1]

    @property
    def start(self) -> dt.datetime:
        return self._simulated[0]

    def at(self, wall: dt.datetime) -> dt.datetime:
        """The simulated moment during which ``wall`` fell."""
        index = bisect.bisect_right(self._walls, wall) - 1
        return self._simulated[max(index, 0)]


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime  # simulated time (aware)
    source: str  # engine / chorus / user
    status: str
    chorus_status: str | None
    comment: str
    actor: str | None


@dataclass(frozen=True)
class Motif:
    status: str  # SUSPENDUE / A_RECYCLER / REJETEE
    text: str
    at: dt.datetime


@dataclass(frozen=True)
class InvoiceOutcome:
    key: str
    title: str
    number: str
    invoice_id: int
    recipient_name: str
    recipient_siret: str
    service_code: str | None
    engagement_number: str | None
    market_number: str | None
    amount_tax_exclusive: str
    amount_tax: str
    amount_tax_inclusive: str
    currency: str
    vat_rates: list[str]
    status: str
    chorus_status: str | None
    is_terminal: bool
    outcome: str  # paid / payment_ordered / rejected / stopped / refused / in_progress
    outcome_label: str
    summary: str  # one line: what happened
    why: str  # a few sentences: why it ended that way
    next_steps: str
    deposited: bool
    flux_number: str | None
    chorus_invoice_id: int | None
    findings: list[dict[str, Any]] = field(default_factory=list)
    motifs: list[Motif] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def final_status(self) -> str:
        return self.chorus_status or self.status

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "number": self.number,
            "invoice_id": self.invoice_id,
            "recipient": {"name": self.recipient_name, "siret": self.recipient_siret},
            "amount_tax_inclusive": self.amount_tax_inclusive,
            "currency": self.currency,
            "status": self.status,
            "chorus_status": self.chorus_status,
            "final_status": self.final_status,
            "is_terminal": self.is_terminal,
            "outcome": self.outcome,
            "summary": self.summary,
            "deposited": self.deposited,
            "flux_number": self.flux_number,
            "chorus_invoice_id": self.chorus_invoice_id,
            "findings": [
                {k: f.get(k) for k in ("rule_id", "severity", "path", "message")} for f in self.findings
            ],
            "motifs": [{"status": m.status, "text": m.text, "at": m.at.isoformat()} for m in self.motifs],
            "actions": self.actions,
        }


def describe_invoice(item: AddressedSample, view: InvoiceView, clock: SimulatedTime) -> InvoiceOutcome:
    info = view.invoice
    timeline = [_entry(event, clock) for event in view.history]
    motifs = _motifs(timeline)
    actions = _actions(view.history, clock)
    findings = [f for f in view.findings if f.get("severity") in ("error", "warning")]
    status, chorus, terminal = info["status"], info["chorus_status"], bool(info["is_terminal"])
    outcome, label = _outcome(status, chorus, terminal)
    deposited_at = next((e.at for e in timeline if e.status == "deposited"), None)
    document = item.document
    totals = Invoice.model_validate(document).totals
    return InvoiceOutcome(
        key=item.key,
        title=item.sample.plan.title,
        number=info["number"],
        invoice_id=info["id"],
        recipient_name=item.recipient.name,
        recipient_siret=item.recipient.siret,
        service_code=info["service_code"],
        engagement_number=info["engagement_number"],
        market_number=info["market_number"],
        amount_tax_exclusive=_money(totals.tax_exclusive),
        amount_tax=_money(totals.tax_total),
        amount_tax_inclusive=_money(totals.tax_inclusive),
        currency=info["currency"],
        vat_rates=_vat_rates(document),
        status=status,
        chorus_status=chorus,
        is_terminal=terminal,
        outcome=outcome,
        outcome_label=label,
        summary=_summary(outcome, findings, motifs, actions, timeline, deposited_at, info),
        why=_why(outcome, findings, motifs, item),
        next_steps=_next_steps(outcome, view.allowed_actions),
        deposited=deposited_at is not None,
        flux_number=info["flux_number"],
        chorus_invoice_id=info["chorus_invoice_id"],
        findings=findings,
        motifs=motifs,
        actions=[text for _, text in actions],
        attempts=view.attempts,
        timeline=timeline,
    )


def _entry(event: dict[str, Any], clock: SimulatedTime) -> TimelineEntry:
    return TimelineEntry(
        at=clock.at(dt.datetime.fromisoformat(event["at"])),
        source=event["source"],
        status=event["status"],
        chorus_status=event["chorus_status"],
        comment=event["comment"] or "",
        actor=event["actor"],
    )


def motif_text(comment: str | None) -> str:
    """The buyer's motif in a Chorus history line of the store ("Chorus status SUSPENDUE: <motif>")."""
    return _STATUS_PREFIX.sub("", comment or "").strip()


def _motifs(timeline: list[TimelineEntry]) -> list[Motif]:
    return [
        Motif(e.chorus_status, motif_text(e.comment), e.at)
        for e in timeline
        if e.source == "chorus" and e.chorus_status in MOTIF_STATUSES
    ]


def _actions(history: list[dict[str, Any]], clock: SimulatedTime) -> list[tuple[dt.datetime, str]]:
    """What the supplier did on Chorus Pro (completions, recyclings), in words."""
    done = []
    for event in history:
        details = event.get("details") or {}
        at = clock.at(dt.datetime.fromisoformat(event["at"]))
        if details.get("action") == "complete":
            files = ", ".join(a["file_name"] for a in details.get("attachments", []))
            done.append((at, f"completed with {files or 'a comment'} (“{details.get('comment', '')}”)"))
        elif details.get("action") == "recycle":
            before, after = details.get("before", {}), details.get("after", {})
            changed = [
                f"{name.replace('_', ' ')} {before.get(name) or '-'} → {after[name]}"
                for name in ("recipient_siret", "service_code", "engagement_number")
                if after.get(name) != before.get(name)
            ]
            done.append((at, "recycled with " + (", ".join(changed) or "the same routing")))
    return done


def _outcome(status: str, chorus: str | None, terminal: bool) -> tuple[str, str]:
    if status == "check_failed":
        return "stopped", "Stopped by the checks, never deposited"
    if status == "refused_at_integration":
        return "refused", "Refused by Chorus Pro at integration"
    if chorus == PAID:
        return "paid", "Paid"
    if chorus == REJECTED:
        return "rejected", "Rejected by the buyer"
    if terminal and chorus == ORDERED:
        return "payment_ordered", "Payment ordered (this buyer never reports the payment)"
    return "in_progress", "Still in progress"


def _summary(
    outcome: str,
    findings: list[dict[str, Any]],
    motifs: list[Motif],
    actions: list[tuple[dt.datetime, str]],
    timeline: list[TimelineEntry],
    deposited_at: dt.datetime | None,
    info: dict[str, Any],
) -> str:
    parts = []
    if info["market_number"]:
        parts.append(f"routing inherited from market {info['market_number']}")
    errors = [f for f in findings if f.get("severity") == "error"]
    warnings = [f for f in findings if f.get("severity") == "warning"]
    if errors:
        listed = ", ".join(f"{f['rule_id']} ({f['path']})" for f in errors)
        parts.append(f"checks found {listed}: never deposited")
    elif warnings:
        parts.append("checks warned " + ", ".join(f"{f['rule_id']} ({f['path']})" for f in warnings))
    events = sorted(
        [(m.at, _motif_phrase(m)) for m in motifs if m.status != REJECTED] + actions, key=lambda x: x[0]
    )
    parts += [text for _, text in events]
    end = next((e for e in reversed(timeline) if e.chorus_status == info["chorus_status"]), None)
    days = _days(deposited_at, end.at if end else None)
    if outcome == "paid":
        parts.append(f"paid {days} after deposit" if days else "paid")
    elif outcome == "rejected":
        rejection = next((m for m in reversed(motifs) if m.status == REJECTED), None)
        parts.append(f"rejected: {rejection.text}" if rejection else "rejected")
    elif outcome == "payment_ordered":
        parts.append(f"payment ordered {days} after deposit; tracking stopped there" if days else "mandated")
    elif outcome == "in_progress":
        parts.append(f"still {info['chorus_status'] or info['status']}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _motif_phrase(motif: Motif) -> str:
    if motif.status == SUSPENDED:
        return f"suspended by the buyer ({motif.text})"
    return f"buyer asked to recycle it ({motif.text})"


def _why(outcome: str, findings: list[dict[str, Any]], motifs: list[Motif], item: AddressedSample) -> str:
    errors = [f for f in findings if f.get("severity") == "error"]
    if outcome == "stopped":
        first = errors[0] if errors else {}
        return (
            f"The pre-flight checks read the recipient's settings in the Chorus Pro directory and found "
            f"{len(errors)} blocking problem(s) — first {first.get('rule_id')} on {first.get('path')}: "
            f"{first.get('message')} The invoice was therefore never sent: Chorus Pro would have refused it."
        )
    if outcome == "rejected":
        motif = next((m.text for m in reversed(motifs) if m.status == REJECTED), "no motif given")
        return f"The buyer rejected the invoice with this motif: “{motif}”. A rejection is final."
    if outcome == "payment_ordered":
        return (
            f"{item.recipient.name} does not report payments to Chorus Pro "
            "(statutMiseEnPaiementNestPasRemonte): MANDATEE is the last news it ever gives, so the "
            "connector stopped following it there instead of polling forever."
        )
    if outcome == "paid":
        asked = [m for m in motifs if m.status in (SUSPENDED, TO_RECYCLE)]
        if asked:
            return (
                "The buyer stopped the invoice until the supplier acted ("
                + "; ".join(f"{m.status}: “{m.text}”" for m in asked)
                + "); the demo did what it asked, and the buyer then went on to pay it."
            )
        return (
            "Integrated, made available to the buyer, service certified, mandated and paid, with no incident."
        )
    if outcome == "refused":
        return "Chorus Pro refused the file when integrating it; see the timeline for its message."
    return "The invoice had not reached a final status when the demo stopped following it."


def _next_steps(outcome: str, allowed: list[str]) -> str:
    if outcome == "stopped":
        return (
            "Ask the buyer for the missing data (the finding says which), correct the invoice, then check "
            "and deposit it again"
            + (" — or withdraw it (`chorus invoices withdraw`)." if "withdraw" in allowed else ".")
        )
    if outcome == "rejected":
        return (
            "Send a corrected copy under a new number (`chorus invoices resend`) or cancel it with a credit "
            "note (`chorus invoices cancel`)."
        )
    if outcome in ("paid", "payment_ordered"):
        return "Nothing to do." + (
            " A credit note can still cancel it (`chorus invoices cancel`)." if "cancel" in allowed else ""
        )
    if "complete" in allowed:
        return "Complete it with the document the buyer asks for (`chorus invoices complete`)."
    if "recycle" in allowed:
        return "Recycle it with the routing the buyer asks for (`chorus invoices recycle`)."
    return "Let the worker follow it (`chorus worker run`)."


def _days(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None or end is None or end < start:
        return ""
    days = (end - start).total_seconds() / 86_400
    return f"{days:.1f} days"


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _vat_rates(document: dict[str, Any]) -> list[str]:
    rates: list[str] = []
    for line in document.get("lines", []):
        rate = "exempt" if line.get("vat_category") == "E" else f"{line.get('vat_rate', '?')} %"
        if rate not in rates:
            rates.append(rate)
    return rates


def paris(moment: dt.datetime) -> str:
    """``2026-11-25 08:13`` in Chorus Pro's time zone."""
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
