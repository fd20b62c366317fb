"""REST API: invoices received by public-buyer structures, their file, and the buyer's decisions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from chorus_connect.web.api.schemas import (
    DecisionRequest,
    ReceivedDetail,
    ReceivedEventOut,
    ReceivedOut,
    ReceivedSyncOut,
)
from chorus_connect.web.auth import Principal, api_actor, api_principal, store_of
from chorus_connect.web.idempotency import IdempotentRoute
from chorus_connect.web.problems import FieldError, Problem, problem_responses

router = APIRouter(
    tags=["received invoices"], route_class=IdempotentRoute, responses=problem_responses(401, 404, 422)
)


@router.get(
    "/structures/{structure_id}/received-invoices",
    response_model=list[ReceivedOut],
    summary="List a public buyer's received invoices (as last synchronised)",
)
def list_received(
    request: Request,
    structure_id: int,
    chorus_status: list[str] = Query(default_factory=list, description="Keep only these Chorus statuses"),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
    principal: Principal = Depends(api_principal),
) -> list[ReceivedOut]:
    with store_of(request).read() as tx:
        rows = tx.received.list(
            structure_id, chorus_statuses=chorus_status or None, limit=limit, offset=offset
        )
        return [ReceivedOut.of(row) for row in rows]


@router.post(
    "/structures/{structure_id}/received-invoices/sync",
    response_model=ReceivedSyncOut,
    summary="Read the received invoices from Chorus Pro",
    responses=problem_responses(409, 502),
)
async def sync_received(
    request: Request, structure_id: int, principal: Principal = Depends(api_actor)
) -> ReceivedSyncOut:
    report = await run_in_threadpool(request.app.state.services.sync_received, structure_id, principal.actor)
    return ReceivedSyncOut(
        structure_id=structure_id, seen=report.seen, created=report.created, updated=report.updated
    )


@router.get(
    "/received-invoices/{received_id}", response_model=ReceivedDetail, summary="Read a received invoice"
)
def get_received(
    request: Request, received_id: int, principal: Principal = Depends(api_principal)
) -> ReceivedDetail:
    with store_of(request).read() as tx:
        row = tx.received.get(received_id)
        history = [
            ReceivedEventOut(
                at=e.at,
                source=e.source.value,
                chorus_status=e.chorus_status,
                comment=e.comment,
                actor=e.actor,
            )
            for e in tx.received.history(received_id)
        ]
        return ReceivedDetail(**ReceivedOut.of(row).model_dump(), history=history)


@router.get(
    "/received-invoices/{received_id}/file",
    summary="Download the received invoice (PDF or XML), fetched from Chorus Pro once",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "application/xml": {}}},
        **problem_responses(409, 502),
    },
)
async def received_file(
    request: Request, received_id: int, principal: Principal = Depends(api_principal)
) -> Response:
    downloaded = await run_in_threadpool(
        request.app.state.services.download_received, received_id, principal.actor
    )
    return Response(
        downloaded.content,
        media_type=downloaded.media_type,
        headers={"Content-Disposition": f'attachment; filename="{downloaded.file_name}"'},
    )


@router.post(
    "/received-invoices/{received_id}/decision",
    response_model=ReceivedOut,
    summary="Approve (service fait), suspend or reject a received invoice",
    responses=problem_responses(409, 502),
)
async def decide(
    request: Request, received_id: int, body: DecisionRequest, principal: Principal = Depends(api_actor)
) -> ReceivedOut:
    if body.decision in ("suspend", "reject") and not (body.motif or "").strip():
        raise Problem(
            "invalid-input",
            f"A motif is required to {body.decision} an invoice.",
            fix="Say in `motif` what the supplier must do or why the invoice is refused.",
            errors=[
                FieldError(field="motif", message="is required", fix="give the motif shown to the supplier")
            ],
        )
    services = request.app.state.services
    await run_in_threadpool(services.treat_received, received_id, body.decision, body.motif, principal.actor)
    with store_of(request).read() as tx:
        return ReceivedOut.of(tx.received.get(received_id))
