"""Notifications on SQLite and PostgreSQL, delivered for real: a webhook receiver (``http.server`` on
loopback, checking the HMAC and the timestamp itself) and an SMTP server (``aiosmtpd``, with AUTH)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from buyers_helpers import database_url_fixture, secret_key_fixture, store_fixture  # noqa: F401  (fixtures)
from pydantic import SecretStr

from chorus_connect.engine.notifications import (
    DeliveryReport,
    NotificationConfigError,
    SmtpSettings,
    WebhookVerificationError,
    check_password_expiries,
    deliver_pending,
    notify_password_expiries,
    notify_refused_at_integration,
    notify_status_change,
    sign,
    verify_webhook,
)
from chorus_connect.store import (
    EnvironmentName,
    NewPisteApplication,
    NewStructure,
    Notification,
    NotificationChannel,
    NotificationKind,
    Store,
)
from chorus_connect.store.repositories.notifications import MAX_ATTEMPTS

# The loopback SMTP server takes AUTH without TLS on purpose (production settings default to STARTTLS).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

WEBHOOK_SECRET = "whsec-7f3a9c1e-do-not-log"
SMTP_USER, SMTP_PASSWORD = "mailer", "smtp-pass-Ω-do-not-log"
RECIPIENT = "Commune de Quimper"


# --- a real webhook receiver ------------------------------------------------------------------------------


class WebhookReceiver:
    """Accepts POSTs whose HMAC-SHA256 (over the raw body) and timestamp check out; answers the queued
    statuses in turn (204 once they run out)."""

    def __init__(self, secret: str, statuses: list[int] | None = None) -> None:
        self.secret = secret.encode()
        self.statuses = deque(statuses or [])
        self.accepted: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.receive(raw, self.headers)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/chorus?token=path-secret"

    def receive(self, raw: bytes, headers: Any) -> int:
        expected = "sha256=" + hmac.new(self.secret, raw, hashlib.sha256).hexdigest()
        body = json.loads(raw)
        with self.lock:
            if not hmac.compare_digest(expected, headers.get("X-Chorus-Signature", "")):
                self.refused.append("signature")
                return 401
            if (
                str(body["timestamp"]) != headers["X-Chorus-Timestamp"]
                or abs(time.time() - body["timestamp"]) > 300
            ):
                self.refused.append("timestamp")
                return 401
            self.accepted.append({"body": body, "headers": dict(headers)})
            return self.statuses.popleft() if self.statuses else 204

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(WEBHOOK_SECRET)
    yield server
    server.close()


# --- a real SMTP server -----------------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 235 or 535


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, SmtpSettings]]:
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,  # loopback test server; production settings default to STARTTLS
    )
    controller.start()
    settings = SmtpSettings(
        host="127.0.0.1",
        port=controller.port,
        sender="chorus-connect@atelier.example",
        user=SMTP_USER,
        password=SecretStr(SMTP_PASSWORD),
        security="none",
    )
    yield inbox, settings
    controller.stop()


# --- store data -------------------------------------------------------------------------------------------


def add_supplier(store: Store, *, webhook_url: str | None = None, emails: list[str] | None = None) -> int:
    with store.transaction(actor="test") as tx:
        return tx.structures.add(
            NewStructure(
                name="atelier",
                environment=EnvironmentName.SANDBOX,
                siret="00000000005719",
                technical_login="TECH_1_00000000005719@cpro.fr",
                technical_password="tech-password",
                piste=NewPisteApplication(name="erp", client_id="client-1", client_secret="piste-secret"),
                webhook_url=webhook_url,
                webhook_secret=WEBHOOK_SECRET if webhook_url else None,
                notification_emails=emails or [],
            )
        ).id


def add_invoice(store: Store, structure_id: int, number: str = "FA-2026-0042") -> int:
    document = {
        "number": number,
        "issue_date": "2026-03-01",
        "seller": {"name": "Atelier Exemple", "siret": "00000000005719"},
        "buyer": {"name": RECIPIENT, "siret": "00000000052287"},
        "lines": [
            {"id": "1", "name": "Maintenance", "quantity": "10", "net_price": "100.00", "vat_rate": "20"}
        ],
    }
    with store.transaction(actor="test") as tx:
        record = tx.invoices.add(structure_id, document)
        record.chorus_invoice_id = 1042
        return record.id


def report_status(
    store: Store, invoice_id: int, old: str, new: str, comment: str | None, at: dt.datetime
) -> int:
    with store.transaction(actor="tracking") as tx:
        record = tx.invoices.get(invoice_id)
        return len(notify_status_change(tx, record, old, new, comment, changed_at=at))


def outbox(store: Store) -> list[dict[str, Any]]:
    with store.read() as tx:
        rows = tx.session.query(Notification).order_by(Notification.id).all()
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "channel": r.channel,
                "sent_at": r.sent_at,
                "attempts": r.attempts,
                "next_attempt_at": r.next_attempt_at,
                "last_error": r.last_error,
                "dedupe_key": r.dedupe_key,
            }
            for r in rows
        ]


AT = dt.datetime(2026, 3, 12, 13, 5, tzinfo=dt.UTC)


# --- enqueue ----------------------------------------------------------------------------------------------


def test_each_notable_change_is_enqueued_once_per_configured_channel(store, receiver):
    structure = add_supplier(store, webhook_url=receiver.url, emails=["compta@atelier.example"])
    invoice = add_invoice(store, structure)

    assert report_status(store, invoice, "MISE_A_DISPOSITION", "SUSPENDUE", "BL manquant", AT) == 2
    assert (
        report_status(store, invoice, "MISE_A_DISPOSITION", "SUSPENDUE", "BL manquant", AT) == 0
    )  # seen twice
    assert report_status(store, invoice, "SUSPENDUE", "COMPLETEE", None, AT + dt.timedelta(days=1)) == 0
    assert report_status(store, invoice, "COMPLETEE", "SERVICE_FAIT", None, AT + dt.timedelta(days=2)) == 0
    assert report_status(store, invoice, "REJETEE", "REJETEE", "x", AT + dt.timedelta(days=3)) == 0
    # Suspended again later: a new event, announced again.
    assert (
        report_status(store, invoice, "COMPLETEE", "SUSPENDUE", "PV manquant", AT + dt.timedelta(days=4)) == 2
    )
    assert (
        report_status(store, invoice, "SERVICE_FAIT", "MISE_EN_PAIEMENT", None, AT + dt.timedelta(days=9))
        == 2
    )
    assert report_status(store, invoice, "MISE_A_DISPOSITION", "A_RECYCLER", "Autre service", AT) == 2
    kinds = [(row["kind"], row["channel"]) for row in outbox(store)]
    assert kinds.count((NotificationKind.SUSPENSION, NotificationChannel.WEBHOOK)) == 2
    assert (NotificationKind.PAYMENT, NotificationChannel.EMAIL) in kinds
    assert (NotificationKind.RECYCLE_REQUEST, NotificationChannel.WEBHOOK) in kinds


def test_a_structure_without_channels_enqueues_nothing(store):
    invoice = add_invoice(store, add_supplier(store))
    assert report_status(store, invoice, "MISE_A_DISPOSITION", "REJETEE", "Doublon", AT) == 0


# --- webhook ----------------------------------------------------------------------------------------------


def test_webhook_is_signed_sent_once_and_marked_sent(store, receiver):
    invoice = add_invoice(store, add_supplier(store, webhook_url=receiver.url))
    report_status(store, invoice, "MISE_A_DISPOSITION", "REJETEE", "Facture en double", AT)

    assert deliver_pending(store) == DeliveryReport(sent=1)
    assert deliver_pending(store) == DeliveryReport()  # idempotent: nothing left to send

    assert receiver.refused == []
    [delivery] = receiver.accepted
    body, headers = delivery["body"], delivery["headers"]
    assert headers["X-Chorus-Event"] == body["event"] == "invoice.rejected"
    assert headers["X-Chorus-Delivery"] == str(body["delivery_id"])
    data = body["data"]
    assert data["invoice"]["number"] == "FA-2026-0042" and data["invoice"]["chorus_invoice_id"] == 1042
    assert data["invoice"]["amount_tax_inclusive"] == "1200.00"
    assert data["status"] == {
        "previous": "MISE_A_DISPOSITION",
        "current": "REJETEE",
        "changed_at": AT.isoformat(),
        "comment": "Facture en double",
    }
    [row] = outbox(store)
    assert row["sent_at"] is not None and row["attempts"] == 1 and row["last_error"] is None


def test_a_failed_webhook_is_retried_with_backoff_then_delivered(store):
    receiver = WebhookReceiver(WEBHOOK_SECRET, statuses=[500])
    try:
        invoice = add_invoice(store, add_supplier(store, webhook_url=receiver.url))
        report_status(store, invoice, "MISE_A_DISPOSITION", "SUSPENDUE", "BL manquant", AT)
        now = dt.datetime.now(dt.UTC)

        assert deliver_pending(store, now=now) == DeliveryReport(failed=1)
        [row] = outbox(store)
        assert row["sent_at"] is None and row["attempts"] == 1
        assert "HTTP 500" in row["last_error"] and "path-secret" not in row["last_error"]
        delay = row["next_attempt_at"] - now
        assert dt.timedelta(seconds=50) < delay < dt.timedelta(seconds=70)  # 1 min ± 10 %
        assert deliver_pending(store, now=now + dt.timedelta(seconds=30)) == DeliveryReport()  # not due yet

        assert deliver_pending(store, now=now + dt.timedelta(minutes=2)) == DeliveryReport(sent=1)
        first, second = receiver.accepted
        assert first["body"]["delivery_id"] == second["body"]["delivery_id"]  # the receiver can dedupe
        [row] = outbox(store)
        assert row["sent_at"] is not None and row["attempts"] == 2 and row["last_error"] is None
    finally:
        receiver.close()


def test_an_unreachable_receiver_is_retried_and_given_up_after_the_last_attempt(store):
    url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    invoice = add_invoice(store, add_supplier(store, webhook_url=url))
    report_status(store, invoice, "MISE_A_DISPOSITION", "REJETEE", "Doublon", AT)
    now = dt.datetime.now(dt.UTC)
    reports = []
    for _ in range(MAX_ATTEMPTS + 1):
        now += dt.timedelta(hours=7)  # past any backoff
        reports.append(deliver_pending(store, now=now))
    assert reports[: MAX_ATTEMPTS - 1] == [DeliveryReport(failed=1)] * (MAX_ATTEMPTS - 1)
    assert reports[MAX_ATTEMPTS - 1] == DeliveryReport(given_up=1)
    assert reports[MAX_ATTEMPTS] == DeliveryReport()
    [row] = outbox(store)
    # Given up: never claimed again (the store counts a give-up as reaching the maximum).
    assert row["attempts"] >= MAX_ATTEMPTS and row["sent_at"] is None and "ConnectError" in row["last_error"]


def test_a_removed_webhook_is_given_up_at_once(store, receiver):
    structure = add_supplier(store, webhook_url=receiver.url)
    report_status(store, add_invoice(store, structure), "MISE_A_DISPOSITION", "REJETEE", "Doublon", AT)
    with store.transaction(actor="test") as tx:
        tx.structures.set_webhook(structure, None)
    assert deliver_pending(store) == DeliveryReport(given_up=1)
    assert receiver.accepted == []
    assert "no longer has a webhook" in outbox(store)[0]["last_error"]


@pytest.mark.parametrize("workers", [3])
def test_concurrent_workers_deliver_each_notification_exactly_once(store, receiver, workers):
    structure = add_supplier(store, webhook_url=receiver.url)
    for n in range(24):
        invoice = add_invoice(store, structure, number=f"FA-{n:03d}")
        report_status(store, invoice, "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT", None, AT)
    results: list[DeliveryReport] = []

    def run(name: str) -> None:
        results.append(deliver_pending(store, worker=name))

    threads = [threading.Thread(target=run, args=(f"worker-{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = [delivery["body"]["delivery_id"] for delivery in receiver.accepted]
    assert len(ids) == len(set(ids)) == 24
    assert sum(r.sent for r in results) == 24 and all(r.failed == 0 for r in results)


def test_verify_webhook_refuses_tampering_and_replays():
    raw = json.dumps({"delivery_id": 7, "event": "invoice.rejected", "timestamp": 1_000_000}).encode()
    signature = sign(WEBHOOK_SECRET, raw)
    assert verify_webhook(WEBHOOK_SECRET, raw, signature, now=1_000_010)["delivery_id"] == 7
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(WEBHOOK_SECRET, raw.replace(b"7", b"8"), signature, now=1_000_010)
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook("another-secret", raw, signature, now=1_000_010)
    with pytest.raises(WebhookVerificationError, match="replay"):
        verify_webhook(WEBHOOK_SECRET, raw, signature, now=1_000_000 + 301)


# --- e-mail -----------------------------------------------------------------------------------------------


def test_rejection_e_mail_in_french_through_smtp_with_auth(store, smtp_server):
    inbox, settings = smtp_server
    emails = ["compta@atelier.example", "direction@atelier.example"]
    invoice = add_invoice(store, add_supplier(store, emails=emails))
    report_status(store, invoice, "MISE_A_DISPOSITION", "REJETEE", "Facture déjà réglée par mandat", AT)

    assert deliver_pending(store, smtp=settings) == DeliveryReport(sent=1)
    assert deliver_pending(store, smtp=settings) == DeliveryReport()

    [(recipients, message)] = inbox.messages
    assert recipients == emails
    assert message["Subject"] == (
        f"[sandbox] Facture FA-2026-0042 rejetée par {RECIPIENT} : Facture déjà réglée par mandat"
    )
    assert message["From"] == "chorus-connect@atelier.example"
    text = message.get_content()
    assert "La facture FA-2026-0042 (du 01/03/2026, 1\u202f200,00\u00a0EUR TTC)" in text
    assert "a été rejetée par le destinataire le 12/03/2026 à 14:05" in text  # Paris time
    assert "Motif : Facture déjà réglée par mandat" in text
    assert "Que faire" in text and "avoir" in text
    assert "Identifiant Chorus Pro : 1042" in text


def test_every_kind_of_invoice_notice_reads_right(store, smtp_server, receiver):
    inbox, settings = smtp_server
    structure = add_supplier(store, webhook_url=receiver.url, emails=["compta@atelier.example"])
    changes = [
        ("FA-S", "SUSPENDUE", "Bon de livraison manquant"),
        ("FA-P", "MISE_EN_PAIEMENT", None),
        ("FA-R", "A_RECYCLER", "Service 42 incorrect"),
    ]
    for number, status, motif in changes:
        report_status(store, add_invoice(store, structure, number), "MISE_A_DISPOSITION", status, motif, AT)
    refused = add_invoice(store, structure, "FA-I")
    with store.transaction(actor="tracking") as tx:
        record = tx.invoices.get(refused)
        created = notify_refused_at_integration(tx, record, "CPP0011110000000000000042", "SIRET inconnu")
        assert len(created) == 2
        again = notify_refused_at_integration(tx, record, "CPP0011110000000000000042", "SIRET inconnu")
        assert again == []

    assert deliver_pending(store, smtp=settings) == DeliveryReport(sent=8)
    subjects = sorted(message["Subject"] for _to, message in inbox.messages)
    assert subjects == [
        "[sandbox] Facture FA-I refusée par Chorus Pro à l'intégration : SIRET inconnu",
        f"[sandbox] Facture FA-P mise en paiement par {RECIPIENT}",
        f"[sandbox] Facture FA-R à recycler : {RECIPIENT} demande un autre adressage : Service 42 incorrect",
        f"[sandbox] Facture FA-S suspendue par {RECIPIENT} : Bon de livraison manquant",
    ]
    events = sorted(delivery["body"]["event"] for delivery in receiver.accepted)
    assert events == [
        "invoice.payment_issued",
        "invoice.recycle_requested",
        "invoice.refused_at_integration",
        "invoice.suspended",
    ]
    refused_mail = next(m for _to, m in inbox.messages if "FA-I" in m["Subject"])
    assert "Numéro de flux : CPP0011110000000000000042" in refused_mail.get_content()


def test_an_smtp_failure_is_retried(store):
    down = SmtpSettings(host="127.0.0.1", port=free_port(), sender="x@atelier.example")
    invoice = add_invoice(store, add_supplier(store, emails=["compta@atelier.example"]))
    report_status(store, invoice, "MISE_A_DISPOSITION", "SUSPENDUE", "BL", AT)
    assert deliver_pending(store, smtp=down) == DeliveryReport(failed=1)
    [row] = outbox(store)
    assert "ConnectionRefusedError" in row["last_error"] and row["next_attempt_at"] is not None


def test_no_smtp_configured_is_a_retried_failure_naming_the_setting(store):
    invoice = add_invoice(store, add_supplier(store, emails=["compta@atelier.example"]))
    report_status(store, invoice, "MISE_A_DISPOSITION", "SUSPENDUE", "BL", AT)
    report = deliver_pending(store, smtp=None)  # CHORUS_SMTP_HOST is not set in the tests
    assert report == DeliveryReport(failed=1)
    assert "CHORUS_SMTP_HOST" in outbox(store)[0]["last_error"]


def test_secrets_never_reach_the_logs_or_the_outbox(store, smtp_server, caplog):
    inbox, settings = smtp_server
    wrong_password = SmtpSettings(
        host=settings.host,
        port=settings.port,
        sender=settings.sender,
        user=SMTP_USER,
        password=SecretStr("wrong-" + SMTP_PASSWORD),
        security="none",
    )
    receiver = WebhookReceiver(WEBHOOK_SECRET, statuses=[503])
    try:
        structure = add_supplier(store, webhook_url=receiver.url, emails=["compta@atelier.example"])
        report_status(store, add_invoice(store, structure), "MISE_A_DISPOSITION", "REJETEE", "Doublon", AT)
        with caplog.at_level(logging.DEBUG):
            deliver_pending(store, smtp=wrong_password)
            failures = "\n".join(str(row) for row in outbox(store))
            deliver_pending(store, smtp=settings, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
        assert len(inbox.messages) == 1 and len(receiver.accepted) == 2
    finally:
        receiver.close()
    logged = "\n".join(record.getMessage() for record in caplog.records)  # every logger, at DEBUG
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("chorus_connect"))
    assert "SMTPAuthenticationError" in failures and "HTTP 503" in failures
    for secret in (WEBHOOK_SECRET, SMTP_PASSWORD):
        assert secret not in logged and secret not in failures
    # Our records name the webhook by scheme://host:port only (its path or query may hold a token).
    assert "path-secret" not in ours and "path-secret" not in failures
    assert SMTP_PASSWORD not in repr(settings)


# --- technical password expiry ----------------------------------------------------------------------------


def test_password_expiry_is_announced_once_per_milestone(store, smtp_server):
    inbox, settings = smtp_server
    structure = add_supplier(store, emails=["compta@atelier.example"])
    with store.read() as tx:
        expires_on = tx.structures.get(structure).technical_password_expires_on

    def warn(days_before: int) -> int:
        return check_password_expiries(store, today=expires_on - dt.timedelta(days=days_before))

    assert warn(40) == 0
    assert warn(30) == 1
    assert [warn(d) for d in (29, 20, 15)] == [0, 0, 0]
    assert warn(14) == 1 and warn(8) == 0
    assert warn(7) == 1 and warn(1) == 1 and warn(0) == 0
    assert warn(-1) == 1 and warn(-5) == 0  # expired: once

    assert deliver_pending(store, smtp=settings) == DeliveryReport(sent=5)
    subjects = [message["Subject"] for _recipients, message in inbox.messages]
    day = expires_on.strftime("%d/%m/%Y")
    assert (
        subjects[0]
        == f"[sandbox] Compte technique Chorus Pro de atelier : mot de passe à renouveler avant le {day}"
    )
    assert (
        subjects[-1]
        == f"[sandbox] Compte technique Chorus Pro de atelier : mot de passe expiré depuis le {day}"
    )
    assert "(dans 30 jour(s))" in inbox.messages[0][1].get_content()
    assert "estimée" in inbox.messages[0][1].get_content()  # entry date + 424 days

    # A new password: its own expiry, its own warnings.
    with store.transaction(actor="test") as tx:
        tx.structures.set_technical_password(
            structure, "new-password", expires_on=expires_on + dt.timedelta(days=400)
        )
        assert notify_password_expiries(tx, today=expires_on + dt.timedelta(days=370)) != []


# --- settings ---------------------------------------------------------------------------------------------


def test_smtp_settings_from_the_environment():
    assert SmtpSettings.from_env({}) is None
    plain = SmtpSettings.from_env({"CHORUS_SMTP_HOST": "mail.local"})
    assert (plain.port, plain.security, plain.user) == (25, "none", None)
    with_login = SmtpSettings.from_env(
        {"CHORUS_SMTP_HOST": "smtp.example", "CHORUS_SMTP_USER": "u", "CHORUS_SMTP_PASSWORD": "p4ss-word"}
    )
    assert (with_login.port, with_login.security) == (587, "starttls")  # never a password in clear
    assert "p4ss-word" not in repr(with_login)
    ssl_mode = SmtpSettings.from_env({"CHORUS_SMTP_HOST": "smtp.example", "CHORUS_SMTP_PORT": "465"})
    assert ssl_mode.security == "ssl"
    with pytest.raises(NotificationConfigError, match="CHORUS_SMTP_PORT"):
        SmtpSettings.from_env({"CHORUS_SMTP_HOST": "smtp.example", "CHORUS_SMTP_PORT": "smtp"})
    with pytest.raises(NotificationConfigError, match="CHORUS_SMTP_SECURITY"):
        SmtpSettings.from_env({"CHORUS_SMTP_HOST": "smtp.example", "CHORUS_SMTP_SECURITY": "tls1.3"})
