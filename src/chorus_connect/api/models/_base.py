"""Building blocks of the API models: tolerant enums, Chorus Pro dates, the return envelope, paging."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

# --- Tolerant enums -----------------------------------------------------------------------------------


class TolerantEnum(StrEnum):
    """A string enum that accepts values it does not know, keeping the raw string.

    The Chorus Pro API evolves (new statuses, new syntaxes): an unknown value becomes a pseudo-member whose
    value is the raw string, compares equal to it, serialises back unchanged and reports ``is_known`` False.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        pseudo = str.__new__(cls, value)
        pseudo._name_ = value
        pseudo._value_ = value
        return pseudo

    @property
    def is_known(self) -> bool:
        return type(self)._value2member_map_.get(self._value_) is self


# --- Dates --------------------------------------------------------------------------------------------

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_MINUTES = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def parse_chorus_date(value: Any) -> dt.date | dt.datetime | None:
    """Read the three date shapes of the API into ``date`` or ``datetime``.

    ``YYYY-MM-DD`` gives a date; ``YYYY-MM-DD HH:MM`` a naive datetime (Chorus Pro's local time);
    ISO-8601 (``2018-02-16T15:10:25.536+01:00``, with or without offset or seconds) a datetime.
    Empty strings and None give None. Anything else is an error naming the expected shapes.
    """
    if value is None or isinstance(value, dt.date):  # datetime is a date too
        return value
    if not isinstance(value, str):
        raise ValueError(f"a date must be a string, got {type(value).__name__}")
    text = value.strip()
    if not text:
        return None
    if _DAY.fullmatch(text):
        return dt.date.fromisoformat(text)
    if _DAY_MINUTES.fullmatch(text):
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"unrecognised date {text!r}: expected YYYY-MM-DD, YYYY-MM-DD HH:MM or ISO-8601 with offset"
        ) from None


def format_chorus_date(value: dt.date | dt.datetime) -> str:
    """Write a date back in the shape it would have on the wire."""
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    if value.tzinfo is not None:
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if value.second == 0 and value.microsecond == 0:
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat(timespec="seconds")


ChorusDate = Annotated[
    dt.date | dt.datetime,
    BeforeValidator(parse_chorus_date),
    PlainSerializer(format_chorus_date, return_type=str, when_used="json"),
]


def _amount_to_number(value: Decimal) -> int | float:
    # Chorus Pro takes amounts as JSON numbers (at most 6 decimals), not strings.
    return int(value) if value == value.to_integral_value() else float(value)


Amount = Annotated[Decimal, PlainSerializer(_amount_to_number, when_used="json")]


def encode_file(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def file_fingerprint(encoded: str) -> dict[str, Any]:
    """Size and SHA-256 of a base64 file: enough to recognise the same file later without keeping it."""
    try:
        raw = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        return {"file_base64_length": len(encoded)}
    return {"file_size": len(raw), "file_sha256": hashlib.sha256(raw).hexdigest()}


def wire(name: str, default: Any = None) -> Any:
    """A field sent and received under its Chorus Pro (French) name."""
    return Field(default, alias=name)


# --- Base models --------------------------------------------------------------------------------------


class ChorusModel(BaseModel):
    """Pythonic field names, French wire names as aliases; unknown wire fields are kept, not rejected."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", use_enum_values=False)

    def to_wire(self) -> dict[str, Any]:
        """The JSON body Chorus Pro expects: French names, no unset optional fields."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def identifying_fields(self) -> dict[str, Any]:
        """Fields that identify what a state-changing request does (see OutcomeUnknownError)."""
        return {}


class ChorusRequest(ChorusModel):
    """Base of request bodies. ``current_user_id`` is optional for technical accounts (reference §2.0)."""

    current_user_id: int | None = Field(None, alias="idUtilisateurCourant")


class ChorusResponse(ChorusModel):
    """The envelope every answer carries: ``codeRetour`` (0 = success) and ``libelle`` (a message code)."""

    return_code: int = Field(0, alias="codeRetour")
    label: str = Field("", alias="libelle")

    @property
    def is_empty_result(self) -> bool:
        """True when Chorus Pro reported "no result" (20000 / 20007) instead of an empty list."""
        return self.return_code != 0


class SortDirection(TolerantEnum):
    ASCENDING = "Ascendant"
    DESCENDING = "Descendant"


class PageRequest(ChorusModel):
    """The paging object of searches (its own name differs per operation; its fields do not)."""

    page: int = Field(1, alias="pageResultatDemandee", ge=1)
    page_size: int | None = Field(None, alias="nbResultatsParPage", ge=1)
    sort_column: str | None = Field(None, alias="triColonne")
    sort_direction: SortDirection | None = Field(None, alias="triSens")


class PageInfo(ChorusModel):
    """``parametresRetour``: where this page sits in the whole result."""

    current_page: int | None = Field(None, alias="pageCourante")
    pages: int | None = Field(None, alias="pages")
    page_size: int | None = Field(None, alias="nbResultatsParPage")
    total: int | None = Field(None, alias="total")


class PagedRequest(ChorusRequest):
    """A search request; ``paging`` is sent under the operation's own name (its alias)."""

    paging: PageRequest | None = None

    def for_page(self, page: int, page_size: int) -> Self:
        current = self.paging or PageRequest()
        return self.model_copy(
            update={"paging": current.model_copy(update={"page": page, "page_size": page_size})}
        )


class PagedResponse(ChorusResponse):
    """A search answer: a list (named per operation, see ``items_field``) and the paging information."""

    items_field: ClassVar[str] = "items"
    page_info_nested: PageInfo | None = Field(None, alias="parametresRetour")

    @property
    def page_info(self) -> PageInfo | None:
        if self.page_info_nested is not None:
            return self.page_info_nested
        # Some searches (e.g. the recipient's invoice search) return the paging fields at top level.
        extra = self.model_extra or {}
        top = {
            key: extra[key]
            for key in ("pageCourante", "pages", "nbResultatsParPage", "total")
            if key in extra
        }
        return PageInfo.model_validate(top) if top else None

    def page_items(self) -> list[Any]:
        return list(getattr(self, self.items_field) or [])
