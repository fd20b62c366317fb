"""Web users and API keys (minimal: the web application extends them with its own migration)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import Boolean, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chorus_connect.store.enums import ApiKeyAccess, UserRole
from chorus_connect.store.models.base import Base, Timestamps
from chorus_connect.store.models.structures import Structure
from chorus_connect.store.types import EnumText

user_structures = Table(
    "user_structures",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("structure_id", ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True),
)

api_key_structures = Table(
    "api_key_structures",
    Base.metadata,
    Column("api_key_id", ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
    Column("structure_id", ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True),
)


class User(Timestamps, Base):
    __tablename__ = "users"
    _repr_columns: ClassVar[tuple[str, ...]] = ("email", "role")

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))  # argon2 string, set by the web part
    role: Mapped[UserRole] = mapped_column(EnumText(UserRole, 20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime | None]

    structures: Mapped[list[Structure]] = relationship(secondary=user_structures)


class ApiKey(Timestamps, Base):
    """Only a SHA-256 of the key is kept (keys are 256-bit random: a slow hash adds nothing)."""

    __tablename__ = "api_keys"
    _repr_columns: ClassVar[tuple[str, ...]] = ("name", "prefix")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # shown in lists, used for look-up
    key_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    # What the key may do on its structures (added by the web migration; older keys can read and write).
    access: Mapped[ApiKeyAccess] = mapped_column(
        EnumText(ApiKeyAccess, 20),
        default=ApiKeyAccess.READ_WRITE,
        server_default=ApiKeyAccess.READ_WRITE.value,
    )

    structures: Mapped[list[Structure]] = relationship(secondary=api_key_structures)
