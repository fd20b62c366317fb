"""The PISTE gateway: OAuth2 tokens, and the checks made on every /cpro call before Chorus Pro sees it.

The real gateway's error bodies are not documented (reference §1.4); the simulator answers with small
JSON bodies whose `error` field tells the cases apart, and with an empty body for 403 as observed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from chorus_connect.simulator.dataset import PisteApplication, TechnicalAccount
from chorus_connect.simulator.state import AccessToken, SimulatorState


@dataclass
class GatewayRefusal(Exception):
    """An answer from the gateway itself, not from Chorus Pro."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _oauth_error(status: int, error: str, description: str) -> GatewayRefusal:
    return GatewayRefusal(status, {"error": error, "error_description": description})


def issue_token(
    state: SimulatorState, form: dict[str, str], now: dt.datetime, ttl_seconds: int
) -> dict[str, object]:
    """`POST /api/oauth/token` with `client_credentials`: a bearer token valid `ttl_seconds`."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise _oauth_error(400, "invalid_request", "Missing grant_type parameter")
    if grant_type != "client_credentials":
        raise _oauth_error(400, "unsupported_grant_type", f"Unsupported grant_type: {grant_type}")
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if not client_id or not client_secret:
        raise _oauth_error(400, "invalid_request", "Missing client_id or client_secret parameter")
    application = find_application(state, client_id)
    if application is None or not secrets.compare_digest(application.client_secret, client_secret):
        raise _oauth_error(400, "invalid_client", "Client authentication failed")
    scope = form.get("scope") or "openid"
    if "openid" not in scope.split():
        raise _oauth_error(400, "invalid_scope", "The requested scope is invalid: openid is required")
    token = AccessToken(
        token=secrets.token_urlsafe(32),
        client_id=client_id,
        expires_at=now + dt.timedelta(seconds=ttl_seconds),
    )
    state.tokens[token.token] = token
    state.save(token)
    return {"access_token": token.token, "token_type": "Bearer", "expires_in": ttl_seconds, "scope": "openid"}


def find_application(state: SimulatorState, client_id: str) -> PisteApplication | None:
    return next((a for a in state.dataset.applications if a.client_id == client_id), None)


def _invalid_token(description: str) -> GatewayRefusal:
    return GatewayRefusal(
        401,
        {"error": "invalid_token", "error_description": description},
        {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


def check_bearer(state: SimulatorState, authorization: str | None, now: dt.datetime) -> PisteApplication:
    """The `Authorization: Bearer` header must carry a live token of a known PISTE application."""
    if not authorization or not authorization.startswith("Bearer "):
        raise GatewayRefusal(
            401,
            {"error": "invalid_request", "error_description": "Missing bearer token"},
            {"WWW-Authenticate": 'Bearer realm="PISTE"'},
        )
    token = state.tokens.get(authorization.removeprefix("Bearer ").strip())
    if token is None:
        raise _invalid_token("The access token is unknown")
    if token.revoked:
        raise _invalid_token("The access token was revoked")
    if token.expires_at <= now:
        raise _invalid_token("The access token expired")
    application = find_application(state, token.client_id)
    if application is None:
        raise _invalid_token("The access token's application no longer exists")
    return application


def check_subscription(application: PisteApplication, family: str) -> None:
    """An application may only call the API families it subscribed to (403 with an empty body)."""
    if family not in application.subscribed_apis:
        raise GatewayRefusal(403)


def check_account(state: SimulatorState, header: str | None, today: dt.date) -> TechnicalAccount:
    """`cpro-account` = base64("login:password") of a Chorus Pro technical account."""
    if not header:
        raise _account_error("invalid_cpro_account", "The cpro-account header is missing")
    try:
        decoded = base64.b64decode(header, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _account_error(
            "invalid_cpro_account", "The cpro-account header is not base64 login:password"
        ) from None
    login, sep, password = decoded.partition(":")
    if not sep:
        raise _account_error("invalid_cpro_account", "The cpro-account header is not base64 login:password")
    account = next((a for a in state.dataset.technical_accounts if a.login == login), None)
    if account is None or not secrets.compare_digest(account.password, password):
        raise _account_error("invalid_cpro_account", "Unknown technical account or wrong password")
    if account.password_expired(today):
        raise _account_error("expired_password", "The technical account's password has expired")
    return account


def _account_error(error: str, description: str) -> GatewayRefusal:
    return GatewayRefusal(401, {"error": error, "error_description": description})


def revoke_tokens(state: SimulatorState, client_id: str | None = None) -> int:
    revoked = 0
    for token in state.tokens.values():
        if not token.revoked and (client_id is None or token.client_id == client_id):
            token.revoked = True
            state.save(token)
            revoked += 1
    return revoked
