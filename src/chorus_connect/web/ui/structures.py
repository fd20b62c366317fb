"""Pages: the structures, a new structure, and each structure's « Réglages » (what incwo and Visiobat users
know): environment, PISTE application, technical account (write-only secrets with confirmation), SIRET
picked from the structures the technical account acts for, service code from that structure's active
services, engagement management, default mode de règlement, bank details from Chorus Pro's valid ones,
referent e-mail, notifications; « Tester la connexion » shows each step with its fix."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from chorus_connect.api import ChorusError
from chorus_connect.store import (
    EnvironmentName,
    InvalidInputError,
    NewPisteApplication,
    NewStructure,
    ProductionMove,
    StoreError,
    StructureRole,
    UnitOfWork,
    password_expiry,
)
from chorus_connect.web.auth import Principal, store_of, user_principal
from chorus_connect.web.chorus import ConnectionCheck
from chorus_connect.web.ui.common import (
    page_router,
    redirect,
    render,
    require_actor,
    require_admin,
    visible_structures,
)
from chorus_connect.web.ui.forms import field_errors
from chorus_connect.web.ui.invoices import services_of

router = page_router()


@router.get("/structures")
def structure_list(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    store = store_of(request)
    with store.read() as tx:
        structures = visible_structures(tx, principal)
        today = store.now().date()
        rows = [(s, password_expiry(s, today)) for s in structures]
        return render(request, "structures/list.html", {"nav": "structures", "rows": rows}, tx=tx)


# --- new structure --------------------------------------------------------------------------------------


@router.get("/structures/nouvelle")
def new_structure_page(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    require_admin(principal)
    return _new_form(request, {}, {})


def _new_form(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    with store_of(request).read() as tx:
        applications = tx.piste_applications.list()
        return render(
            request,
            "structures/new.html",
            {"nav": "structures", "values": values, "errors": errors, "applications": applications},
            tx=tx,
            status_code=status_code,
        )


@router.post("/structures/nouvelle")
async def create_structure(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    require_admin(principal)
    form = await request.form()
    values = {
        key: str(value) for key, value in form.items() if isinstance(value, str) and key != "csrf_token"
    }
    errors = _password_errors(
        values.get("technical_password", ""), values.get("technical_password_confirm", "")
    )
    if errors:
        return _new_form(request, _without_secrets(values), errors, 422)
    try:
        structure_id = await run_in_threadpool(_create, request, principal, values)
    except InvalidInputError as error:
        return _new_form(request, _without_secrets(values), field_errors(error), 422)
    except StoreError as error:
        return _new_form(request, _without_secrets(values), {"name": error.message}, 409)
    return redirect(
        request,
        f"/structures/{structure_id}/reglages",
        "Structure créée : choisissez maintenant son SIRET et son code service.",
    )


def _create(request: Request, principal: Principal, values: dict[str, str]) -> int:
    environment = values.get("environment", "")
    application_id = (
        int(values["piste_application_id"]) if values.get("piste_application_id", "").isdigit() else None
    )
    api_url = values.get("api_url", "").strip() or None
    piste = None
    if application_id is None:
        piste = NewPisteApplication(
            name=f"{values.get('name', '').strip()} ({environment})",
            client_id=values.get("client_id", ""),
            client_secret=values.get("client_secret", ""),
            environment=environment or None,
            api_url=api_url,
        )
    new = NewStructure(
        name=values.get("name", ""),
        role=values.get("role", "supplier"),
        environment=environment,
        siret=values.get("siret", ""),
        technical_login=values.get("technical_login", ""),
        technical_password=values.get("technical_password", ""),
        piste_application_id=application_id,
        piste=piste,
    )
    with store_of(request).transaction(actor=principal.actor) as tx:
        return tx.structures.add(new).id


def _password_errors(password: str, confirmation: str, *, required: bool = True) -> dict[str, str]:
    if not password and not confirmation:
        return {"technical_password": "Mot de passe technique : est obligatoire."} if required else {}
    if password != confirmation:
        return {"technical_password": "Les deux saisies du mot de passe technique ne sont pas identiques."}
    return {}


def _without_secrets(values: dict[str, str]) -> dict[str, str]:
    # Secrets are never sent back to the browser, not even after a failed submission.
    return {k: v for k, v in values.items() if "password" not in k and "secret" not in k}


# --- settings -------------------------------------------------------------------------------------------


@router.get("/structures/{structure_id:int}/reglages")
def settings_page(
    request: Request, structure_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    return _settings(request, principal, structure_id)


def _settings(
    request: Request,
    principal: Principal,
    structure_id: int,
    *,
    errors: dict[str, str] | None = None,
    check: ConnectionCheck | None = None,
    status_code: int = 200,
) -> Response:
    store = store_of(request)
    with store.read() as tx:
        structure = tx.structures.get(structure_id)
        application = structure.piste_application
        shared = len(application.structures)
        return render(
            request,
            "structures/settings.html",
            {
                "nav": "structures",
                "structure": structure,
                "application": application,
                "shared_with": shared - 1,
                "expiry": password_expiry(structure, store.now().date()),
                "errors": errors or {},
                "check": check,
                "editable": principal.is_admin,
                "supplier": structure.role == StructureRole.SUPPLIER,
            },
            tx=tx,
            status_code=status_code,
        )


@router.get("/structures/{structure_id:int}/reglages/listes")
def settings_choices(
    request: Request, structure_id: int, siret: str = "", principal: Principal = Depends(user_principal)
) -> Response:
    """JSON for the settings page: SIRETs, services and bank details read from Chorus Pro."""
    cleaned = re.sub(r"\D", "", siret) or None
    choices = services_of(request).chorus_choices(structure_id, cleaned)
    return JSONResponse(choices.as_dict())


@router.post("/structures/{structure_id:int}/reglages")
async def save_settings(
    request: Request, structure_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    require_admin(principal)
    form = await request.form()
    text = {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}
    changes: dict[str, Any] = {
        "name": text.get("name", ""),
        "siret": text.get("siret", ""),
        "default_service_code": text.get("default_service_code") or None,
        "engagement_management": text.get("engagement_management") == "oui",
        "default_payment_mode": text.get("default_payment_mode") or None,
        "referent_email": text.get("referent_email") or None,
        "is_active": text.get("is_active") == "oui",
    }
    bank_id = text.get("bank_account_id", "")
    changes["bank_account_id"] = int(bank_id) if bank_id.isdigit() else None
    changes["bank_account_label"] = (text.get("bank_account_label") or None) if bank_id.isdigit() else None
    chorus_id = text.get("chorus_structure_id", "")
    with store_of(request).read() as tx:
        current = tx.structures.get(structure_id)
        siret_changed = changes["siret"] != current.siret
    if chorus_id.isdigit():
        changes["chorus_structure_id"] = int(chorus_id)
    elif siret_changed:
        changes["chorus_structure_id"] = None  # the engine looks it up again for the new SIRET
    try:
        await run_in_threadpool(_update, request, principal, structure_id, changes)
    except InvalidInputError as error:
        return _settings(request, principal, structure_id, errors=field_errors(error), status_code=422)
    except StoreError as error:
        return _settings(request, principal, structure_id, errors={"name": error.message}, status_code=409)
    return redirect(request, f"/structures/{structure_id}/reglages", "Réglages enregistrés.")


def _update(request: Request, principal: Principal, structure_id: int, changes: dict[str, Any]) -> None:
    with store_of(request).transaction(actor=principal.actor) as tx:
        tx.structures.update(structure_id, changes)


@router.post("/structures/{structure_id:int}/identifiants")
def save_credentials(
    request: Request,
    structure_id: int,
    client_id: str = Form(""),
    client_secret: str = Form(""),
    api_url: str = Form(""),
    technical_login: str = Form(""),
    technical_password: str = Form(""),
    technical_password_confirm: str = Form(""),
    principal: Principal = Depends(user_principal),
) -> Response:
    """Secrets are write-only: an empty field keeps the stored value; the password needs confirmation."""
    require_admin(principal)
    errors = _password_errors(technical_password, technical_password_confirm, required=False)
    if errors:
        return _settings(request, principal, structure_id, errors=errors, status_code=422)
    try:
        with store_of(request).transaction(actor=principal.actor) as tx:
            _apply_credentials(
                tx, structure_id, client_id, client_secret, api_url, technical_login, technical_password
            )
    except InvalidInputError as error:
        return _settings(request, principal, structure_id, errors=field_errors(error), status_code=422)
    except StoreError as error:
        return _settings(
            request, principal, structure_id, errors={"client_id": error.message}, status_code=409
        )
    return redirect(
        request, f"/structures/{structure_id}/reglages", "Identifiants enregistrés. Testez la connexion."
    )


def _apply_credentials(
    tx: UnitOfWork,
    structure_id: int,
    client_id: str,
    client_secret: str,
    api_url: str,
    technical_login: str,
    technical_password: str,
) -> None:
    structure = tx.structures.get(structure_id)
    application = structure.piste_application
    url_change = api_url.strip() if structure.environment == EnvironmentName.LOCAL else None
    if (client_id.strip() and client_id.strip() != application.client_id) or url_change is not None:
        tx.piste_applications.update(
            application.id,
            client_id=client_id.strip() or None,
            api_url=url_change if url_change != (application.api_url or "") else None,
        )
    if client_secret:
        tx.piste_applications.set_client_secret(application.id, client_secret)
    if technical_login.strip() and technical_login.strip() != structure.technical_login:
        tx.structures.update(structure_id, {"technical_login": technical_login})
    if technical_password:
        tx.structures.set_technical_password(structure_id, technical_password)


@router.post("/structures/{structure_id:int}/notifications")
def save_notifications(
    request: Request,
    structure_id: int,
    webhook_url: str = Form(""),
    webhook_secret: str = Form(""),
    notification_emails: str = Form(""),
    principal: Principal = Depends(user_principal),
) -> Response:
    require_admin(principal)
    try:
        with store_of(request).transaction(actor=principal.actor) as tx:
            tx.structures.set_webhook(structure_id, webhook_url.strip() or None, webhook_secret or None)
            tx.structures.update(structure_id, {"notification_emails": notification_emails})
    except InvalidInputError as error:
        return _settings(request, principal, structure_id, errors=field_errors(error), status_code=422)
    return redirect(request, f"/structures/{structure_id}/reglages", "Notifications enregistrées.")


@router.post("/structures/{structure_id:int}/production")
def move_to_production(
    request: Request,
    structure_id: int,
    siret: str = Form(""),
    client_id: str = Form(""),
    client_secret: str = Form(""),
    technical_login: str = Form(""),
    technical_password: str = Form(""),
    technical_password_confirm: str = Form(""),
    confirmation: str = Form(""),
    principal: Principal = Depends(user_principal),
) -> Response:
    """Sandbox (or local) to production: history kept, production credentials and real SIRET asked."""
    require_admin(principal)
    errors = _password_errors(technical_password, technical_password_confirm)
    if confirmation != "oui":
        errors["confirmation"] = "Cochez la case pour confirmer le passage en production."
    if errors:
        return _settings(request, principal, structure_id, errors=errors, status_code=422)
    try:
        with store_of(request).transaction(actor=principal.actor) as tx:
            structure = tx.structures.get(structure_id)
            report = tx.structures.move_to_production(
                structure_id,
                ProductionMove(
                    siret=siret,
                    technical_login=technical_login,
                    technical_password=technical_password,
                    piste=NewPisteApplication(
                        name=f"{structure.name} (production)",
                        client_id=client_id,
                        client_secret=client_secret,
                        environment="production",
                    ),
                ),
            )
    except InvalidInputError as error:
        return _settings(request, principal, structure_id, errors=field_errors(error), status_code=422)
    except StoreError as error:
        return _settings(request, principal, structure_id, errors={"move": error.message}, status_code=409)
    message = (
        f"Structure passée en production : {report.withdrawn_invoices} facture(s) de test retirée(s), "
        f"{report.untracked_invoices} plus suivie(s). Choisissez le SIRET et le code service de production, "
        "puis testez la connexion."
    )
    return redirect(request, f"/structures/{structure_id}/reglages", message)


@router.post("/structures/{structure_id:int}/tester")
async def test_connection(
    request: Request, structure_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    require_actor(principal)
    services = services_of(request)
    try:
        check = await run_in_threadpool(services.check_connection, structure_id)
    except (ChorusError, StoreError) as error:
        return _settings(request, principal, structure_id, errors={"check": str(error)}, status_code=502)
    return _settings(request, principal, structure_id, check=check)
