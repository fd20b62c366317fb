"""Pages: the dashboard, the invoice list with filters and paging, the invoice page (Chorus Pro block,
findings, timeline, PDF preview, the actions its status allows), uploads with their check report, and
the batch deposit of a selection (driven by app.js, chunk by chunk, with a progress bar)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Depends, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from chorus_connect.engine.states import allowed_actions
from chorus_connect.invoice import OutputFormat, write_invoice
from chorus_connect.store import InvoiceFilter, InvoiceRecord, StructureRole, UnitOfWork
from chorus_connect.web import presenters
from chorus_connect.web.auth import Principal, settings_of, store_of, user_principal
from chorus_connect.web.problems import Problem
from chorus_connect.web.services import Upload, WebServices
from chorus_connect.web.ui.common import page_router, redirect, render, require_actor, visible_structures

router = page_router()


def services_of(request: Request) -> WebServices:
    return request.app.state.services


# --- dashboard ------------------------------------------------------------------------------------------


@router.get("/")
def dashboard(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    with store_of(request).read() as tx:
        counts = tx.invoices.status_counts(InvoiceFilter(structure_ids=principal.visible_ids()))
        structures = visible_structures(tx, principal)
        recent = tx.invoices.search(InvoiceFilter(structure_ids=principal.visible_ids()), limit=8).items
        names = {s.id: s.name for s in structures}
        return render(
            request,
            "dashboard.html",
            {
                "nav": "dashboard",
                "tiles": presenters.dashboard(counts),
                "structures": structures,
                "recent": recent,
                "names": names,
            },
            tx=tx,
        )


# --- list -----------------------------------------------------------------------------------------------


@router.get("/factures")
def invoice_list(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    settings = settings_of(request)
    query = request.query_params
    where, filters, problems = _filters(query, principal)
    page = max(1, _int(query.get("page")) or 1)
    size = settings.page_size
    with store_of(request).read() as tx:
        result = tx.invoices.search(where, limit=size, offset=(page - 1) * size)
        structures = visible_structures(tx, principal)
        return render(
            request,
            "invoices/list.html",
            {
                "nav": "invoices",
                "page": result,
                "page_number": page,
                "pages": max(1, -(-result.total // size)),
                "filters": filters,
                "filter_problems": problems,
                "categories": presenters.CATEGORIES,
                "category_of": presenters.category_of,
                "structures": structures,
                "names": {s.id: s.name for s in structures},
                "query_without_page": _query_without_page(query),
            },
            tx=tx,
        )


def _filters(query: Any, principal: Principal) -> tuple[InvoiceFilter, dict[str, str], list[str]]:
    problems: list[str] = []
    filters = {
        name: (query.get(name) or "").strip()
        for name in ("structure_id", "categorie", "destinataire", "du", "au", "montant_min", "montant_max")
    }
    where = InvoiceFilter(structure_ids=principal.visible_ids())
    structure_id = _int(filters["structure_id"])
    if structure_id is not None:
        where.structure_ids = [structure_id]  # visibility already enforced for query parameters
    category = presenters.CATEGORY_BY_SLUG.get(filters["categorie"])
    if category is not None:
        category.narrow(where)
    where.recipient_contains = filters["destinataire"] or None
    where.issued_from = _date(filters["du"], "du", problems)
    where.issued_to = _date(filters["au"], "au", problems)
    where.amount_min = _amount(filters["montant_min"], "montant minimum", problems)
    where.amount_max = _amount(filters["montant_max"], "montant maximum", problems)
    return where, filters, problems


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def _date(value: str, label: str, problems: list[str]) -> dt.date | None:
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    problems.append(f"Date « {label} » illisible ({value}) : saisissez-la au format JJ/MM/AAAA.")
    return None


def _amount(value: str, label: str, problems: list[str]) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value.replace("\u202f", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        problems.append(f"Le {label} ({value}) n'est pas un nombre : écrivez par exemple 1250,50.")
        return None
    return number if number.is_finite() else None


def _query_without_page(query: Any) -> str:
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, v in query.multi_items() if k != "page" and v])


@router.get("/factures/statuts")
def invoice_statuses(
    request: Request, ids: str = "", principal: Principal = Depends(user_principal)
) -> Response:
    """JSON for the list page's live refresh: the state of the given invoices the caller may see."""
    wanted = [int(part) for part in ids.split(",") if part.strip().isdigit()][:500]
    found: dict[str, dict[str, str]] = {}
    with store_of(request).read() as tx:
        for invoice_id in wanted:
            record = tx.session.get(InvoiceRecord, invoice_id)
            if record is None or not principal.sees(record.structure_id):
                continue
            category = presenters.category_of(record.status, record.chorus_status)
            found[str(invoice_id)] = {
                "status": record.status.value,
                "chorus_status": record.chorus_status or "",
                "label": presenters.invoice_state_label(record.status, record.chorus_status),
                "category": category.slug if category else "",
            }
    return JSONResponse(found)


