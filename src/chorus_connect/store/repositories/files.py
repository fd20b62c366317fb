"""File contents (imported files, deposited flux, zips, downloaded received invoices)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select

from chorus_connect.store.enums import FilePurpose
from chorus_connect.store.errors import NotFoundError
from chorus_connect.store.models.files import StoredFile
from chorus_connect.store.repositories.base import Repository
from chorus_connect.store.validation import checker

FILE_NAME_MAX = 255


@dataclass(kw_only=True)
class NewFile:
    file_name: str
    content: bytes
    media_type: str = "application/octet-stream"


class FileRepository(Repository):
    def add(self, structure_id: int, purpose: FilePurpose, new: NewFile) -> StoredFile:
        check = checker("file")
        name = check.required_text("file_name", new.file_name, max_length=FILE_NAME_MAX)
        if not isinstance(new.content, bytes | bytearray):
            check.add("content", "is not bytes", "pass the file's raw bytes")
        check.raise_if_any()
        stored = StoredFile(
            structure_id=structure_id,
            purpose=purpose,
            file_name=name,
            media_type=new.media_type,
            size=len(new.content),
            sha256=hashlib.sha256(new.content).hexdigest(),
            content=bytes(new.content),
        )
        self.session.add(stored)
        self.session.flush()
        return stored

    def get(self, file_id: int) -> StoredFile:
        stored = self.session.get(StoredFile, file_id)
        if stored is None:
            raise NotFoundError("file", file_id)
        return stored

    def content(self, file_id: int) -> bytes:
        content = self.session.scalar(select(StoredFile.content).where(StoredFile.id == file_id))
        if content is None:
            raise NotFoundError("file", file_id)
        return content
