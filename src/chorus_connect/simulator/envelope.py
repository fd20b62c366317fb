"""Response envelopes of the Chorus Pro API: `codeRetour`/`libelle`, business errors, pagination."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

SUCCESS_LABEL = "TRA_MSG_00.000"
DEFAULT_PAGE_SIZE = 10  # observed default of the real API when the caller sends no page size

Item = TypeVar("Item")


class BusinessError(Exception):
    """A refusal by the platform: HTTP 400 with a non-zero `codeRetour` and a message code."""

    def __init__(self, code: int, label: str, http_status: int = 400) -> None:
        super().__init__(f"{code} {label}")
        self.code = code
        self.label = label
        self.http_status = http_status

    def body(self) -> dict[str, Any]:
        return {"codeRetour": self.code, "libelle": self.label}


class NoResult(Exception):
    """An empty search: the platform answers HTTP 200 with a non-zero "no result" code (§2.0.1)."""

    def __init__(self, code: int, label: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code} {label}")
        self.code = code
        self.label = label
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"codeRetour": self.code, "libelle": self.label, **self.extra}


def success(**fields: Any) -> dict[str, Any]:
    return {"codeRetour": 0, "libelle": SUCCESS_LABEL, **fields}


def page_request(params: dict[str, Any] | None) -> tuple[int, int, str | None, bool]:
    """Read a pagination object (its name differs per operation): page, size, sort column, descending."""
    params = params or {}
    page = _positive_int(params.get("pageResultatDemandee"), 1)
    size = _positive_int(params.get("nbResultatsParPage"), DEFAULT_PAGE_SIZE)
    column = params.get("triColonne") or None
    descending = str(params.get("triSens") or "").strip() == "Descendant"
    return page, size, column, descending


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def paginate(
    items: Sequence[Item],
    params: dict[str, Any] | None,
    sort_keys: dict[str, Callable[[Item], Any]] | None = None,
) -> tuple[list[Item], dict[str, int]]:
    """Cut one page out of `items` and build the `parametresRetour` object of the real API."""
    page, size, column, descending = page_request(params)
    ordered = list(items)
    if sort_keys and column in sort_keys:
        ordered.sort(key=sort_keys[column], reverse=descending)
    elif descending:
        ordered.reverse()
    total = len(ordered)
    pages = max(1, -(-total // size))
    start = (page - 1) * size
    return ordered[start : start + size], {
        "pageCourante": page,
        "pages": pages,
        "nbResultatsParPage": size,
        "total": total,
    }


# The three date shapes of the real API.
def api_date(value: dt.date | dt.datetime | None) -> str | None:
    """`YYYY-MM-DD` (invoice dates, most inputs and outputs)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


def api_minute(value: dt.datetime | None) -> str | None:
    """`YYYY-MM-DD HH:MM` (history timestamps, service dates)."""
    return value.strftime("%Y-%m-%d %H:%M") if value else None


def api_timestamp(value: dt.datetime | None) -> str | None:
    """ISO 8601 with milliseconds and offset, e.g. `2018-02-16T15:10:25.536+01:00` (deposit reports)."""
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds")


def require(body: dict[str, Any], field: str, code: int, label: str) -> Any:
    """A mandatory input field: absent or empty is a business error naming the field."""
    value = body.get(field)
    if value is None or value == "":
        raise BusinessError(code, f"{label} : le champ {field} est obligatoire")
    return value


def require_int(body: dict[str, Any], field: str, code: int, label: str) -> int:
    value = require(body, field, code, label)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BusinessError(code, f"{label} : le champ {field} doit etre un entier") from None
