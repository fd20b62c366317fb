"""The notification outbox: enqueued in the transaction that records the change, delivered by a worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from chorus_connect.store import leases
from chorus_connect.store.enums import NotificationChannel, NotificationKind
from chorus_connect.store.errors import NotFoundError
from chorus_connect.store.models.notifications import Notification
from chorus_connect.store.repositories.base import Repository

MAX_ATTEMPTS = 10


class NotificationOutbox(Repository):
    def enqueue(
        self,
        structure_id: int,
        kind: NotificationKind,
        *,
        dedupe_key: str,
        payload: dict[str, Any],
        invoice_id: int | None = None,
        channels: Sequence[NotificationChannel] | None = None,
    ) -> list[Notification]:
        """One row per channel the structure has configured (webhook URL, e-mail recipients); a
        ``dedupe_key`` already enqueued on a channel is skipped. Returns the new rows."""
        structure = self.uow.structures.get(structure_id)
        configured = []
        if structure.webhook_url:
            configured.append(NotificationChannel.WEBHOOK)
        if structure.notification_emails:
            configured.append(NotificationChannel.EMAIL)
        wanted = [channel for channel in configured if channels is None or channel in channels]
        created = []
        for channel in wanted:
            if self._exists(structure_id, channel, dedupe_key):
                continue
            notification = Notification(
                structure_id=structure_id,
                invoice_id=invoice_id,
                kind=kind,
                channel=channel,
                dedupe_key=dedupe_key,
                payload=payload,
                attempts=0,
            )
            self.session.add(notification)
            created.append(notification)
        self.session.flush()
        return created

    def get(self, notification_id: int) -> Notification:
        notification = self.session.get(Notification, notification_id)
        if notification is None:
            raise NotFoundError("notification", notification_id)
        return notification

    def pending(self, structure_id: int | None = None) -> list[Notification]:
        query = select(Notification).where(Notification.sent_at.is_(None))
        if structure_id is not None:
            query = query.where(Notification.structure_id == structure_id)
        return list(self.session.scalars(query.order_by(Notification.id)))

    def claim_due(
        self,
        worker: str,
        *,
        limit: int = 20,
        ttl: dt.timedelta = leases.DEFAULT_LEASE,
        now: dt.datetime | None = None,
    ) -> list[leases.Claim]:
        current = now or leases.database_now(self.session)
        return leases.claim(
            self.session,
            Notification,
            worker,
            where=[
                Notification.sent_at.is_(None),
                Notification.attempts < MAX_ATTEMPTS,
                (Notification.next_attempt_at.is_(None)) | (Notification.next_attempt_at <= current),
            ],
            limit=limit,
            ttl=ttl,
            now=current,
        )

    def mark_sent(self, claim: leases.Claim) -> Notification:
        leases.check_held(self.session, Notification, claim)
        notification = self.get(claim.row_id)
        notification.sent_at = self.uow.now()
        notification.attempts += 1
        notification.last_error = None
        leases.release(self.session, Notification, claim)
        self.session.flush()
        return notification

    def mark_failed(self, claim: leases.Claim, *, error: str, retry_at: dt.datetime | None) -> Notification:
        """A failed delivery; ``retry_at=None`` gives up (after MAX_ATTEMPTS it is given up anyway)."""
        leases.check_held(self.session, Notification, claim)
        notification = self.get(claim.row_id)
        notification.attempts += 1 if retry_at is not None else MAX_ATTEMPTS
        notification.last_error = error
        notification.next_attempt_at = retry_at
        leases.release(self.session, Notification, claim)
        self.session.flush()
        return notification

    def _exists(self, structure_id: int, channel: NotificationChannel, dedupe_key: str) -> bool:
        return (
            self.session.scalar(
                select(Notification.id).where(
                    Notification.structure_id == structure_id,
                    Notification.channel == channel,
                    Notification.dedupe_key == dedupe_key,
                )
            )
            is not None
        )
