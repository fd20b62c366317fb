"""Notifications: tell a structure's accountants what needs them — an invoice rejected, suspended, to
recycle or paid, and a technical password about to expire — by webhook (HMAC-signed JSON) and/or e-mail.

Two halves, joined by the store's outbox (``notifications`` table):

- **Enqueue**, in the transaction that records the change: :func:`notify_status_change` (called by the
  tracking when an invoice's Chorus status changes) and :func:`notify_password_expiries` (called daily by
  the worker). One row per channel the structure has configured; the same event is enqueued once (a
  ``dedupe_key`` unique per structure and channel).
- **Deliver**, later, by any worker: :func:`deliver_pending` claims due rows (leases: two workers never send
  the same row), sends them, marks them sent or schedules a retry with exponential backoff (the attempts,
  next attempt time and last error are kept in the outbox; given up after 10 attempts).

Webhook: ``POST`` of a JSON body; ``X-Chorus-Signature: sha256=<hex>`` is the HMAC-SHA256 of the raw body
with the structure's webhook secret; the body carries the same ``timestamp`` as ``X-Chorus-Timestamp`` and
a ``delivery_id`` (also ``X-Chorus-Delivery``), so a receiver that checks the signature, refuses timestamps
older than a few minutes and remembers delivery ids is safe from replays (see :func:`verify_webhook`).

E-mail: plain text in French, through SMTP (``smtplib``), settings from :class:`SmtpSettings` or the
``CHORUS_SMTP_*`` environment variables.

Secrets (webhook secrets, the SMTP password) are never logged nor written to ``last_error``. See
docs/notifications.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.policy
import hashlib
import hmac
import json
import logging
import os
import random
import smtplib
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr

from chorus_connect import __version__
from chorus_connect.engine.errors import EngineError
from chorus_connect.store import (
    InvoiceRecord,
    LeaseLostError,
    Notification,
    NotificationChannel,
    NotificationKind,
    Store,
    Structure,
    UnitOfWork,
)
from chorus_connect.store.leases import Claim, database_now
from chorus_connect.store.repositories.notifications import MAX_ATTEMPTS

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")

SIGNATURE_HEADER = "X-Chorus-Signature"
TIMESTAMP_HEADER = "X-Chorus-Timestamp"
EVENT_HEADER = "X-Chorus-Event"
DELIVERY_HEADER = "X-Chorus-Delivery"
REPLAY_TOLERANCE = dt.timedelta(minutes=5)

WEBHOOK_TIMEOUT = 10.0
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_MAX = dt.timedelta(hours=6)
ERROR_MAX = 500  # characters of last_error kept

# Chorus statuses that call for the accountant (the statuses the tracking reports).
STATUS_KINDS: dict[str, NotificationKind] = {
    "REJETEE": NotificationKind.REJECTION,
    "SUSPENDUE": NotificationKind.SUSPENSION,
    "MISE_EN_PAIEMENT": NotificationKind.PAYMENT,
    "A_RECYCLER": NotificationKind.RECYCLE_REQUEST,
}
EVENTS: dict[NotificationKind, str] = {
    NotificationKind.REJECTION: "invoice.rejected",
    NotificationKind.SUSPENSION: "invoice.suspended",
    NotificationKind.PAYMENT: "invoice.payment_issued",
    NotificationKind.RECYCLE_REQUEST: "invoice.recycle_requested",
    NotificationKind.PASSWORD_EXPIRY: "technical_password.expiring",
}
REFUSED_EVENT = "invoice.refused_at_integration"  # a REJECTION by the platform itself, not the recipient
# Password warnings: once when entering each window (days left), then once when expired.
PASSWORD_MILESTONES = (30, 14, 7, 1)

ENV_SMTP_HOST = "CHORUS_SMTP_HOST"
ENV_SMTP_PORT = "CHORUS_SMTP_PORT"
ENV_SMTP_USER = "CHORUS_SMTP_USER"
ENV_SMTP_PASSWORD = "CHORUS_SMTP_PASSWORD"
ENV_SMTP_FROM = "CHORUS_SMTP_FROM"
ENV_SMTP_SECURITY = "CHORUS_SMTP_SECURITY"
SMTP_SECURITY = ("none", "starttls", "ssl")


class NotificationConfigError(EngineError):
    """The delivery settings are unusable; ``message`` says which, ``fix`` what to do."""


class WebhookVerificationError(Exception):
    """A webhook request that must be refused (bad signature, stale timestamp, unreadable body)."""


# --- enqueue ------------------------------------------------------------------------------------------


def kind_for_status(chorus_status: str | None) -> NotificationKind | None:
    """The notification a Chorus status calls for, if any."""
    return STATUS_KINDS.get((chorus_status or "").strip().upper())


def notify_status_change(
    tx: UnitOfWork,
    invoice: InvoiceRecord,
    old: str | None,
    new: str | None,
    comment: str | None = None,
    *,
    changed_at: dt.datetime | None = None,
) -> list[Notification]:
    """Enqueue the notifications of an invoice's Chorus status change (rejection, suspension, payment,
    recycle request), in the caller's transaction; other changes enqueue nothing. Seeing the same change
    twice (same status, same time) enqueues it once."""
    kind = kind_for_status(new)
    if kind is None or (old or "").upper() == (new or "").upper():
        return []
    structure = tx.structures.get(invoice.structure_id)
    moment = changed_at or invoice.chorus_status_at
    stamp = _utc(moment).isoformat(timespec="seconds") if moment else "unknown-time"
    payload = {
        "event": EVENTS[kind],
        "kind": kind.value,
        "structure": _structure_part(structure),
        "invoice": _invoice_part(invoice),
        "status": {
            "previous": old,
            "current": (new or "").upper(),
            "changed_at": _utc(moment).isoformat() if moment else None,
            "comment": (comment or "").strip() or None,
        },
    }
    return tx.notifications.enqueue(
        structure.id,
        kind,
        dedupe_key=f"invoice:{invoice.id}:{(new or '').upper()}:{stamp}",
        payload=payload,
        invoice_id=invoice.id,
    )


def notify_refused_at_integration(
    tx: UnitOfWork,
    invoice: InvoiceRecord,
    flux_number: str,
    reason: str,
    *,
    refused_at: dt.datetime | None = None,
) -> list[Notification]:
    """Enqueue the notice of an invoice refused when Chorus Pro integrated its flux (``IN_REJETE``, or
    the invoice's line of ``listeErreurDP``): a rejection by the platform rather than by the recipient."""
    structure = tx.structures.get(invoice.structure_id)
    moment = refused_at or tx.now()
    invoice_part = _invoice_part(invoice) | {"flux_number": flux_number}
    payload = {
        "event": REFUSED_EVENT,
        "kind": NotificationKind.REJECTION.value,
        "structure": _structure_part(structure),
        "invoice": invoice_part,
        "status": {
            "previous": None,
            "current": "REFUSED_AT_INTEGRATION",
            "changed_at": _utc(moment).isoformat(),
            "comment": (reason or "").strip() or None,
        },
    }
    return tx.notifications.enqueue(
        structure.id,
        NotificationKind.REJECTION,
        dedupe_key=f"invoice:{invoice.id}:refused:{flux_number}",
        payload=payload,
        invoice_id=invoice.id,
    )


def notify_password_expiries(tx: UnitOfWork, today: dt.date | None = None) -> list[Notification]:
    """Enqueue a warning for every active structure whose technical password expires within 30 days (or
    has expired): once at 30, 14, 7 and 1 day(s) left, and once expired — the worker calls this daily."""
    day = today or tx.now().date()
    created: list[Notification] = []
    for structure, expiry in tx.structures.expiring_passwords(day):
        milestone = "expired" if expiry.expired else str(_milestone(expiry.days_left))
        payload = {
            "event": EVENTS[NotificationKind.PASSWORD_EXPIRY],
            "kind": NotificationKind.PASSWORD_EXPIRY.value,
            "structure": _structure_part(structure),
            "technical_password": {
                "login": structure.technical_login,
                "expires_on": expiry.expires_on.isoformat(),
                "days_left": expiry.days_left,
                "expired": expiry.expired,
                "source": expiry.source,
            },
        }
        created += tx.notifications.enqueue(
            structure.id,
            NotificationKind.PASSWORD_EXPIRY,
            dedupe_key=f"password-expiry:{expiry.expires_on.isoformat()}:{milestone}",
            payload=payload,
        )
    return created


def check_password_expiries(store: Store, today: dt.date | None = None) -> int:
    """:func:`notify_password_expiries` in a transaction of its own; returns the rows enqueued."""
    with store.transaction(actor="notifications") as tx:
        return len(notify_password_expiries(tx, today))


def _milestone(days_left: int) -> int:
    return min(m for m in PASSWORD_MILESTONES if m >= days_left) if days_left <= 30 else 30


def _structure_part(structure: Structure) -> dict[str, Any]:
    return {
        "id": structure.id,
        "name": structure.name,
        "siret": structure.siret,
        "environment": structure.environment.value,
    }


def _invoice_part(invoice: InvoiceRecord) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "chorus_invoice_id": invoice.chorus_invoice_id,
        "flux_number": invoice.flux_number,
        "recipient_name": invoice.recipient_name,
        "recipient_siret": invoice.recipient_siret,
        "service_code": invoice.service_code,
        "engagement_number": invoice.engagement_number,
        "currency": invoice.currency,
        "amount_tax_inclusive": _amount(invoice.amount_tax_inclusive),
        "amount_payable": _amount(invoice.amount_payable),
    }


