"""Who is calling: a signed-in user (session cookie) or an API key, with its role and its structures.

The principal is resolved once per request and kept on ``request.state``; the REST API accepts API keys
only (``Authorization: Bearer cck_…`` or ``X-API-Key``), the pages accept the session cookie only, so a
browser's ambient cookie can never drive the API and a leaked key can never open the pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import inspect

from chorus_connect.store import ApiKeyAccess, Store, UserRole
from chorus_connect.web.problems import Problem
from chorus_connect.web.settings import WebSettings

SESSION_COOKIE = "chorus_session"
SECURE_SESSION_COOKIE = "__Host-chorus_session"  # the prefix forces Secure, Path=/ and no Domain
API_PREFIX = "/api/"
TOUCH_INTERVAL = dt.timedelta(minutes=1)  # how often a session's last activity is written

bearer_scheme = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer cck_…`")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (alternative)")


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # "user" or "api_key"
    id: int
    name: str
    role: UserRole
    structure_ids: frozenset[int] | None  # None: every structure (administrators)
    login: str = ""  # the user's e-mail address, or the API key's name
    session_id: int | None = None
    csrf_token: str | None = None

    @property
    def key(self) -> str:
        """A stable identity (idempotency records are per principal)."""
        return f"{self.kind}:{self.id}"

    @property
    def actor(self) -> str:
        """Who acted, as written in the invoices' history."""
        return self.login if self.kind == "user" else f"API key {self.login} (#{self.id})"

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMINISTRATOR

    @property
    def can_act(self) -> bool:
        return self.role != UserRole.READ_ONLY

    def sees(self, structure_id: int | None) -> bool:
        if structure_id is None:
            return False
        return self.structure_ids is None or structure_id in self.structure_ids

    def visible_ids(self) -> list[int] | None:
        """For store filters: the structures this principal may see (None: no restriction)."""
        return None if self.structure_ids is None else sorted(self.structure_ids)


class LoginRequired(Exception):
    """A page needs a signed-in user: the app answers with a redirect to the sign-in page."""


def store_of(request: Request) -> Store:
    return request.app.state.store


def settings_of(request: Request) -> WebSettings:
    return request.app.state.settings


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def resolve_principal(request: Request) -> Principal:
    """The caller of this request (cached); raises a 401 problem (API) or ``LoginRequired`` (pages)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = _api_key_principal(request) if is_api_request(request) else _session_principal(request)
    request.state.principal = principal
    return principal


def optional_principal(request: Request) -> Principal | None:
    try:
        return resolve_principal(request)
    except (LoginRequired, Problem):
        return None


# --- API keys -------------------------------------------------------------------------------------------


def api_key_from_headers(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    header = request.headers.get("x-api-key", "").strip()
    return header or None


def _unauthenticated(detail: str, fix: str) -> Problem:
    return Problem("unauthenticated", detail, fix=fix, headers={"WWW-Authenticate": 'Bearer realm="chorus"'})


def _api_key_principal(request: Request) -> Principal:
    plaintext = api_key_from_headers(request)
    if plaintext is None:
        raise _unauthenticated(
            "No API key was sent.",
            "Send the key in `Authorization: Bearer <key>` (or `X-API-Key: <key>`); an administrator creates "
            "keys on the « Clés d'API » page or with `chorus web api-key`.",
        )
    store = store_of(request)
    with store.read() as tx:
        key = tx.accounts.verify_api_key(plaintext)
        if key is None or (key.user_id is not None and not tx.accounts.get_user(key.user_id).is_active):
            raise _unauthenticated(
                "The API key is unknown or revoked.",
                "Check that the whole key was copied; ask an administrator for a new key if it was revoked.",
            )
        # verify_api_key stamped last_used_at in this read-only transaction (rolled back): write it for
        # real at most once a minute, so that an API call is not always a write.
        previous = inspect(key).attrs.last_used_at.history.deleted
        last_used = previous[0] if previous else None
        principal = Principal(
            kind="api_key",
            id=key.id,
            name=key.name,
            login=key.name,
            role=UserRole.READ_ONLY if key.access == ApiKeyAccess.READ_ONLY else UserRole.ACCOUNTANT,
            structure_ids=frozenset(structure.id for structure in key.structures),
        )
    if last_used is None or store.now() - last_used > TOUCH_INTERVAL:
        with store.transaction(actor=principal.actor) as tx:
            tx.accounts.verify_api_key(plaintext)
    return principal


# --- sessions -------------------------------------------------------------------------------------------


def session_cookie_name(request: Request) -> str:
    return SECURE_SESSION_COOKIE if cookies_secure(request) else SESSION_COOKIE


def cookies_secure(request: Request) -> bool:
    configured = settings_of(request).secure_cookies
    return configured if configured is not None else request.url.scheme == "https"


def _session_principal(request: Request) -> Principal:
    token = request.cookies.get(session_cookie_name(request))
    if not token:
        raise LoginRequired()
    store, settings = store_of(request), settings_of(request)
    with store.read() as tx:
        session = tx.web_sessions.find(token)
        if session is None:
            raise LoginRequired()
        user = tx.accounts.get_user(session.user_id)
        if not user.is_active:
            raise LoginRequired()
        principal = Principal(
            kind="user",
            id=user.id,
            name=user.display_name or user.email,
            login=user.email,
            role=user.role,
            structure_ids=None
            if user.role == UserRole.ADMINISTRATOR
            else frozenset(s.id for s in user.structures),
            session_id=session.id,
            csrf_token=session.csrf_token,
        )
        last_seen, created = session.last_seen_at, session.created_at
    now = store.now()
    if now - last_seen > TOUCH_INTERVAL:
        expires = min(created + settings.session_max_age, now + settings.session_idle_timeout)
        with store.transaction(actor=principal.actor) as tx:
            tx.web_sessions.extend(principal.session_id or 0, last_seen_at=now, expires_at=expires)
    return principal


# --- dependencies ---------------------------------------------------------------------------------------


def api_principal(
    request: Request,
    _bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
    _header: str | None = Depends(api_key_scheme),
) -> Principal:
    """The API key's principal (the two schemes are declared for the OpenAPI description)."""
    return resolve_principal(request)


def api_actor(principal: Principal = Depends(api_principal)) -> Principal:
    """An API key that may change things (not a read-only key)."""
    if not principal.can_act:
        raise Problem(
            "forbidden",
            f"The API key {principal.name!r} is read-only.",
            fix="Use a read-write key for this operation.",
        )
    return principal


def user_principal(request: Request) -> Principal:
    return resolve_principal(request)
