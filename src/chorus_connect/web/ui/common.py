"""What every page shares: the templates, the page context (who, which structures, password banners),
CSRF protection of every unsafe request, roles, and flash messages carried across a redirect."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from chorus_connect.store import PasswordExpiry, Store, Structure, StructureRole, UnitOfWork, password_expiry
from chorus_connect.web import presenters
from chorus_connect.web.access import forbidden
from chorus_connect.web.auth import Principal, cookies_secure, resolve_principal, store_of
from chorus_connect.web.problems import Problem
from chorus_connect.web.security import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    UNSAFE_METHODS,
    same_origin,
    tokens_match,
)

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
_env = TEMPLATES.env
_env.filters.update(
    amount=presenters.amount,
    day=presenters.day,
    moment=presenters.moment,
    status_label=presenters.status_label,
    chorus_label=presenters.chorus_label,
    state_label=presenters.invoice_state_label,
)
_env.globals.update(
    role_labels=presenters.ROLE_LABELS,
    environment_labels=presenters.ENVIRONMENT_LABELS,
    payment_modes=presenters.PAYMENT_MODES,
    payment_mode_labels=presenters.PAYMENT_MODE_LABELS,
    action_labels=presenters.ACTION_LABELS,
)

FLASH_COOKIE = "chorus_flash"
LOGIN_CSRF_COOKIE = "chorus_login_csrf"


# --- CSRF ---------------------------------------------------------------------------------------------


async def csrf_protect(request: Request) -> None:
    """Router dependency of every signed-in page: unsafe methods need the session's CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``) and, when the browser sends one, a same-site Origin."""
    if request.method not in UNSAFE_METHODS:
        return
    principal = await run_in_threadpool(resolve_principal, request)
    if not same_origin(request.headers.get("origin"), request.headers.get("host"), request.url.scheme):
        raise _csrf_failure("The request comes from another site.")
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        given = value if isinstance(value, str) else None
    if not tokens_match(principal.csrf_token, given):
        raise _csrf_failure("The form's CSRF token is missing or does not match the session.")


def _csrf_failure(detail: str) -> Problem:
    return Problem(
        "forbidden",
        detail,
        fix="Reload the page and submit the form again.",
        french="Le formulaire a expiré ou ne vient pas de cette application : rechargez la page et "
        "recommencez.",
    )


def page_router() -> APIRouter:
    """A router of signed-in pages: authenticated and CSRF-protected, not in the API description."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


# --- roles ----------------------------------------------------------------------------------------------


def require_actor(principal: Principal) -> None:
    if not principal.can_act:
        raise forbidden(
            "This user is read-only.",
            "Ask an administrator for the accountant role.",
            "Votre profil est en lecture seule : demandez le rôle « Comptable » à un administrateur.",
        )


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise forbidden(
            "Only an administrator may do this.",
            "Ask an administrator.",
            "Seul un administrateur peut faire cela.",
        )


# --- rendering ------------------------------------------------------------------------------------------


def visible_structures(
    tx: UnitOfWork, principal: Principal, role: StructureRole | None = None
) -> list[Structure]:
    return tx.structures.list(role=role, ids=principal.visible_ids())


def expiry_banners(
    tx: UnitOfWork, principal: Principal, today: dt.date
) -> list[tuple[Structure, PasswordExpiry]]:
    """Structures whose technical password expires within 30 days (or has expired), among those visible."""
    return [
        (structure, expiry)
        for structure in visible_structures(tx, principal)
        if structure.is_active and (expiry := password_expiry(structure, today)).warn
    ]


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    tx: UnitOfWork | None = None,
    status_code: int = 200,
) -> Response:
    """Render a page with the common context (principal, CSRF token, password banners, flash message)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    store: Store = store_of(request)
    values: dict[str, Any] = {"request": request, "principal": principal, "banners": [], "flash": None}
    if principal is not None:
        values["csrf_token"] = principal.csrf_token
        if tx is not None:
            values["banners"] = expiry_banners(tx, principal, store.now().date())
        else:
            with store.read() as reader:
                values["banners"] = expiry_banners(reader, principal, store.now().date())
    values["flash"] = read_flash(request)
    values.update(context or {})
    response = TEMPLATES.TemplateResponse(request, template, values, status_code=status_code)
    if values["flash"] is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


# --- flash messages (one message carried by a signed cookie across a redirect) ----------------------------


def _flash_signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.flash_key, salt="chorus-flash")


def redirect(request: Request, url: str, message: str | None = None, *, kind: str = "success") -> Response:
    """303 to ``url`` (a local path), with a one-time message shown on the next page."""
    response = RedirectResponse(url if url.startswith("/") else "/", status_code=303)
    if message:
        token = _flash_signer(request).dumps({"kind": kind, "message": message})
        response.set_cookie(
            FLASH_COOKIE,
            token,
            max_age=60,
            httponly=True,
            samesite="lax",
            secure=cookies_secure(request),
            path="/",
        )
    return response


def read_flash(request: Request) -> dict[str, str] | None:
    token = request.cookies.get(FLASH_COOKIE)
    if not token:
        return None
    try:
        data = _flash_signer(request).loads(token, max_age=120)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def login_url(next_path: str) -> str:
    return f"/connexion?suivant={quote(next_path, safe='/')}"


def safe_next(value: str | None) -> str:
    """Only local paths (never //host or a scheme): no open redirect after sign-in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)
