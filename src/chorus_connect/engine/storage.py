"""Reading the store for work done after the read: :func:`snapshot` is ``store.read()`` whose objects stay
usable after the block (they are detached before the read transaction is rolled back, which would
otherwise expire them). Only attributes already loaded can be read from them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chorus_connect.store import Store, UnitOfWork


@contextmanager
def snapshot(store: Store) -> Iterator[UnitOfWork]:
    with store.read() as tx:
        yield tx
        tx.session.expunge_all()
