"""Errors of the REST API as RFC 9457 problem details (``application/problem+json``).

Every problem has ``type`` (a URI reference under ``/api/v1/problems/``, described at that address),
``title``, ``status``, ``detail`` (what is wrong), ``instance`` (the request path) and two extension
members: ``fix`` (what to do) and, when fields are at fault, ``errors`` — one entry per field with
``field`` (dotted path, ``lines[0].quantity``), ``message`` and ``fix``. Secrets never appear.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from chorus_connect.invoice import InvoiceInputError
from chorus_connect.invoice.errors import field_path
from chorus_connect.store import (
    ConflictError,
    InvalidInputError,
    LeaseLostError,
    MigrationError,
    NotFoundError,
    SecretKeyError,
    StoreError,
)

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "/api/v1/problems/"


@dataclass(frozen=True, slots=True)
class ProblemType:
    slug: str
    title: str
    status: int
    description: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


def _types(*items: ProblemType) -> dict[str, ProblemType]:
    return {item.slug: item for item in items}


PROBLEM_TYPES = _types(
    ProblemType("invalid-request", "The request is not valid", 422, "A field is missing or malformed."),
    ProblemType("invalid-input", "The data breaks a rule", 422, "A value breaks a rule of the connector."),
    ProblemType("invalid-invoice", "The invoice cannot be read", 422, "The file or JSON is not an invoice."),
    ProblemType(
        "idempotency-key-reused",
        "Idempotency-Key reused with another request",
        422,
        "The key was first used with a different body, query or content type.",
    ),
    ProblemType(
        "idempotency-key-invalid", "Idempotency-Key is not valid", 400, "1 to 255 visible ASCII characters."
    ),
    ProblemType(
        "request-in-progress",
        "A request with this Idempotency-Key is in progress",
        409,
        "Wait for the first request to finish, then retry.",
    ),
    ProblemType("unauthenticated", "Authentication required", 401, "Send a valid API key."),
    ProblemType("forbidden", "Not allowed", 403, "The key or user may not do this."),
    ProblemType("not-found", "Not found", 404, "No such object among those you may see."),
    ProblemType("method-not-allowed", "Method not allowed", 405, "See the OpenAPI description."),
    ProblemType("conflict", "Conflict with the current state", 409, "The object's state forbids it."),
    ProblemType("action-refused", "Action refused", 409, "Chorus Pro or the connector refused the action."),
    ProblemType("payload-too-large", "Payload too large", 413, "A file is over the size limit."),
    ProblemType("unsupported-media-type", "Unsupported media type", 415, "Send the documented type."),
    ProblemType("too-many-requests", "Too many requests", 429, "Wait, then retry."),
    ProblemType("chorus-error", "Chorus Pro answered with an error", 502, "See detail and fix."),
    ProblemType("service-unavailable", "Service unavailable", 503, "A part of the service is not ready."),
    ProblemType("internal-error", "Internal error", 500, "An unexpected error; it was logged."),
    ProblemType("http-error", "HTTP error", 400, "See detail."),
)


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field at fault, e.g. lines[0].quantity")
    message: str
    fix: str = ""


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with ``fix`` and per-field ``errors``."""

    type: str = Field(description="URI reference of the problem type")
    title: str
    status: int
    detail: str = ""
    instance: str | None = None
    fix: str = ""
    errors: list[FieldError] = Field(default_factory=list)


@dataclass
class Problem(Exception):
    """Raise it anywhere in the API: it becomes a problem-details answer."""

    slug: str
    detail: str
    fix: str = ""
    errors: Sequence[FieldError] = ()
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    french: str | None = None  # the message shown on the French pages (the API speaks English)

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    @property
    def kind(self) -> ProblemType:
        return PROBLEM_TYPES.get(self.slug, PROBLEM_TYPES["http-error"])

    def body(self, instance: str | None) -> dict[str, Any]:
        kind = self.kind
        return ProblemDetails(
            type=kind.uri,
            title=kind.title,
            status=self.status or kind.status,
            detail=self.detail,
            instance=instance,
            fix=self.fix,
            errors=list(self.errors),
        ).model_dump()

    def response(self, instance: str | None) -> JSONResponse:
        return JSONResponse(
            self.body(instance),
            status_code=self.status or self.kind.status,
            media_type=PROBLEM_MEDIA_TYPE,
            headers=dict(self.headers),
        )


