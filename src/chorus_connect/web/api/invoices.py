"""REST API: invoices — create (JSON or files), list, read with history, check, deposit, complete,
recycle, resend, edit the Chorus Pro block until deposit, synchronise statuses."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Body, Depends, File, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from chorus_connect.engine.states import allowed_actions
from chorus_connect.invoice import OutputFormat, write_invoice
from chorus_connect.store import InvoiceFilter
from chorus_connect.web import presenters
from chorus_connect.web.api.schemas import (
    ActionResult,
    CompleteRequest,
    DepositOut,
    DepositRequest,
    EventOut,
    FindingOut,
    ImportOut,
    InvoiceDetail,
    InvoiceOut,
    InvoicePage,
    RecycleRequest,
    RejectedFile,
    ResendRequest,
    RoutingUpdate,
    SyncOut,
)
from chorus_connect.web.auth import Principal, api_actor, api_principal, settings_of, store_of
from chorus_connect.web.idempotency import IdempotentRoute
from chorus_connect.web.problems import FieldError, Problem, problem_responses
from chorus_connect.web.services import Upload, WebServices

router = APIRouter(tags=["invoices"], route_class=IdempotentRoute, responses=problem_responses(401, 404, 422))

CATEGORY_SLUGS = tuple(c.slug for c in presenters.CATEGORIES)


def services_of(request: Request) -> WebServices:
    return request.app.state.services


@router.get("/invoices", response_model=InvoicePage, summary="List invoices, with filters and paging")
def list_invoices(
    request: Request,
    structure_id: int | None = Query(None, description="Only this structure's invoices"),
    status: list[str] = Query(default_factory=list, description="Connector statuses (imported, checked, …)"),
    chorus_status: list[str] = Query(default_factory=list, description="Chorus Pro statuses (SUSPENDUE, …)"),
    category: str | None = Query(None, description=f"Dashboard category: {', '.join(CATEGORY_SLUGS)}"),
    recipient: str | None = Query(None, max_length=200, description="Part of the recipient's SIRET or name"),
    issued_from: dt.date | None = None,
    issued_to: dt.date | None = None,
    amount_min: Decimal | None = Query(
        None, description="Amount with VAT, at least", ge=-(10**12), le=10**12
    ),
    amount_max: Decimal | None = Query(None, description="Amount with VAT, at most", ge=-(10**12), le=10**12),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=10_000_000),
    principal: Principal = Depends(api_principal),
) -> InvoicePage:
    where = InvoiceFilter(
        structure_ids=[structure_id] if structure_id is not None else principal.visible_ids(),
        chorus_statuses=chorus_status or None,
        recipient_contains=recipient or None,
        issued_from=issued_from,
        issued_to=issued_to,
        amount_min=amount_min,
        amount_max=amount_max,
    )
    if status:
        where.statuses = [_status(value) for value in status]
    if category is not None:
        chosen = presenters.CATEGORY_BY_SLUG.get(category)
        if chosen is None:
            raise Problem(
                "invalid-request",
                f"Unknown category {category!r}.",
                errors=[
                    FieldError(
                        field="query.category",
                        message="unknown",
                        fix=f"use one of {', '.join(CATEGORY_SLUGS)}",
                    )
                ],
            )
        chosen.narrow(where)
    with store_of(request).read() as tx:
        page = tx.invoices.search(where, limit=limit, offset=offset)
        return InvoicePage(
            items=[InvoiceOut.of(r) for r in page.items], total=page.total, limit=limit, offset=offset
        )


def _status(value: str) -> Any:
    from chorus_connect.store import InvoiceStatus

    try:
        return InvoiceStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in InvoiceStatus)
        raise Problem(
            "invalid-request",
            f"Unknown status {value!r}.",
            errors=[FieldError(field="query.status", message="unknown status", fix=f"use one of {allowed}")],
        ) from None


@router.post(
    "/structures/{structure_id}/invoices",
    status_code=201,
    response_model=ImportOut,
    summary="Create an invoice from JSON (docs/invoice.schema.json), checked at once",
    responses=problem_responses(409),
)
async def create_invoice(
    request: Request,
    structure_id: int,
    invoice: dict[str, Any] = Body(
        ..., description="One invoice in the JSON input format (docs/invoices.md)"
    ),
    principal: Principal = Depends(api_actor),
) -> ImportOut:
    services = services_of(request)
    ids = await run_in_threadpool(services.import_documents, structure_id, [invoice], principal.actor)
    return _import_out(request, structure_id, ids)


@router.post(
    "/structures/{structure_id}/invoices/files",
    status_code=201,
    response_model=ImportOut,
    summary="Create invoices from files (Factur-X, UBL, CII, JSON, CSV), checked at once",
    responses=problem_responses(409, 413),
)
async def upload_invoices(
    request: Request,
    structure_id: int,
    files: list[UploadFile] = File(..., description="One or more invoice files"),
    principal: Principal = Depends(api_actor),
) -> ImportOut:
    settings = settings_of(request)
    if len(files) > settings.max_files_per_upload:
        raise Problem(
            "payload-too-large",
            f"{len(files)} files sent, at most {settings.max_files_per_upload} per request.",
            fix="Send the files in several requests.",
        )
    uploads = []
    for item in files:
        content = await item.read(settings.max_upload_bytes + 1)
        if len(content) > settings.max_upload_bytes:
            raise Problem(
                "payload-too-large",
                f"{item.filename} is over {settings.max_upload_bytes // (1024 * 1024)} MB.",
                fix="Chorus Pro takes flux of at most 10 MB: split the invoices or compress the PDF.",
            )
        uploads.append(
            Upload(item.filename or "file", content, item.content_type or "application/octet-stream")
        )
    services = services_of(request)
    outcome = await run_in_threadpool(services.import_and_check, structure_id, uploads, principal.actor)
    rejected = [RejectedFile(file_name=p.source, message=p.message, fix=p.fix) for p in outcome.file_problems]
    if not outcome.invoice_ids:
        raise Problem(
            "invalid-invoice",
            f"None of the {len(uploads)} file(s) could be imported.",
            fix="Correct the files as said for each in errors, then send them again.",
            errors=[
                FieldError(field=f"files[{r.file_name}]", message=r.message, fix=r.fix) for r in rejected
            ],
        )
    answer = _import_out(request, structure_id, outcome.invoice_ids)
    answer.rejected_files = rejected
    return answer


def _import_out(request: Request, structure_id: int, invoice_ids: list[int]) -> ImportOut:
    with store_of(request).read() as tx:
        return ImportOut(
            structure_id=structure_id, invoices=[InvoiceOut.of(tx.invoices.get(i)) for i in invoice_ids]
        )


@router.get(
    "/invoices/{invoice_id}", response_model=InvoiceDetail, summary="Read an invoice with its history"
)
def get_invoice(
    request: Request, invoice_id: int, principal: Principal = Depends(api_principal)
) -> InvoiceDetail:
    with store_of(request).read() as tx:
        return detail(tx, invoice_id)


def detail(tx: Any, invoice_id: int) -> InvoiceDetail:
    record = tx.invoices.get(invoice_id)
    return InvoiceDetail(
        **InvoiceOut.of(record).model_dump(),
        findings=[
            FindingOut(**{k: v for k, v in f.items() if k in FindingOut.model_fields})
            for f in record.findings or []
        ],
        history=[EventOut.of(e) for e in tx.invoices.history(invoice_id)],
        allowed_actions=[a.value for a in allowed_actions(record)],
        document=record.document,
    )


@router.get(
    "/invoices/{invoice_id}/pdf",
    summary="The invoice as PDF: the deposited or imported one, else a Factur-X rendering",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def invoice_pdf(request: Request, invoice_id: int, principal: Principal = Depends(api_principal)) -> Response:
    with store_of(request).read() as tx:
        record = tx.invoices.get(invoice_id)
        for file_id in (record.deposit_file_id, record.source_file_id):
            if file_id is not None and (content := tx.files.content(file_id)).startswith(b"%PDF"):
                return Response(content, media_type="application/pdf")
        document = tx.invoices.document(record)
    return Response(write_invoice(document, OutputFormat.FACTURX).data, media_type="application/pdf")


@router.patch(
    "/invoices/{invoice_id}",
    response_model=InvoiceDetail,
    summary="Edit the Chorus Pro block (recipient, service, market, engagement, payment) before deposit",
    responses=problem_responses(409),
)
async def edit_routing(
    request: Request, invoice_id: int, body: RoutingUpdate, principal: Principal = Depends(api_actor)
) -> InvoiceDetail:
    changes = body.model_dump(exclude_unset=True)
    await run_in_threadpool(services_of(request).edit_routing, invoice_id, changes, principal.actor)
    with store_of(request).read() as tx:
        return detail(tx, invoice_id)


@router.post(
    "/invoices/{invoice_id}/check",
    response_model=InvoiceDetail,
    summary="Check the invoice (what Chorus Pro would say), findings kept",
    responses=problem_responses(409),
)
async def check(
    request: Request, invoice_id: int, principal: Principal = Depends(api_actor)
) -> InvoiceDetail:
    await run_in_threadpool(services_of(request).check, [invoice_id], principal.actor)
    with store_of(request).read() as tx:
        return detail(tx, invoice_id)


@router.post(
    "/invoices/{invoice_id}/deposit",
    response_model=ActionResult,
    summary="Deposit the invoice on Chorus Pro (exactly once, whatever fails)",
    responses=problem_responses(409, 502),
)
async def deposit(
    request: Request, invoice_id: int, principal: Principal = Depends(api_actor)
) -> ActionResult:
    with store_of(request).read() as tx:
        structure_id = tx.invoices.get(invoice_id).structure_id
    results = await run_in_threadpool(
        services_of(request).deposit_outcomes, structure_id, [invoice_id], principal.actor
    )
    result = ActionResult(**results[0])
    if not result.ok:
        raise Problem("conflict", result.message, fix=result.fix)
    return result


@router.post(
    "/structures/{structure_id}/deposits",
    response_model=DepositOut,
    summary="Deposit several invoices of a structure (one result per invoice)",
    responses=problem_responses(502),
)
async def deposit_many(
    request: Request, structure_id: int, body: DepositRequest, principal: Principal = Depends(api_actor)
) -> DepositOut:
    results = await run_in_threadpool(
        services_of(request).deposit_outcomes, structure_id, body.invoice_ids, principal.actor
    )
    return DepositOut(results=[ActionResult(**r) for r in results])


@router.post(
    "/invoices/{invoice_id}/complete",
    response_model=InvoiceDetail,
    summary="Complete a suspended invoice (comment and attachments)",
    responses=problem_responses(409, 502),
)
async def complete(
    request: Request, invoice_id: int, body: CompleteRequest, principal: Principal = Depends(api_actor)
) -> InvoiceDetail:
    attachments = []
    for index, item in enumerate(body.attachments):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Problem(
                "invalid-request",
                f"attachments[{index}].content_base64 is not base64.",
                errors=[
                    FieldError(
                        field=f"attachments[{index}].content_base64",
                        message="not base64",
                        fix="encode the file in base64",
                    )
                ],
            ) from None
        attachments.append(Upload(item.file_name, content))
    await run_in_threadpool(
        services_of(request).complete, invoice_id, body.comment, attachments, principal.actor
    )
    with store_of(request).read() as tx:
        return detail(tx, invoice_id)


@router.post(
    "/invoices/{invoice_id}/recycle",
    response_model=InvoiceDetail,
    summary="Recycle an invoice to a new recipient, service or engagement",
    responses=problem_responses(409, 502),
)
async def recycle(
    request: Request, invoice_id: int, body: RecycleRequest, principal: Principal = Depends(api_actor)
) -> InvoiceDetail:
    await run_in_threadpool(services_of(request).recycle, invoice_id, body.model_dump(), principal.actor)
    with store_of(request).read() as tx:
        return detail(tx, invoice_id)


@router.post(
    "/invoices/{invoice_id}/resend",
    status_code=201,
    response_model=InvoiceDetail,
    summary="Send a rejected (or refused) invoice again as a new invoice under a new number",
    responses=problem_responses(409),
)
async def resend(
    request: Request, invoice_id: int, body: ResendRequest, principal: Principal = Depends(api_actor)
) -> InvoiceDetail:
    new_id = await run_in_threadpool(
        services_of(request).resend, invoice_id, body.new_number, principal.actor
    )
    with store_of(request).read() as tx:
        return detail(tx, new_id)


@router.post(
    "/structures/{structure_id}/sync",
    response_model=SyncOut,
    summary="Follow the structure's invoices on Chorus Pro now (the worker also does it regularly)",
    responses=problem_responses(502),
)
async def sync(request: Request, structure_id: int, principal: Principal = Depends(api_actor)) -> SyncOut:
    report = await run_in_threadpool(services_of(request).sync, structure_id, principal.actor)
    return SyncOut(structure_id=structure_id, details=report)