# --- invoice page ---------------------------------------------------------------------------------------


@router.get("/factures/{invoice_id:int}")
def invoice_page(
    request: Request, invoice_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    with store_of(request).read() as tx:
        return _invoice_page(request, tx, principal, invoice_id)


def _invoice_page(
    request: Request,
    tx: UnitOfWork,
    principal: Principal,
    invoice_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    record = tx.invoices.get(invoice_id, structure_ids=principal.visible_ids())
    structure = tx.structures.get(record.structure_id)
    document = tx.invoices.document(record)
    actions = [a.value for a in allowed_actions(record)] if principal.can_act else []
    findings = sorted(record.findings or [], key=lambda f: (f.get("severity") != "error", f.get("path", "")))
    category = presenters.category_of(record.status, record.chorus_status)
    return render(
        request,
        "invoices/detail.html",
        {
            "nav": "invoices",
            "record": record,
            "structure": structure,
            "document": document,
            "history": tx.invoices.history(record.id),
            "findings": findings,
            "actions": actions,
            "category": category,
            "errors": errors or {},
        },
        tx=tx,
        status_code=status_code,
    )


@router.get("/factures/{invoice_id:int}/pdf")
def invoice_pdf(
    request: Request, invoice_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    """The deposited PDF, else the imported PDF, else a Factur-X rendering of the invoice (preview)."""
    with store_of(request).read() as tx:
        record = tx.invoices.get(invoice_id, structure_ids=principal.visible_ids())
        for file_id in (record.deposit_file_id, record.source_file_id):
            if file_id is not None:
                content = tx.files.content(file_id)
                if content.startswith(b"%PDF"):
                    return _pdf(content, f"{record.number}.pdf")
        document = tx.invoices.document(record)
        number = record.number
    rendered = write_invoice(document, OutputFormat.FACTURX).data
    return _pdf(rendered, f"{number}-apercu.pdf")


def _pdf(content: bytes, file_name: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in file_name)
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{safe}"'}
    )


# --- uploads ----------------------------------------------------------------------------------------------


@router.get("/factures/import")
def import_page(
    request: Request, structure_id: str = "", principal: Principal = Depends(user_principal)
) -> Response:
    with store_of(request).read() as tx:
        suppliers = visible_structures(tx, principal, StructureRole.SUPPLIER)
        chosen = _int(structure_id)
        if chosen is None and len(suppliers) == 1:
            chosen = suppliers[0].id
        return render(
            request,
            "invoices/import.html",
            {"nav": "import", "suppliers": suppliers, "chosen": chosen},
            tx=tx,
        )


@router.post("/structures/{structure_id:int}/factures/import")
async def upload(
    request: Request,
    structure_id: int,
    fichiers: list[UploadFile] = File(...),
    principal: Principal = Depends(user_principal),
) -> Response:
    require_actor(principal)
    settings = settings_of(request)
    if len(fichiers) > settings.max_files_per_upload:
        raise Problem(
            "payload-too-large",
            f"{len(fichiers)} files sent, at most {settings.max_files_per_upload} per upload.",
            french=f"Trop de fichiers ({len(fichiers)}) : {settings.max_files_per_upload} au plus par envoi.",
        )
    uploads = [await read_upload(item, settings.max_upload_bytes) for item in fichiers if item.filename]
    services = services_of(request)
    outcome = await run_in_threadpool(services.import_and_check, structure_id, uploads, principal.actor)
    with store_of(request).read() as tx:
        return render(
            request,
            "invoices/import_report.html",
            {"nav": "import", "outcome": outcome, "structure": tx.structures.get(structure_id)},
            tx=tx,
        )


async def read_upload(item: UploadFile, limit: int) -> Upload:
    content = await item.read(limit + 1)
    if len(content) > limit:
        raise Problem(
            "payload-too-large",
            f"{item.filename} is over {limit // (1024 * 1024)} MB.",
            fix="Chorus Pro takes files of at most 10 MB: split the invoices or compress the PDF.",
            french=f"{item.filename} dépasse {limit // (1024 * 1024)} Mo, la limite de Chorus Pro.",
        )
    return Upload(item.filename or "fichier", content, item.content_type or "application/octet-stream")


# --- actions --------------------------------------------------------------------------------------------


@router.post("/factures/{invoice_id:int}/bloc-chorus")
def save_chorus_block(
    request: Request,
    invoice_id: int,
    destinataire_siret: str = Form(""),
    code_service: str = Form(""),
    numero_marche: str = Form(""),
    numero_engagement: str = Form(""),
    mode_reglement: str = Form(""),
    iban: str = Form(""),
    principal: Principal = Depends(user_principal),
) -> Response:
    require_actor(principal)
    changes = {
        "buyer_siret": destinataire_siret,
        "service_code": code_service,
        "market_number": numero_marche,
        "engagement_number": numero_engagement,
        "payment_mode": mode_reglement,
        "iban": iban,
    }
    services_of(request).edit_routing(invoice_id, changes, principal.actor)
    return redirect(
        request, f"/factures/{invoice_id}", "Bloc Chorus Pro enregistré ; la facture a été recontrôlée."
    )


@router.post("/factures/{invoice_id:int}/controler")
def check_invoice(
    request: Request, invoice_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    require_actor(principal)
    services_of(request).check([invoice_id], principal.actor)
    return redirect(request, f"/factures/{invoice_id}", "Contrôle effectué.")


@router.post("/factures/{invoice_id:int}/deposer")
async def deposit_invoice(
    request: Request, invoice_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    require_actor(principal)
    with store_of(request).read() as tx:
        structure_id = tx.invoices.get(invoice_id).structure_id
    services = services_of(request)
    results = await run_in_threadpool(services.deposit_outcomes, structure_id, [invoice_id], principal.actor)
    result = results[0]
    if not result["ok"]:
        return redirect(
            request, f"/factures/{invoice_id}", f"Dépôt impossible : {result['message']}", kind="error"
        )
    label = result.get("label") or "déposée"
    return redirect(request, f"/factures/{invoice_id}", f"Facture déposée sur Chorus Pro ({label}).")


@router.post("/factures/{invoice_id:int}/completer")
async def complete_invoice(
    request: Request,
    invoice_id: int,
    commentaire: str = Form(""),
    pieces: list[UploadFile] = File(default_factory=list),
    principal: Principal = Depends(user_principal),
) -> Response:
    require_actor(principal)
    limit = settings_of(request).max_upload_bytes
    attachments = [await read_upload(item, limit) for item in pieces if item.filename]
    services = services_of(request)
    await run_in_threadpool(services.complete, invoice_id, commentaire, attachments, principal.actor)
    return redirect(
        request, f"/factures/{invoice_id}", "Facture complétée : Chorus Pro la remet au destinataire."
    )


@router.post("/factures/{invoice_id:int}/recycler")
def recycle_invoice(
    request: Request,
    invoice_id: int,
    destinataire_siret: str = Form(""),
    code_service: str = Form(""),
    numero_engagement: str = Form(""),
    principal: Principal = Depends(user_principal),
) -> Response:
    require_actor(principal)
    routing = {
        "recipient_siret": destinataire_siret.strip() or None,
        "service_code": code_service.strip() or None,
        "engagement_number": numero_engagement.strip() or None,
    }
    services_of(request).recycle(invoice_id, routing, principal.actor)
    return redirect(request, f"/factures/{invoice_id}", "Facture recyclée vers le nouveau destinataire.")


@router.post("/factures/{invoice_id:int}/renvoyer")
def resend_invoice(
    request: Request,
    invoice_id: int,
    nouveau_numero: str = Form(""),
    principal: Principal = Depends(user_principal),
) -> Response:
    require_actor(principal)
    new_id = services_of(request).resend(invoice_id, nouveau_numero.strip(), principal.actor)
    return redirect(request, f"/factures/{new_id}", "Nouvelle facture créée à partir de la facture rejetée.")


@router.post("/structures/{structure_id:int}/factures/depot")
async def deposit_selection(
    request: Request, structure_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    """One chunk of a batch deposit (JSON ``{"invoice_ids": [...]}``); app.js sends the selection chunk by
    chunk and shows the progress."""
    require_actor(principal)
    try:
        body = await request.json()
        ids = [int(value) for value in body.get("invoice_ids", [])][:100]
        if any(not 0 < value < 2**63 for value in ids):
            raise ValueError("invoice id out of range")
    except (ValueError, TypeError, AttributeError):
        raise Problem(
            "invalid-request",
            "Send a JSON object with invoice_ids, a list of invoice ids.",
            french="Requête de dépôt illisible.",
        ) from None
    services = services_of(request)
    results = await run_in_threadpool(services.deposit_outcomes, structure_id, ids, principal.actor)
    return JSONResponse({"results": results})


@router.post("/structures/{structure_id:int}/synchroniser")
def sync_structure(
    request: Request, structure_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    require_actor(principal)
    services_of(request).sync(structure_id, principal.actor)
    back = request.headers.get("referer", "")
    target = back if back.startswith(str(request.base_url)) else "/factures"
    path = "/" + target.removeprefix(str(request.base_url)) if target != "/factures" else target
    return redirect(request, path, "Statuts mis à jour depuis Chorus Pro.")
