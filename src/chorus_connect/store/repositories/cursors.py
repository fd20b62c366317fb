"""Sync cursors: per structure and kind, the last Chorus status-change time already seen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from chorus_connect.store import leases
from chorus_connect.store.models.tracking import SyncCursor
from chorus_connect.store.repositories.base import Repository

SUPPLIER_INVOICES = "supplier_invoices"
RECEIVED_INVOICES = "received_invoices"


class SyncCursorRepository(Repository):
    def get(self, structure_id: int, kind: str = SUPPLIER_INVOICES) -> SyncCursor:
        """The cursor, created empty (never synced) if needed."""
        cursor = self.find(structure_id, kind)
        if cursor is None:
            cursor = SyncCursor(structure_id=structure_id, kind=kind)
            self.session.add(cursor)
            self.session.flush()
        return cursor

    def find(self, structure_id: int, kind: str = SUPPLIER_INVOICES) -> SyncCursor | None:
        return self.session.scalars(
            select(SyncCursor).where(SyncCursor.structure_id == structure_id, SyncCursor.kind == kind)
        ).first()

    def ensure(self, structure_ids: Iterable[int], kind: str = SUPPLIER_INVOICES) -> None:
        for structure_id in structure_ids:
            self.get(structure_id, kind)

    def advance(
        self,
        structure_id: int,
        kind: str = SUPPLIER_INVOICES,
        *,
        last_change_at: dt.datetime | None,
        state: dict[str, Any] | None = None,
        claim: leases.Claim | None = None,
    ) -> SyncCursor:
        """Record a finished sync. The cursor never moves backwards (a late, older answer is ignored)."""
        if claim is not None:
            leases.check_held(self.session, SyncCursor, claim)
        cursor = self.get(structure_id, kind)
        if last_change_at is not None and (
            cursor.last_change_at is None or last_change_at > cursor.last_change_at
        ):
            cursor.last_change_at = last_change_at
        if state is not None:
            cursor.state = state
        cursor.last_synced_at = self.uow.now()
        self.session.flush()
        return cursor

    def reset(self, structure_id: int, kind: str | None = None) -> int:
        """Forget what was seen (next sync starts from the beginning); returns the number of cursors reset."""
        query = select(SyncCursor).where(SyncCursor.structure_id == structure_id)
        if kind is not None:
            query = query.where(SyncCursor.kind == kind)
        cursors = list(self.session.scalars(query))
        for cursor in cursors:
            cursor.last_change_at = None
            cursor.state = None
        self.session.flush()
        return len(cursors)

    def claim(
        self,
        worker: str,
        kind: str = SUPPLIER_INVOICES,
        *,
        synced_before: dt.datetime | None = None,
        limit: int = 1,
        ttl: dt.timedelta = leases.DEFAULT_LEASE,
        now: dt.datetime | None = None,
    ) -> list[leases.Claim]:
        """Claim cursors of ``kind`` (oldest sync first) so that one worker at a time syncs a structure."""
        where = [SyncCursor.kind == kind]
        if synced_before is not None:
            where.append((SyncCursor.last_synced_at.is_(None)) | (SyncCursor.last_synced_at < synced_before))
        return leases.claim(
            self.session,
            SyncCursor,
            worker,
            where=where,
            order_by=(SyncCursor.last_synced_at.is_not(None), SyncCursor.last_synced_at, SyncCursor.id),
            limit=limit,
            ttl=ttl,
            now=now,
        )

    def release(self, claim: leases.Claim) -> bool:
        return leases.release(self.session, SyncCursor, claim)
