"""Password hashing (argon2id), security headers, and the checks that protect forms (CSRF, Origin)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chorus_connect.web.settings import PasswordHashing

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# No inline script or style anywhere: everything the pages run or wear comes from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# PDF previews are framed by our own invoice page, and by nothing else.
FRAMEABLE_POLICY = "frame-ancestors 'self'"
FRAMEABLE_TYPES = ("application/pdf",)
HSTS = "max-age=31536000; includeSubDomains"


class Passwords:
    """argon2id hashes of the users' passwords."""

    def __init__(self, parameters: PasswordHashing) -> None:
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches. With no hash (unknown user) a dummy one is verified anyway, so
        that the answer takes as long and does not tell which e-mail addresses exist."""
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash("not a password of anyone")


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def same_origin(origin: str | None, host: str | None, scheme: str) -> bool:
    """A request's Origin header, when present, must be this site (defence in depth beside CSRF tokens)."""
    if not origin or origin == "null":
        return origin is None
    return origin.rstrip("/") == f"{scheme}://{host}"


class SecurityHeadersMiddleware:
    """Adds the security headers to every response (pure ASGI: streaming responses stay streamed)."""

    def __init__(self, app: ASGIApp, *, secure: bool | None = None) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = self.secure if self.secure is not None else scope.get("scheme") == "https"
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                _apply(headers, https=https, cacheable=static)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _apply(headers: MutableHeaders, *, https: bool, cacheable: bool) -> None:
    content_type = headers.get("content-type", "")
    frameable = content_type.startswith(FRAMEABLE_TYPES)
    defaults: Iterable[tuple[str, str]] = (
        ("Content-Security-Policy", FRAMEABLE_POLICY if frameable else CONTENT_SECURITY_POLICY),
        ("X-Frame-Options", "SAMEORIGIN" if frameable else "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    )
    for name, value in defaults:
        if name not in headers:
            headers[name] = value
    if "cache-control" not in headers:
        # Pages and API answers carry the tenants' data: never keep them in shared or disk caches.
        headers["Cache-Control"] = "private, max-age=300" if cacheable else "no-store"
    if https:
        headers["Strict-Transport-Security"] = HSTS
