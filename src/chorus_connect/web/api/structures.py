"""REST API: structures (read, connection check) and their webhook settings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from chorus_connect.store import password_expiry
from chorus_connect.web.api.schemas import (
    ConnectionCheckOut,
    ConnectionStepOut,
    StructureOut,
    WebhookSettings,
    WebhookUpdate,
)
from chorus_connect.web.auth import Principal, api_actor, api_principal, store_of
from chorus_connect.web.idempotency import IdempotentRoute
from chorus_connect.web.problems import problem_responses

router = APIRouter(
    tags=["structures"], route_class=IdempotentRoute, responses=problem_responses(401, 404, 422)
)


@router.get("/structures", response_model=list[StructureOut], summary="List the key's structures")
def list_structures(request: Request, principal: Principal = Depends(api_principal)) -> list[StructureOut]:
    store = store_of(request)
    with store.read() as tx:
        today = store.now().date()
        return [
            StructureOut.of(s, password_expiry(s, today))
            for s in tx.structures.list(ids=principal.visible_ids())
        ]


@router.get("/structures/{structure_id}", response_model=StructureOut, summary="Read a structure's settings")
def get_structure(
    request: Request, structure_id: int, principal: Principal = Depends(api_principal)
) -> StructureOut:
    store = store_of(request)
    with store.read() as tx:
        structure = tx.structures.get(structure_id)
        return StructureOut.of(structure, password_expiry(structure, store.now().date()))


@router.post(
    "/structures/{structure_id}/connection-check",
    response_model=ConnectionCheckOut,
    summary="Test the connection to Chorus Pro, step by step",
    responses=problem_responses(502),
)
async def connection_check(
    request: Request, structure_id: int, principal: Principal = Depends(api_actor)
) -> ConnectionCheckOut:
    check = await run_in_threadpool(request.app.state.services.check_connection, structure_id)
    return ConnectionCheckOut(
        ok=check.ok,
        environment=check.environment,
        api_url=check.api_url,
        steps=[ConnectionStepOut(**step.as_dict()) for step in check.steps],
    )


@router.get(
    "/structures/{structure_id}/webhook", response_model=WebhookSettings, summary="Read the webhook settings"
)
def get_webhook(
    request: Request, structure_id: int, principal: Principal = Depends(api_principal)
) -> WebhookSettings:
    with store_of(request).read() as tx:
        structure = tx.structures.get(structure_id)
        return _webhook(
            structure.webhook_url, structure.webhook_secret_encrypted, structure.notification_emails
        )


@router.put(
    "/structures/{structure_id}/webhook",
    response_model=WebhookSettings,
    summary="Set the webhook (HMAC-signed events) and notification e-mails",
)
def put_webhook(
    request: Request, structure_id: int, body: WebhookUpdate, principal: Principal = Depends(api_actor)
) -> WebhookSettings:
    with store_of(request).transaction(actor=principal.actor) as tx:
        structure = tx.structures.set_webhook(structure_id, body.url, body.secret)
        if body.notification_emails is not None:
            structure = tx.structures.update(structure_id, {"notification_emails": body.notification_emails})
        return _webhook(
            structure.webhook_url, structure.webhook_secret_encrypted, structure.notification_emails
        )


def _webhook(url: str | None, secret: str | None, emails: list[str] | None) -> WebhookSettings:
    return WebhookSettings(url=url, secret_set=secret is not None, notification_emails=list(emails or []))
