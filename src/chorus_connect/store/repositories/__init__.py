"""One repository per aggregate; each works inside a :class:`chorus_connect.store.UnitOfWork`."""
