"""Reading gateway and Chorus Pro failures into specific errors, with explanations where the code is known."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import httpx

from chorus_connect.api._exceptions import (
    ApiNotSubscribedError,
    BusinessError,
    ChorusError,
    NotAttachedToStructureError,
    RequestRejectedError,
    TechnicalAccountError,
    TechnicalPasswordExpiredError,
    TokenRejectedError,
    UnexpectedResponseError,
)
from chorus_connect.api._operations import Operation


class AuthFailure(Enum):
    """What a 401 from the gateway is about."""

    INVALID_TOKEN = "invalid_token"  # the bearer token is missing, unknown, expired or revoked
    BAD_ACCOUNT = "invalid_cpro_account"  # the cpro-account (technical login:password) was refused
    EXPIRED_PASSWORD = "expired_password"  # the technical account's password has expired
    UNSPECIFIED = "unspecified"  # an empty or unknown 401 body: the real gateway's body is not documented


def read_json(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None (empty, not JSON, not an object)."""
    if not response.content:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def auth_failure(response: httpx.Response) -> AuthFailure:
    challenge = response.headers.get("WWW-Authenticate", "")
    if "invalid_token" in challenge:
        return AuthFailure.INVALID_TOKEN
    error = str((read_json(response) or {}).get("error", "")).strip().lower()
    for kind in AuthFailure:
        if error == kind.value:
            return kind
    return AuthFailure.UNSPECIFIED


def auth_error(kind: AuthFailure, operation: Operation, response: httpx.Response) -> ChorusError:
    """The error for a 401 that persists after the token was renewed (or needs no renewal)."""
    name = operation.name
    if kind is AuthFailure.INVALID_TOKEN:
        return TokenRejectedError(
            "The gateway rejected the bearer token even after it was renewed (HTTP 401 invalid_token).",
            operation=name,
            status_code=401,
        )
    if kind is AuthFailure.EXPIRED_PASSWORD:
        return TechnicalPasswordExpiredError(
            "Chorus Pro refused the technical account: its password has expired (HTTP 401).",
            operation=name,
            status_code=401,
        )
    detail = "the login or the password is wrong" if kind is AuthFailure.BAD_ACCOUNT else "no reason given"
    return TechnicalAccountError(
        "The PISTE token is valid but Chorus Pro refused the technical account sent in the cpro-account "
        f"header (HTTP 401, {detail}).",
        operation=name,
        status_code=401,
    )


def http_error(operation: Operation, response: httpx.Response) -> ChorusError:
    """The error for a failure status that is neither retried nor an authentication problem."""
    status = response.status_code
    name = operation.name
    if status == 403:
        return ApiNotSubscribedError(operation.family_title, operation=name)
    if status == 404:
        return RequestRejectedError(
            f"The gateway does not know the route {operation.url_path} (HTTP 404).",
            fix="Check the API URL of the environment (it must be the gateway root, e.g. "
            "https://sandbox-api.piste.gouv.fr, without /cpro).",
            operation=name,
            status_code=status,
        )
    if status == 413:
        return RequestRejectedError(
            "Chorus Pro refused the request because it is too large (HTTP 413).",
            fix="Keep files under 10 MB each (PDF and flux), and a whole download under 120 MB.",
            operation=name,
            status_code=status,
        )
    if status == 415:
        return RequestRejectedError(
            "Chorus Pro refused the request format (HTTP 415).",
            fix="The body must be JSON (Content-Type application/json;charset=utf-8); report this as a bug.",
            operation=name,
            status_code=status,
        )
    if status == 400:
        return RequestRejectedError(
            "Chorus Pro refused the request as malformed (HTTP 400) without a codeRetour.",
            fix="Check the request fields against the operation's model; if they are right, report it.",
            operation=name,
            status_code=status,
        )
    return UnexpectedResponseError(f"Unexpected HTTP status {status}.", operation=name, status_code=status)


# --- business errors ----------------------------------------------------------------------------------

# Explanations for codes whose meaning is known (reference §2.0.1). Codes are numbered per service, so the
# key is (operation, codeRetour); message codes (libelle) are global.
_BY_LABEL: dict[str, tuple[str, str]] = {
    "GDP_MSG_11.022": (
        "The deposited file is too large (at most 10 MB per file, 30 MB compressed)",
        "Send fewer invoices per deposit or lighter PDFs.",
    ),
}
_BY_CODE: dict[tuple[str, int], tuple[str, str]] = {
    ("deposerFluxFacture", 20001): _BY_LABEL["GDP_MSG_11.022"],
}
_NOT_ATTACHED_HINTS = ("rattach", "not attached", "habilit")
_NOT_ATTACHED_FIX = (
    "The technical account is not attached to that structure: use a structure listed by "
    "transverses.active_supplier_structures(), or have the structure's main manager attach the technical "
    "user to it on the Chorus Pro portal."
)


def business_error(operation: Operation, code: int, label: str, status_code: int) -> BusinessError:
    explanation, fix = _BY_CODE.get((operation.name, code)) or _BY_LABEL.get(label) or (None, None)
    if any(hint in label.lower() for hint in _NOT_ATTACHED_HINTS):
        return NotAttachedToStructureError(
            code, label, fix=_NOT_ATTACHED_FIX, operation=operation.name, status_code=status_code
        )
    return BusinessError(
        code, label, explanation=explanation, fix=fix, operation=operation.name, status_code=status_code
    )
