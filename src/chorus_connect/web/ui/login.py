"""Sign-in and sign-out.

The sign-in form is protected by a double-submit token (a cookie and a hidden field that must match),
since there is no session yet; failures are throttled per e-mail address and per client address (a lock
for 15 minutes after 5, resp. 20, failures within 15 minutes), and an unknown address takes as long to
refuse as a wrong password.
"""

from __future__ import annotations

import datetime as dt
import math

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from chorus_connect.store import NotFoundError, UnitOfWork, User
from chorus_connect.store.repositories.web import ThrottleRule
from chorus_connect.web.auth import (
    Principal,
    cookies_secure,
    optional_principal,
    session_cookie_name,
    settings_of,
    store_of,
    user_principal,
)
from chorus_connect.web.security import same_origin, tokens_match
from chorus_connect.web.ui.common import (
    LOGIN_CSRF_COOKIE,
    new_login_csrf,
    page_router,
    redirect,
    render,
    safe_next,
)

public = APIRouter(include_in_schema=False)
signed_in = page_router()

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


@public.get("/connexion")
def login_page(request: Request, suivant: str = "/") -> Response:
    if optional_principal(request) is not None:
        return redirect(request, safe_next(suivant))
    return _login_form(request, suivant)


def _login_form(
    request: Request, next_path: str, *, error: str | None = None, status_code: int = 200
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next_path": safe_next(next_path), "error": error},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookies_secure(request), path="/"
    )
    return response


@public.post("/connexion")
async def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    suivant: str = Form("/"),
) -> Response:
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token) or not same_origin(
        request.headers.get("origin"), request.headers.get("host"), request.url.scheme
    ):
        return _login_form(
            request,
            suivant,
            error="Le formulaire a expiré : saisissez à nouveau vos identifiants.",
            status_code=403,
        )
    address = request.client.host if request.client else "unknown"
    outcome = await run_in_threadpool(_authenticate, request, email.strip().lower(), password, address)
    if isinstance(outcome, Response):
        return outcome
    response = redirect(request, safe_next(suivant))
    settings = settings_of(request)
    response.set_cookie(
        session_cookie_name(request),
        outcome,
        max_age=int(settings.session_max_age.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookies_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


def _authenticate(request: Request, email: str, password: str, address: str) -> str | Response:
    """The new session's token, or the page to answer (wrong credentials, locked)."""
    store, settings = store_of(request), settings_of(request)
    passwords = request.app.state.passwords
    keys = {
        f"email:{email}": ThrottleRule(
            settings.login_max_failures_per_email, settings.login_window, settings.login_lock
        ),
        f"address:{address}": ThrottleRule(
            settings.login_max_failures_per_address, settings.login_window, settings.login_lock
        ),
    }
    with store.read() as tx:
        locked = tx.login_throttles.locked_until(list(keys))
        user = _find_user(tx, email)
        password_hash = user.password_hash if user is not None else None
        user_id, active = (user.id, user.is_active) if user is not None else (None, False)
    if locked is not None:
        return _locked(request, locked)
    valid = passwords.verify(password_hash, password) and user_id is not None and active
    if not valid:
        with store.transaction(actor="web") as tx:
            locked = tx.login_throttles.record_failure(keys)
        if locked is not None:
            return _locked(request, locked)
        return _login_form(request, "/", error=BAD_CREDENTIALS, status_code=401)
    assert user_id is not None and password_hash is not None
    now = store.now()
    with store.transaction(actor=email) as tx:
        tx.login_throttles.clear([f"email:{email}"])
        tx.web_sessions.purge_expired()
        if passwords.needs_rehash(password_hash):
            tx.accounts.set_password_hash(user_id, passwords.hash(password))
        tx.accounts.record_login(user_id)
        _session, token = tx.web_sessions.create(
            user_id,
            expires_at=now + min(settings.session_idle_timeout, settings.session_max_age),
            client_address=address,
            user_agent=request.headers.get("user-agent"),
        )
    return token


def _find_user(tx: UnitOfWork, email: str) -> User | None:
    if not email:
        return None
    try:
        return tx.accounts.get_user(email)
    except NotFoundError:
        return None


def _locked(request: Request, until: dt.datetime) -> Response:
    minutes = max(1, math.ceil((until - store_of(request).now()).total_seconds() / 60))
    response = _login_form(
        request,
        "/",
        error=f"Trop de tentatives de connexion : réessayez dans {minutes} minute(s).",
        status_code=429,
    )
    response.headers["Retry-After"] = str(minutes * 60)
    return response


@signed_in.post("/deconnexion")
def logout(request: Request, principal: Principal = Depends(user_principal)) -> Response:
    token = request.cookies.get(session_cookie_name(request))
    if token:
        with store_of(request).transaction(actor=principal.actor) as tx:
            tx.web_sessions.end(token)
    response = redirect(request, "/connexion", "Vous êtes déconnecté.")
    response.delete_cookie(session_cookie_name(request), path="/")
    return response
