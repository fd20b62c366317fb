"""The web application's records: sign-in sessions, login throttles and API idempotency records."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select

from chorus_connect.store.errors import ConflictError
from chorus_connect.store.models.web import IdempotencyRecord, LoginThrottle, WebSession
from chorus_connect.store.repositories.base import Repository


def token_digest(token: str) -> str:
    """What the store keeps of a session token (tokens are 256-bit random: a fast hash is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class WebSessionRepository(Repository):
    def create(
        self,
        user_id: int,
        *,
        expires_at: dt.datetime,
        client_address: str | None = None,
        user_agent: str | None = None,
    ) -> tuple[WebSession, str]:
        """A new session; returns it and the token for the cookie (never stored as such)."""
        token = secrets.token_urlsafe(32)
        now = self.uow.now()
        session = WebSession(
            token_hash=token_digest(token),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
            client_address=(client_address or "")[:45] or None,
            user_agent=(user_agent or "")[:200] or None,
        )
        self.session.add(session)
        self.session.flush()
        return session, token

    def find(self, token: str) -> WebSession | None:
        """The live session of this token, or None (unknown or expired)."""
        found = self.session.scalars(
            select(WebSession).where(WebSession.token_hash == token_digest(token))
        ).first()
        if found is None or found.expires_at <= self.uow.now():
            return None
        return found

    def extend(self, session_id: int, *, last_seen_at: dt.datetime, expires_at: dt.datetime) -> None:
        found = self.session.get(WebSession, session_id)
        if found is not None:
            found.last_seen_at = last_seen_at
            found.expires_at = expires_at
            self.session.flush()

    def end(self, token: str) -> None:
        self.session.execute(delete(WebSession).where(WebSession.token_hash == token_digest(token)))

    def end_all_of(self, user_id: int, *, keep_session_id: int | None = None) -> int:
        """End every session of a user (password changed, account disabled), maybe but the current one."""
        statement = delete(WebSession).where(WebSession.user_id == user_id)
        if keep_session_id is not None:
            statement = statement.where(WebSession.id != keep_session_id)
        return self.session.execute(statement).rowcount or 0

    def purge_expired(self) -> int:
        statement = delete(WebSession).where(WebSession.expires_at <= self.uow.now())
        return self.session.execute(statement).rowcount or 0


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    """At most ``max_failures`` failed sign-ins per ``window``; then locked for ``lock_for``."""

    max_failures: int
    window: dt.timedelta
    lock_for: dt.timedelta


class LoginThrottleRepository(Repository):
    def locked_until(self, keys: Sequence[str]) -> dt.datetime | None:
        """The latest lock end among ``keys`` still in the future, or None."""
        now = self.uow.now()
        ends = [
            row.locked_until
            for row in self.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(list(keys))))
            if row.locked_until is not None and row.locked_until > now
        ]
        return max(ends) if ends else None

    def record_failure(self, rules: Mapping[str, ThrottleRule]) -> dt.datetime | None:
        """Count one failure under each key (with its rule); returns the lock end if one is now locked."""
        now = self.uow.now()
        locked: list[dt.datetime] = []
        for key, rule in rules.items():
            row = self.session.get(LoginThrottle, key)
            if row is None:
                row = LoginThrottle(key=key, failures=0, window_started_at=now)
                self.session.add(row)
            if now - row.window_started_at > rule.window:
                row.failures, row.window_started_at = 0, now
            row.failures += 1
            if row.failures >= rule.max_failures:
                row.locked_until = now + rule.lock_for
                row.failures, row.window_started_at = 0, now
                locked.append(row.locked_until)
        self.session.flush()
        return max(locked) if locked else None

    def clear(self, keys: Sequence[str]) -> None:
        self.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(list(keys))))


class IdempotencyInProgressError(ConflictError):
    default_fix = "Wait for the first request with this Idempotency-Key to finish, then retry."


class IdempotencyRepository(Repository):
    def find(self, principal: str, method: str, path: str, key: str) -> IdempotencyRecord | None:
        return self.session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal,
                IdempotencyRecord.method == method,
                IdempotencyRecord.path == path,
                IdempotencyRecord.idempotency_key == key,
            )
        ).first()

    def begin(
        self, principal: str, method: str, path: str, key: str, request_hash: str
    ) -> tuple[IdempotencyRecord, bool]:
        """The record of this key (True when it was just created, i.e. this request is the first).

        Commit at once so that a concurrent retry sees the request in progress; two first requests racing
        are told apart by the unique constraint (the loser gets ``IdempotencyInProgressError``).
        """
        existing = self.find(principal, method, path, key)
        if existing is not None:
            return existing, False
        record = IdempotencyRecord(
            principal=principal,
            method=method,
            path=path,
            idempotency_key=key,
            request_hash=request_hash,
            created_at=self.uow.now(),
        )
        self.session.add(record)
        self.flush(lambda _e: IdempotencyInProgressError("A request with this Idempotency-Key is running."))
        return record, True

    def complete(
        self, record_id: int, *, status_code: int, headers: Mapping[str, str], body: bytes
    ) -> IdempotencyRecord | None:
        record = self.session.get(IdempotencyRecord, record_id)
        if record is not None:
            record.status_code = status_code
            record.response_headers = dict(headers)
            record.response_body = body
            record.completed_at = self.uow.now()
            self.session.flush()
        return record

    def discard(self, record_id: int) -> None:
        """Forget a key whose request failed on the server's side, so that a retry runs again."""
        self.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))

    def purge(self, older_than: dt.datetime) -> int:
        statement = delete(IdempotencyRecord).where(IdempotencyRecord.created_at < older_than)
        return self.session.execute(statement).rowcount or 0
