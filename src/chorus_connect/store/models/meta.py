"""Store-wide settings (e.g. the encrypted key check that tells a wrong key from a corrupt secret)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chorus_connect.store.models.base import Base, Timestamps


class StoreMeta(Timestamps, Base):
    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"StoreMeta(key={self.key!r})"
