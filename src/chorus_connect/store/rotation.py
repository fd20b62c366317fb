"""Key rotation: every encrypted column re-encrypted with a new key, in one transaction.

Encrypted columns are found through their ``info={"encrypted": True}`` mark, so a column added by a later
migration is rotated too. If any secret cannot be decrypted with the current key, nothing is changed.
Writers that keep running during a rotation must have both keys (``CHORUS_SECRET_KEY=new,old``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import Column, Table, select, update

from chorus_connect.store.models import Base
from chorus_connect.store.secrets import SecretBox, load_keys
from chorus_connect.store.store import Store


@dataclass(frozen=True, slots=True)
class RotationReport:
    secrets_reencrypted: int
    old_key_id: str
    new_key_id: str


def encrypted_columns() -> list[tuple[Table, Column[str]]]:
    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.info.get("encrypted")
    ]


def rotate_secret_key(store: Store, new_key: str | SecretStr) -> RotationReport:
    """Re-encrypt every stored secret with ``new_key``; afterwards ``store`` uses the new key.

    Then set ``CHORUS_SECRET_KEY`` to the new key everywhere (or ``new,old`` until every process has it).
    """
    new_keys, _origin = load_keys(new_key)
    new_box = SecretBox(new_keys[:1], "the new key")
    old_box = store.secrets  # raises a clear error if the current key is missing or wrong
    count = 0
    with store.transaction(actor="key-rotation") as tx:
        for table, column in encrypted_columns():
            query = select(table.c.id, column).where(column.is_not(None)).order_by(table.c.id)
            if store.dialect == "postgresql":
                query = query.with_for_update()  # no concurrent change of these secrets meanwhile
            for row_id, token in tx.session.execute(query).all():
                plaintext = old_box.decrypt(token, what=f"{table.name}.{column.name} of row {row_id}")
                tx.session.execute(
                    update(table)
                    .where(table.c.id == row_id)
                    .values({column.name: new_box.encrypt(plaintext)})
                )
                count += 1
        tx.set_key_check(new_box)
    store.use_secret_key(new_keys[0])
    return RotationReport(count, old_box.fingerprint, new_box.fingerprint)
