"""What every repository shares: its unit of work, and turning constraint violations into clear errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from chorus_connect.store.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from chorus_connect.store.store import UnitOfWork


class Repository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @property
    def session(self) -> Session:
        return self.uow.session

    def flush(self, on_conflict: Callable[[IntegrityError], StoreError]) -> None:
        """Flush, turning a unique / foreign-key violation into the given error (the transaction is then
        rolled back as a whole when the error leaves it)."""
        try:
            self.session.flush()
        except IntegrityError as error:
            raise on_conflict(error) from None