# --- translating the errors of the other parts -----------------------------------------------------------


_VALIDATION_FIXES = {
    "missing": "give this field",
    "extra_forbidden": "remove this field (see the OpenAPI description for the allowed ones)",
    "int_parsing": "give a whole number",
    "int_type": "give a whole number",
    "decimal_parsing": "give a number with a decimal point, e.g. 12.50",
    "date_parsing": "give a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "give a date as YYYY-MM-DD",
    "enum": "use one of the allowed values",
    "literal_error": "use one of the allowed values",
    "string_too_short": "give a non-empty value",
    "string_too_long": "shorten it",
    "greater_than_equal": "give a larger value",
    "less_than_equal": "give a smaller value",
    "bool_parsing": "give true or false",
    "json_invalid": "send a valid JSON document",
    "model_attributes_type": "send a JSON object",
    "dict_type": "send a JSON object",
    "list_type": "send a JSON array",
}


def from_request_validation(error: RequestValidationError) -> Problem:
    errors = []
    for item in error.errors():
        location = tuple(item.get("loc", ()))
        where, rest = (location[0], location[1:]) if location else ("body", ())
        path = field_path(rest) if rest else str(where)
        if where in ("query", "header", "path") and rest:
            path = f"{where}.{path}"
        errors.append(
            FieldError(
                field=path,
                message=str(item.get("msg", "is not valid")),
                fix=_VALIDATION_FIXES.get(str(item.get("type")), "correct the value"),
            )
        )
    fields = ", ".join(e.field for e in errors[:5])
    return Problem(
        "invalid-request",
        f"{len(errors)} field(s) of the request are missing or malformed: {fields}.",
        fix="Correct the fields listed in errors and send the request again.",
        errors=errors,
    )


def from_store_error(error: StoreError) -> Problem:
    if isinstance(error, InvalidInputError):
        errors = [FieldError(field=p.field, message=p.message, fix=p.fix) for p in error.problems]
        return Problem("invalid-input", error.message, fix=error.fix or errors[0].fix, errors=errors)
    if isinstance(error, NotFoundError):
        return Problem("not-found", f"No {error.what} {error.key!r} among those you may see.", fix=error.fix)
    if isinstance(error, ConflictError | LeaseLostError):
        return Problem("conflict", error.message, fix=error.fix)
    if isinstance(error, SecretKeyError | MigrationError):
        log.error("web.store_unavailable %s", error)
        return Problem(
            "service-unavailable",
            "The store cannot be used by the server right now.",
            fix="An administrator must fix the server's configuration (see the server's log).",
        )
    return Problem("conflict", error.message, fix=error.fix)


def from_invoice_input(error: InvoiceInputError) -> Problem:
    errors = [
        FieldError(field=p.field or "invoice", message=p.message, fix="correct this field of the invoice")
        for p in error.problems
    ]
    return Problem(
        "invalid-invoice",
        f"{error.source}: the invoice cannot be read ({len(errors)} problem(s)).",
        fix="Correct the fields listed in errors; the formats are described in docs/invoices.md.",
        errors=errors,
    )


def from_http_exception(error: StarletteHTTPException) -> Problem:
    slugs = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "payload-too-large",
        415: "unsupported-media-type",
        429: "too-many-requests",
    }
    detail = error.detail if isinstance(error.detail, str) else "The request cannot be served."
    return Problem(
        slugs.get(error.status_code, "http-error"),
        detail,
        status=error.status_code,
        headers=dict(error.headers or {}),
    )


def problem_catalogue() -> list[dict[str, Any]]:
    return [
        {"type": kind.uri, "title": kind.title, "status": kind.status, "description": kind.description}
        for kind in PROBLEM_TYPES.values()
    ]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting problem answers."""
    return {
        status: {"model": ProblemDetails, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": _title(status)}
        for status in statuses
    }


def _title(status: int) -> str:
    for kind in PROBLEM_TYPES.values():
        if kind.status == status:
            return kind.title
    return "Problem"
