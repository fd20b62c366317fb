"""Pages: users and their structures, API keys (shown once, stored hashed), and one's own password."""

from __future__ import annotations

from fastapi import Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from chorus_connect.store import ApiKeyAccess, InvalidInputError, StoreError, UserRole
from chorus_connect.web.auth import Principal, store_of, user_principal
from chorus_connect.web.ui.common import page_router, redirect, render, require_admin
from chorus_connect.web.ui.forms import field_errors

router = page_router()


def password_problem(request: Request, password: str, confirmation: str) -> str | None:
    minimum = request.app.state.settings.password_min_length
    if len(password) < minimum:
        return f"Le mot de passe doit compter au moins {minimum} caractères."
    if password != confirmation:
        return "Les deux saisies du mot de passe ne sont pas identiques."
    return None


# --- users ----------------------------------------------------------------------------------------------


@router.get("/utilisateurs")
def users_page(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    require_admin(principal)
    return _users(request, {}, {})


def _users(
    request: Request, errors: dict[str, str], values: dict[str, str], status_code: int = 200
) -> Response:
    with store_of(request).read() as tx:
        return render(
            request,
            "admin/users.html",
            {
                "nav": "users",
                "users": tx.accounts.list_users(),
                "structures": tx.structures.list(),
                "roles": list(UserRole),
                "errors": errors,
                "values": values,
            },
            tx=tx,
            status_code=status_code,
        )


@router.post("/utilisateurs")
async def create_user(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    require_admin(principal)
    form = await request.form()
    email, name = str(form.get("email", "")).strip(), str(form.get("display_name", "")).strip()
    role = str(form.get("role", ""))
    password, confirmation = str(form.get("password", "")), str(form.get("password_confirm", ""))
    structure_ids = [int(v) for v in form.getlist("structure_ids") if str(v).isdigit()]
    values = {"email": email, "display_name": name, "role": role}
    problem = password_problem(request, password, confirmation)
    if problem:
        return _users(request, {"password": problem}, values, 422)
    password_hash = await run_in_threadpool(request.app.state.passwords.hash, password)
    try:
        with store_of(request).transaction(actor=principal.actor) as tx:
            user = tx.accounts.add_user(email, role, display_name=name or None, password_hash=password_hash)
            if structure_ids:
                tx.accounts.grant(user.id, structure_ids)
    except InvalidInputError as error:
        return _users(request, field_errors(error), values, 422)
    except StoreError as error:
        return _users(request, {"email": error.message}, values, 409)
    return redirect(request, "/utilisateurs", f"Utilisateur {email} créé.")


@router.post("/utilisateurs/{user_id:int}")
async def update_user(
    request: Request, user_id: int, principal: Principal = Depends(user_principal)
) -> Response:
    require_admin(principal)
    form = await request.form()
    role = str(form.get("role", ""))
    active = form.get("is_active") == "oui"
    structure_ids = [int(v) for v in form.getlist("structure_ids") if str(v).isdigit()]
    if user_id == principal.id and (role != UserRole.ADMINISTRATOR or not active):
        return _users(
            request, {"user": "Vous ne pouvez pas retirer vos propres droits d'administrateur."}, {}, 422
        )
    with store_of(request).transaction(actor=principal.actor) as tx:
        user = tx.accounts.update_user(user_id, role=role, is_active=active)
        tx.accounts.revoke(user_id, [s.id for s in user.structures if s.id not in structure_ids])
        if structure_ids:
            tx.accounts.grant(user_id, structure_ids)
        if not active:
            tx.web_sessions.end_all_of(user_id)
    return redirect(request, "/utilisateurs", "Utilisateur mis à jour.")


# --- API keys -------------------------------------------------------------------------------------------


@router.get("/cles-api")
def keys_page(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    require_admin(principal)
    return _keys(request, None, {})


def _keys(
    request: Request, created: tuple[str, str] | None, errors: dict[str, str], status_code: int = 200
) -> Response:
    with store_of(request).read() as tx:
        return render(
            request,
            "admin/keys.html",
            {
                "nav": "keys",
                "keys": tx.accounts.list_api_keys(),
                "structures": tx.structures.list(),
                "created": created,
                "errors": errors,
            },
            tx=tx,
            status_code=status_code,
        )


@router.post("/cles-api")
async def create_key(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    require_admin(principal)
    form = await request.form()
    name = str(form.get("name", ""))
    access = str(form.get("access", ApiKeyAccess.READ_WRITE.value))
    structure_ids = [int(v) for v in form.getlist("structure_ids") if str(v).isdigit()]
    try:
        with store_of(request).transaction(actor=principal.actor) as tx:
            _key, plaintext = tx.accounts.create_api_key(name, structure_ids, access=access)
    except InvalidInputError as error:
        errors = field_errors(error)
        if "structure_ids" in errors:
            errors["structure_ids"] = "Choisissez au moins une structure pour la clé."
        return _keys(request, None, errors, 422)
    # Shown once, on this answer only (never stored in clear, never in a redirect or a cookie).
    return _keys(request, (name, plaintext.get_secret_value()), {})


@router.post("/cles-api/{key_id:int}/revoquer")
def revoke_key(request: Request, key_id: int, principal: Principal = Depends(user_principal)) -> Response:
    require_admin(principal)
    with store_of(request).transaction(actor=principal.actor) as tx:
        tx.accounts.revoke_api_key(key_id)
    return redirect(request, "/cles-api", "Clé révoquée.")


# --- own account ----------------------------------------------------------------------------------------


@router.get("/compte")
def account_page(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    return render(request, "account.html", {"nav": "account", "error": None})


@router.post("/compte/mot-de-passe")
async def change_password(
    request: Request,
    current: str = Form(""),
    password: str = Form(""),
    password_confirm: str = Form(""),
    principal: Principal = Depends(user_principal),
) -> Response:
    passwords = request.app.state.passwords
    with store_of(request).read() as tx:
        stored = tx.accounts.get_user(principal.id).password_hash
    if not await run_in_threadpool(passwords.verify, stored, current):
        return render(
            request, "account.html", {"error": "Le mot de passe actuel est incorrect."}, status_code=422
        )
    problem = password_problem(request, password, password_confirm)
    if problem:
        return render(request, "account.html", {"error": problem}, status_code=422)
    new_hash = await run_in_threadpool(passwords.hash, password)
    with store_of(request).transaction(actor=principal.actor) as tx:
        tx.accounts.set_password_hash(principal.id, new_hash)
        tx.web_sessions.end_all_of(principal.id, keep_session_id=principal.session_id)
    return redirect(request, "/compte", "Mot de passe changé ; vos autres sessions sont fermées.")
