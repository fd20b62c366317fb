"""Isolation between structures, enforced in ONE place for every route of the app.

``enforce_scope`` is an application-wide dependency: before any handler runs, every path parameter that
names a tenant's object (``structure_id``, ``invoice_id``, ``received_id``) and every ``structure_id`` in
the query string is resolved to the structure that owns it, and the caller must be allowed to see that
structure; otherwise the answer is 404, exactly as for an object that does not exist (no existence leak).
Parameters of administration objects (``user_id``, ``key_id``) need an administrator (403).

A route that takes tenant ids in its body must also have the structure in its path
(``/structures/{structure_id}/…``); the services then look the ids up within that structure only.
Handlers that list things filter with ``principal.visible_ids()``. The isolation tests walk the route
table, so a new route with one of these parameters is tested without anyone remembering to.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from chorus_connect.store import InvoiceRecord, ReceivedInvoice, Structure, UnitOfWork
from chorus_connect.web.auth import Principal, resolve_principal, store_of
from chorus_connect.web.problems import Problem

OwnerLookup = Callable[[UnitOfWork, int], int | None]


def _structure_owner(tx: UnitOfWork, structure_id: int) -> int | None:
    return structure_id if tx.session.get(Structure, structure_id) is not None else None


def _invoice_owner(tx: UnitOfWork, invoice_id: int) -> int | None:
    record = tx.session.get(InvoiceRecord, invoice_id)
    return record.structure_id if record is not None else None


def _received_owner(tx: UnitOfWork, received_id: int) -> int | None:
    record = tx.session.get(ReceivedInvoice, received_id)
    return record.structure_id if record is not None else None


SCOPED_PARAMETERS: dict[str, tuple[str, OwnerLookup]] = {
    "structure_id": ("structure", _structure_owner),
    "invoice_id": ("invoice", _invoice_owner),
    "received_id": ("received invoice", _received_owner),
}
ADMIN_PARAMETERS = frozenset({"user_id", "key_id"})
MAX_ID = 2**63 - 1


def enforce_scope(request: Request) -> None:
    """Application-wide dependency: 404 for another structure's objects, 403 for administration ones."""
    scoped = [name for name in request.path_params if name in SCOPED_PARAMETERS]
    admin_only = [name for name in request.path_params if name in ADMIN_PARAMETERS]
    queried = request.query_params.getlist("structure_id")
    if not (scoped or admin_only or queried):
        return
    principal = resolve_principal(request)
    if admin_only and not principal.is_admin:
        raise forbidden("Only an administrator may manage users and API keys.", "Ask an administrator.")
    wanted = [(name, request.path_params[name]) for name in scoped]
    wanted += [("structure_id", raw) for raw in queried if raw.strip().isdigit()]
    if not wanted:
        return
    with store_of(request).read() as tx:
        for name, raw in wanted:
            _require_visible(tx, principal, name, raw)


def _require_visible(tx: UnitOfWork, principal: Principal, name: str, raw: object) -> None:
    what, owner_of = SCOPED_PARAMETERS[name]
    number = _as_id(raw)
    owner = owner_of(tx, number) if number is not None else None
    if owner is None or not principal.sees(owner):
        raise not_found(what, raw)


def _as_id(raw: object) -> int | None:
    text = str(raw).strip()
    if not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def not_found(what: str, key: object) -> Problem:
    return Problem(
        "not-found",
        f"No {what} {key} among those you may see.",
        fix=f"Check the {what} id; list them to see those of your structures.",
        french=f"Aucun objet « {_FRENCH_NAMES.get(what, what)} » n° {key} parmi ceux que vous pouvez voir.",
    )


def forbidden(detail: str, fix: str, french: str | None = None) -> Problem:
    return Problem("forbidden", detail, fix=fix, french=french or "Vous n'avez pas le droit de faire cela.")


_FRENCH_NAMES = {"structure": "structure", "invoice": "facture", "received invoice": "facture reçue"}
