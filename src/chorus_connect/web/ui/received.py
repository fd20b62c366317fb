"""Pages of public-buyer structures: received invoices, their PDF, and approve / suspend / reject with a
motif (``traiter/recue``, through the engine's ``ReceivedInvoices``)."""

from __future__ import annotations

import io
import zipfile

from fastapi import Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from chorus_connect.engine.buyers import FINAL_STATUSES, BuyerError
from chorus_connect.store import StructureRole
from chorus_connect.web.auth import Principal, store_of, user_principal
from chorus_connect.web.ui.common import page_router, redirect, render, require_actor, visible_structures
from chorus_connect.web.ui.invoices import _int, _pdf, services_of

router = page_router()

DECISIONS = {"approve": "approuvée (service fait)", "suspend": "suspendue", "reject": "rejetée"}


@router.get("/recues")
def received_list(
    request: Request, structure_id: str = "", principal: Principal = Depends(user_principal)
) -> Response:
    with store_of(request).read() as tx:
        buyers = visible_structures(tx, principal, StructureRole.PUBLIC_BUYER)
        chosen = _int(structure_id) or (buyers[0].id if buyers else None)
        items = tx.received.list(chosen, limit=200) if chosen is not None else []
        return render(
            request,
            "received/list.html",
            {"nav": "received", "buyers": buyers, "chosen": chosen, "items": items},
            tx=tx,
        )


@router.post("/structures/{structure_id:int}/recues/synchroniser")
async def received_sync(
    request: Request, structure_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    require_actor(principal)
    services = services_of(request)
    report = await run_in_threadpool(services.sync_received, structure_id, principal.actor)
    message = f"{report.seen} facture(s) lue(s) sur Chorus Pro, dont {report.created} nouvelle(s)."
    return redirect(request, f"/recues?structure_id={structure_id}", message)


@router.get("/recues/{received_id:int}")
def received_page(
    request: Request, received_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    with store_of(request).read() as tx:
        record = tx.received.get(received_id, structure_ids=principal.visible_ids())
        return render(
            request,
            "received/detail.html",
            {
                "nav": "received",
                "record": record,
                "structure": tx.structures.get(record.structure_id),
                "history": tx.received.history(record.id),
                "error": None,
                "final": record.chorus_status in FINAL_STATUSES,
            },
            tx=tx,
        )


@router.get("/recues/{received_id:int}/pdf")
async def received_pdf(
    request: Request, received_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    services = services_of(request)
    downloaded = await run_in_threadpool(services.download_received, received_id, principal.actor)
    if downloaded.media_type == "application/pdf":
        return _pdf(downloaded.content, downloaded.file_name)
    shown = pdf_in_zip(downloaded.content) if downloaded.media_type == "application/zip" else None
    if shown is not None:
        return _pdf(shown[1], shown[0])
    return Response(
        downloaded.content,
        media_type=downloaded.media_type,
        headers={"Content-Disposition": f'attachment; filename="{downloaded.file_name}"'},
    )


@router.post("/recues/{received_id:int}/traiter")
async def received_decision(
    request: Request,
    received_id: int,
    decision: str = Form(...),
    motif: str = Form(""),
    principal: Principal = Depends(user_principal),
) -> Response:
    require_actor(principal)
    services = services_of(request)
    try:
        await run_in_threadpool(
            services.treat_received, received_id, decision, motif.strip() or None, principal.actor
        )
    except BuyerError as error:
        with store_of(request).read() as tx:
            record = tx.received.get(received_id)
            return render(
                request,
                "received/detail.html",
                {
                    "nav": "received",
                    "record": record,
                    "structure": tx.structures.get(record.structure_id),
                    "history": tx.received.history(record.id),
                    "error": error,
                    "final": record.chorus_status in FINAL_STATUSES,
                },
                tx=tx,
                status_code=409,
            )
    return redirect(request, f"/recues/{received_id}", f"Facture {DECISIONS.get(decision, decision)}.")


MAX_PDF_IN_ZIP = 50 * 1024 * 1024


def pdf_in_zip(content: bytes) -> tuple[str, bytes] | None:
    """Chorus Pro sends downloads as a zip: the first PDF in it, to show in the page (None if there is none,
    or if it claims to be larger than any real invoice)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for member in archive.infolist():
                if member.filename.lower().endswith(".pdf") and member.file_size <= MAX_PDF_IN_ZIP:
                    return member.filename.rsplit("/", 1)[-1], archive.read(member)
    except zipfile.BadZipFile:
        return None
    return None
