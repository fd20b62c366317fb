"""What the web application keeps: sign-in sessions, login throttling, and idempotency records of the API.

Sessions are server-side: the browser holds a random token, the store only its SHA-256, so a stolen
database does not yield usable cookies, and signing out (or a password change) ends a session for good.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chorus_connect.store.models.base import Base, utcnow
from chorus_connect.store.types import JsonDocument


class WebSession(Base):
    __tablename__ = "web_sessions"
    _repr_columns: ClassVar[tuple[str, ...]] = ("user_id", "expires_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))  # synchronizer token of the forms
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    client_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class LoginThrottle(Base):
    """Failed sign-ins per e-mail address and per client address, over a sliding window."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)  # "email:…" or "address:…"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"LoginThrottle(key={self.key!r}, failures={self.failures})"


class IdempotencyRecord(Base):
    """The first response to a POST carrying an ``Idempotency-Key``, replayed for retries of that request.

    ``status_code`` is NULL while the first request is still being processed.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("principal", "method", "path", "idempotency_key"),
        Index("ix_idempotency_records_created_at", "created_at"),
    )
    _repr_columns: ClassVar[tuple[str, ...]] = ("principal", "method", "path", "status_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(100))  # "api_key:<id>" or "user:<id>"
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the request (query, type, body)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JsonDocument)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]