# --- delivery settings --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "chorus-connect@localhost"
    user: str | None = None
    password: SecretStr | None = None
    security: str = "none"  # none, starttls or ssl
    timeout: float = 30.0

    def __repr__(self) -> str:
        # Never the password.
        return (
            f"SmtpSettings({self.host}:{self.port}, {self.security}, user={self.user!r}, "
            f"sender={self.sender!r})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """From ``CHORUS_SMTP_*``; None when ``CHORUS_SMTP_HOST`` is not set."""
        env = os.environ if environ is None else environ
        host = env.get(ENV_SMTP_HOST, "").strip()
        if not host:
            return None
        user = env.get(ENV_SMTP_USER, "").strip() or None
        security = env.get(ENV_SMTP_SECURITY, "").strip().lower()
        port_text = env.get(ENV_SMTP_PORT, "").strip()
        if security and security not in SMTP_SECURITY:
            raise NotificationConfigError(
                f"{ENV_SMTP_SECURITY}={security!r} is not a known mode.", fix=f"Use one of {SMTP_SECURITY}."
            )
        if port_text and not port_text.isdigit():
            raise NotificationConfigError(
                f"{ENV_SMTP_PORT}={port_text!r} is not a port number.", fix="Give a number such as 587."
            )
        port = int(port_text) if port_text else None
        security = security or _default_security(port, user)
        password = env.get(ENV_SMTP_PASSWORD, "")
        return cls(
            host=host,
            port=port or {"ssl": 465, "starttls": 587}.get(security, 25),
            sender=env.get(ENV_SMTP_FROM, "").strip() or f"chorus-connect@{socket.getfqdn()}",
            user=user,
            password=SecretStr(password) if password else None,
            security=security,
        )


def _default_security(port: int | None, user: str | None) -> str:
    if port == 465:
        return "ssl"
    # A password must not cross the network in clear: STARTTLS as soon as there is a login.
    return "starttls" if port == 587 or user else "none"


# --- delivery -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # failed this time, retried later
    given_up: int = 0  # failed for good (channel removed, or the last attempt)

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent, self.failed + other.failed, self.given_up + other.given_up
        )


@dataclass(frozen=True, slots=True)
class _Job:
    """One outbox row with what its delivery needs, read in one short transaction."""

    id: int
    kind: NotificationKind
    channel: NotificationChannel
    payload: dict[str, Any]
    attempts: int
    structure_name: str
    webhook_url: str | None
    webhook_secret: SecretStr | None
    emails: tuple[str, ...]


class _DeliveryFailure(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        self.reason = reason
        self.permanent = permanent
        super().__init__(reason)


def deliver_pending(
    store: Store,
    *,
    worker: str | None = None,
    smtp: SmtpSettings | None = None,
    http: httpx.Client | None = None,
    now: dt.datetime | None = None,
    limit: int = 200,
) -> DeliveryReport:
    """Send the due notifications of the outbox (at most ``limit``). Each is claimed first, so concurrent
    workers never send the same one; a failure is retried later with exponential backoff."""
    worker = worker or f"{socket.gethostname()}:{os.getpid()}:notifications"
    smtp = smtp if smtp is not None else SmtpSettings.from_env()
    client = http or httpx.Client(timeout=WEBHOOK_TIMEOUT, follow_redirects=False)
    report = DeliveryReport()
    try:
        while report.sent + report.failed + report.given_up < limit:
            with store.transaction(actor=worker) as tx:
                current = now or database_now(tx.session)
                claims = tx.notifications.claim_due(worker, limit=min(20, limit), now=current)
            if not claims:
                break
            for claim in claims:
                report += _deliver_one(store, claim, smtp, client, current)
    finally:
        if http is None:
            client.close()
    return report


def _deliver_one(
    store: Store, claim: Claim, smtp: SmtpSettings | None, http: httpx.Client, now: dt.datetime
) -> DeliveryReport:
    try:
        with store.read() as tx:
            job = _load_job(tx, claim.row_id)
        failure = _send(job, smtp, http)
        if failure is not None:
            return _record_failure(store, claim, job, failure, now)
        with store.transaction(actor=claim.worker) as tx:
            tx.notifications.mark_sent(claim)
    except LeaseLostError:
        # Our lease ran out and another worker took the row over: it owns the outcome now.
        log.warning("notification.lease_lost id=%d", claim.row_id)
        return DeliveryReport()
    log.info("notification.sent id=%d kind=%s channel=%s", job.id, job.kind.value, job.channel.value)
    return DeliveryReport(sent=1)


def _send(job: _Job, smtp: SmtpSettings | None, http: httpx.Client) -> _DeliveryFailure | None:
    """Send one notification; a failure comes back with its reason cleared of any secret."""
    secrets = [job.webhook_secret, smtp.password if smtp else None]
    try:
        if job.channel == NotificationChannel.WEBHOOK:
            _send_webhook(job, http)
        else:
            _send_email(job, smtp)
    except _DeliveryFailure as failure:
        return _DeliveryFailure(_redacted(failure.reason, secrets), permanent=failure.permanent)
    except Exception as error:  # a bug must not stop the other deliveries: retried like a failure
        return _DeliveryFailure(_redacted(f"unexpected {type(error).__name__}: {error}", secrets))
    return None


def _record_failure(
    store: Store, claim: Claim, job: _Job, failure: _DeliveryFailure, now: dt.datetime
) -> DeliveryReport:
    last_attempt = job.attempts + 1 >= MAX_ATTEMPTS
    retry_at = None if failure.permanent or last_attempt else now + _backoff(job.attempts)
    with store.transaction(actor=claim.worker) as tx:
        tx.notifications.mark_failed(claim, error=failure.reason[:ERROR_MAX], retry_at=retry_at)
    log.warning(
        "notification.failed id=%d kind=%s channel=%s attempt=%d retry_at=%s reason=%s",
        job.id,
        job.kind.value,
        job.channel.value,
        job.attempts + 1,
        retry_at.isoformat() if retry_at else "never",
        failure.reason,
    )
    return DeliveryReport(given_up=1) if retry_at is None else DeliveryReport(failed=1)


def _backoff(previous_attempts: int) -> dt.timedelta:
    """1 min, 2 min, 4 min, … capped at 6 h, with ±10 % jitter so failed deliveries do not come back
    together."""
    delay = min(RETRY_MAX, RETRY_BASE * (2**previous_attempts))
    return delay * random.uniform(0.9, 1.1)


def _load_job(tx: UnitOfWork, notification_id: int) -> _Job:
    row = tx.notifications.get(notification_id)
    structure = tx.structures.get(row.structure_id)
    secret = (
        tx.structures.webhook_secret(structure.id) if row.channel == NotificationChannel.WEBHOOK else None
    )
    return _Job(
        id=row.id,
        kind=row.kind,
        channel=row.channel,
        payload=dict(row.payload),
        attempts=row.attempts,
        structure_name=structure.name,
        webhook_url=structure.webhook_url,
        webhook_secret=secret,
        emails=tuple(structure.notification_emails or ()),
    )


# --- webhook ------------------------------------------------------------------------------------------


def webhook_body(job_id: int, event: str, payload: dict[str, Any], timestamp: int) -> bytes:
    """The exact bytes sent (and signed): compact, sorted keys, UTF-8."""
    body = {"delivery_id": job_id, "event": event, "timestamp": timestamp, "data": payload}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(secret: str | SecretStr, raw_body: bytes) -> str:
    """The ``X-Chorus-Signature`` value: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return "sha256=" + hmac.new(key.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def verify_webhook(
    secret: str | SecretStr,
    raw_body: bytes,
    signature: str | None,
    *,
    tolerance: dt.timedelta = REPLAY_TOLERANCE,
    now: float | None = None,
) -> dict[str, Any]:
    """What a receiver written in Python does: check the signature (constant time), then that the signed
    timestamp is recent; returns the body. Also remember ``delivery_id`` to drop a replay inside the
    tolerance window, and to ignore a retried delivery you already processed."""
    if not signature or not hmac.compare_digest(sign(secret, raw_body), signature.strip()):
        raise WebhookVerificationError("bad or missing signature")
    try:
        body = json.loads(raw_body)
        sent_at = float(body["timestamp"])
    except (ValueError, KeyError, TypeError):
        raise WebhookVerificationError("unreadable body") from None
    if abs((time.time() if now is None else now) - sent_at) > tolerance.total_seconds():
        raise WebhookVerificationError("timestamp outside the tolerance window (replay?)")
    return dict(body)


def _send_webhook(job: _Job, http: httpx.Client) -> None:
    if not job.webhook_url:
        raise _DeliveryFailure("the structure no longer has a webhook URL", permanent=True)
    if job.webhook_secret is None:
        raise _DeliveryFailure("the structure's webhook has no secret to sign with", permanent=True)
    timestamp = int(time.time())
    event = str(job.payload.get("event") or EVENTS[job.kind])
    raw = webhook_body(job.id, event, job.payload, timestamp)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"chorus-connect/{__version__}",
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(job.id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(job.webhook_secret, raw),
    }
    where = _origin(job.webhook_url)  # never the path or query: they may hold a token
    try:
        response = http.post(job.webhook_url, content=raw, headers=headers)
    except httpx.HTTPError as error:
        raise _DeliveryFailure(f"webhook {where}: {type(error).__name__}: {error}") from None
    if not 200 <= response.status_code < 300:
        raise _DeliveryFailure(f"webhook {where} answered HTTP {response.status_code}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


# --- e-mail -------------------------------------------------------------------------------------------


def _send_email(job: _Job, smtp: SmtpSettings | None) -> None:
    if not job.emails:
        raise _DeliveryFailure("the structure no longer has notification e-mail addresses", permanent=True)
    if smtp is None:
        raise _DeliveryFailure(f"no SMTP server configured: set {ENV_SMTP_HOST} (and {ENV_SMTP_FROM})")
    subject, text = render_email(NotificationKind(job.kind), job.payload)
    # No header folding below RFC 5322's 998 characters: CPython folds a non-ASCII subject with a doubled
    # space ("passe  à") that mail clients then show.
    message = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    message["Subject"] = subject
    message["From"] = smtp.sender
    message["To"] = ", ".join(job.emails)
    message["Date"] = formatdate(localtime=True)
    # A stable id: if a crash makes us send it twice, mail clients show it once.
    message["Message-ID"] = f"<notification-{job.id}.{job.structure_name.replace(' ', '-')}@chorus-connect>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, cte="quoted-printable")  # 7-bit safe whatever the server supports
    try:
        with _smtp_connection(smtp) as connection:
            connection.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise _DeliveryFailure(f"SMTP {smtp.host}:{smtp.port}: {type(error).__name__}: {error}") from None


def _smtp_connection(smtp: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    connection: smtplib.SMTP
    if smtp.security == "ssl":
        connection = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        connection = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.security == "starttls":
            connection.starttls(context=context)
        if smtp.user:
            _login(connection, smtp.user, smtp.password.get_secret_value() if smtp.password else "")
    except BaseException:
        connection.close()
        raise
    return connection


def _login(connection: smtplib.SMTP, user: str, password: str) -> None:
    if (user + password).isascii():
        connection.login(user, password)
        return
    # smtplib only sends ASCII credentials; SASL PLAIN carries UTF-8 (RFC 4616), so send it ourselves.
    connection.ehlo_or_helo_if_needed()
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
    code, answer = connection.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def render_email(kind: NotificationKind, payload: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body, in French, for the structure's accountants."""
    structure = payload.get("structure") or {}
    environment = structure.get("environment")
    tag = "" if environment in (None, "production") else f"[{environment}] "
    if kind == NotificationKind.PASSWORD_EXPIRY:
        subject, lines = _password_text(structure, payload.get("technical_password") or {})
    else:
        subject, lines = _invoice_text(kind, payload)
    footer = [
        "",
        "-- ",
        f"Message envoyé automatiquement par chorus-connect (structure « {structure.get('name', '?')} », "
        f"environnement {environment or '?'}).",
    ]
    return tag + subject, "\n".join(["Bonjour,", "", *lines, *footer]) + "\n"


# Per event: (subject words, sentence verb, what to do). Actors: the recipient, or Chorus Pro itself.
_INVOICE_TEXTS: dict[str, tuple[str, str, str]] = {
    "invoice.rejected": (
        "rejetée par {recipient}",
        "a été rejetée par le destinataire",
        "Que faire : une facture rejetée ne peut plus être modifiée. Corrigez-la et envoyez-la de nouveau "
        "sous un nouveau numéro, ou annulez-la par un avoir.",
    ),
    REFUSED_EVENT: (
        "refusée par Chorus Pro à l'intégration",
        "a été refusée par Chorus Pro à l'intégration",
        "Que faire : corrigez les données signalées dans le motif, vérifiez la facture avec chorus-connect, "
        "puis déposez-la de nouveau.",
    ),
    "invoice.suspended": (
        "suspendue par {recipient}",
        "a été suspendue par le destinataire",
        "Que faire : complétez la facture dans chorus-connect (pièces justificatives et commentaire "
        "répondant au motif) ; le destinataire reprendra ensuite son traitement.",
    ),
    "invoice.payment_issued": (
        "mise en paiement par {recipient}",
        "a été mise en paiement",
        "Que faire : rien. Le paiement est en cours ; rapprochez-le de votre relevé bancaire à réception.",
    ),
    "invoice.recycle_requested": (
        "à recycler : {recipient} demande un autre adressage",
        "est à recycler",
        "Que faire : recyclez la facture dans chorus-connect avec le bon destinataire, code service ou "
        "numéro d'engagement.",
    ),
}


def _invoice_text(kind: NotificationKind, payload: Mapping[str, Any]) -> tuple[str, list[str]]:
    invoice = payload.get("invoice") or {}
    status = payload.get("status") or {}
    event = str(payload.get("event") or EVENTS[kind])
    subject_words, verb, what_to_do = _INVOICE_TEXTS.get(event, _INVOICE_TEXTS[EVENTS[kind]])
    number = invoice.get("number") or "?"
    recipient = invoice.get("recipient_name") or invoice.get("recipient_siret") or "le destinataire"
    motif = status.get("comment")
    subject = f"Facture {number} {subject_words.format(recipient=recipient)}"
    if motif and kind != NotificationKind.PAYMENT:
        subject += f" : {_shorten(motif, 120)}"
    issued = _french_date(invoice.get("issue_date"))
    amount = _french_amount(invoice.get("amount_tax_inclusive"), invoice.get("currency"))
    details = ", ".join(
        part for part in (f"du {issued}" if issued else "", f"{amount} TTC" if amount else "") if part
    )
    when = _french_moment(status.get("changed_at"))
    described = f"{number} ({details})" if details else number
    addressed = f"{recipient}{_siret_note(invoice.get('recipient_siret'))}"
    on = f" le {when}" if when else ""
    lines = [f"La facture {described} adressée à {addressed} {verb}{on} sur Chorus Pro."]
    if motif:
        lines += ["", f"Motif : {motif}"]
    lines += ["", what_to_do, "", "Références :"]
    references = (
        ("Identifiant Chorus Pro", invoice.get("chorus_invoice_id")),
        ("Numéro de flux", invoice.get("flux_number")),
        ("Code service", invoice.get("service_code")),
        ("Numéro d'engagement", invoice.get("engagement_number")),
        ("Statut précédent", status.get("previous")),
    )
    lines += [f"- {label} : {value}" for label, value in references if value]
    return subject, lines


def _password_text(structure: Mapping[str, Any], password: Mapping[str, Any]) -> tuple[str, list[str]]:
    name = structure.get("name", "?")
    expires = _french_date(password.get("expires_on")) or "?"
    login = password.get("login", "?")
    if password.get("expired"):
        subject = f"Compte technique Chorus Pro de {name} : mot de passe expiré depuis le {expires}"
        first = (
            f"Le mot de passe du compte technique {login} a expiré le {expires} : chorus-connect ne peut "
            "plus déposer ni suivre de facture pour cette structure."
        )
    else:
        days = password.get("days_left")
        subject = f"Compte technique Chorus Pro de {name} : mot de passe à renouveler avant le {expires}"
        first = f"Le mot de passe du compte technique {login} expire le {expires} (dans {days} jour(s))."
    estimated = password.get("source") == "estimated"
    lines = [
        first,
        "",
        "Que faire : le gestionnaire principal de la structure définit un nouveau mot de passe sur le "
        "portail Chorus Pro (Raccordements > Compte technique), puis le saisit dans chorus-connect "
        f"(chorus structures edit {name} --new-tech-password).",
    ]
    if estimated:
        lines += [
            "",
            "Cette date est estimée (date de saisie du mot de passe + 424 jours) : lancez "
            f"« chorus structures check-connection {name} » pour lire la date exacte sur Chorus Pro.",
        ]
    return subject, lines


def _siret_note(siret: str | None) -> str:
    return f" (SIRET {siret})" if siret else ""


def _shorten(text: str, length: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def _french_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return value


def _french_moment(value: str | None) -> str | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    local = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(PARIS)
    return local.strftime("%d/%m/%Y à %H:%M")


def _french_amount(value: str | None, currency: str | None) -> str | None:
    if value in (None, ""):
        return None
    digits = f"{Decimal(value):,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{digits}\u00a0{currency or 'EUR'}"


def _amount(value: Decimal | None) -> str | None:
    """Exact, as a string; two decimals unless more are significant (the store keeps six)."""
    if value is None:
        return None
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:.2f}" if cents == value else format(value.normalize(), "f")


def _utc(moment: dt.datetime) -> dt.datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _redacted(text: str, secrets: list[SecretStr | None]) -> str:
    for secret in secrets:
        value = secret.get_secret_value() if secret is not None else ""
        if len(value) >= 4:
            text = text.replace(value, "**********")
    return text
