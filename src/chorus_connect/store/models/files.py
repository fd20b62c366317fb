"""File contents (blobs) kept apart from the rows that list them, so listings never load bytes."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from chorus_connect.store.enums import FilePurpose
from chorus_connect.store.models.base import Base, Timestamps
from chorus_connect.store.types import EnumText


class StoredFile(Timestamps, Base):
    __tablename__ = "files"
    _repr_columns: ClassVar[tuple[str, ...]] = ("file_name", "purpose", "size")

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[FilePurpose] = mapped_column(EnumText(FilePurpose, 20))
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
