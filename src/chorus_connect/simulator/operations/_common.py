"""Helpers shared by the reference-data operation families (transverses, structures, utilisateurs,
engagements juridiques, factures travaux): refusal tables, input checks, access rules, directory views."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from chorus_connect.simulator.clock import PARIS
from chorus_connect.simulator.dataset import Service, Structure, StructureKind, TechnicalAccount
from chorus_connect.simulator.envelope import BusinessError, api_minute, paginate
from chorus_connect.simulator.registry import CallContext

Item = TypeVar("Item")

LANGUAGES = ("FR", "EN")
SORT_DIRECTIONS = ("Ascendant", "Descendant")
IDENTIFIER_TYPES = ("SIRET", "UE_HORS_FRANCE", "HORS_UE", "RIDET", "TAHITI", "AUTRE", "PARTICULIER")

# Link ids (rattachements) are not in the data set: they are derived from the user and service ids so
# that every operation that shows them agrees, and so that they never collide with other id ranges.
LINK_ID_BASE = 40_000_000_000


@dataclass(frozen=True)
class Refusal:
    """One business error of a family: `codeRetour`, message code and a French explanation template.

    The real per-service tables of the API appendix could not be read (reference §2.0.1): every family
    keeps its refusals in one table of constants so they can be corrected in one place."""

    code: int
    message_code: str
    text: str

    def error(self, http_status: int = 400, **values: Any) -> BusinessError:
        return BusinessError(self.code, f"{self.message_code} {self.text.format(**values)}", http_status)


@dataclass(frozen=True)
class InputRefusals:
    """The refusals an operation uses for malformed input (missing field, bad value, bad page request)."""

    missing: Refusal  # text with {field}
    invalid: Refusal  # text with {field}, {value}, {allowed}


def required(body: dict[str, Any], field: str, refusals: InputRefusals) -> Any:
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise refusals.missing.error(field=field)
    return value


def required_int(body: dict[str, Any], field: str, refusals: InputRefusals) -> int:
    return as_int(required(body, field, refusals), field, refusals)


def optional_int(body: dict[str, Any], field: str, refusals: InputRefusals) -> int | None:
    """An optional numeric id: absent, null or 0 mean "not given"."""
    value = body.get(field)
    if value is None or value == "" or value == 0:
        return None
    return as_int(value, field, refusals)


def as_int(value: Any, field: str, refusals: InputRefusals) -> int:
    if isinstance(value, bool):
        raise refusals.invalid.error(field=field, value=value, allowed="un entier")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise refusals.invalid.error(field=field, value=value, allowed="un entier") from None


def optional_choice(
    body: dict[str, Any], field: str, allowed: Sequence[str], refusals: InputRefusals
) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise refusals.invalid.error(field=field, value=value, allowed=", ".join(allowed))
    return str(value)


def optional_bool(body: dict[str, Any], field: str, refusals: InputRefusals) -> bool | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise refusals.invalid.error(field=field, value=value, allowed="true, false")
    return value


def optional_object(body: dict[str, Any], field: str, refusals: InputRefusals) -> dict[str, Any]:
    value = body.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise refusals.invalid.error(field=field, value=type(value).__name__, allowed="un objet JSON")
    return value


def language(body: dict[str, Any], refusals: InputRefusals) -> str:
    """`codeLangue`: FR (default) or EN."""
    value = body.get("codeLangue")
    if value is None or value == "":
        return "FR"
    code = str(value).upper()
    if code not in LANGUAGES:
        raise refusals.invalid.error(field="codeLangue", value=value, allowed=", ".join(LANGUAGES))
    return code


def checked_page(
    body: dict[str, Any],
    object_name: str,
    items: Sequence[Item],
    sort_keys: dict[str, Callable[[Item], Any]],
    refusals: InputRefusals,
) -> tuple[list[Item], dict[str, int]]:
    """Validate the operation's pagination object (named per operation) then cut one page.

    `triColonne` must be one of the operation's sort columns and `triSens` Ascendant/Descendant (the
    Swagger enums); the go client's `"Ascendant "` with a trailing space is tolerated."""
    params = optional_object(body, object_name, refusals)
    for field in ("pageResultatDemandee", "nbResultatsParPage"):
        value = params.get(field)
        if value is not None and (as_int(value, f"{object_name}.{field}", refusals) < 1):
            raise refusals.invalid.error(
                field=f"{object_name}.{field}", value=value, allowed="un entier >= 1"
            )
    direction = params.get("triSens")
    if direction not in (None, "") and str(direction).strip() not in SORT_DIRECTIONS:
        raise refusals.invalid.error(
            field=f"{object_name}.triSens", value=direction, allowed=", ".join(SORT_DIRECTIONS)
        )
    column = params.get("triColonne")
    if column not in (None, "") and column not in sort_keys:
        raise refusals.invalid.error(
            field=f"{object_name}.triColonne", value=column, allowed=", ".join(sort_keys)
        )
    return paginate(items, params, sort_keys)


# --- structures and access -----------------------------------------------------------------------------


def is_attached(ctx: CallContext, structure: Structure) -> bool:
    return structure.structure_id in ctx.account.structure_ids


def find_structure(ctx: CallContext, structure_id: int) -> Structure | None:
    return next((s for s in ctx.platform.state.dataset.structures if s.structure_id == structure_id), None)


def find_structure_by_identifier(
    ctx: CallContext, identifier: str, identifier_type: str | None
) -> Structure | None:
    return next(
        (
            s
            for s in ctx.platform.state.dataset.structures
            if s.siret == identifier and (identifier_type is None or s.identifier_type == identifier_type)
        ),
        None,
    )


def readable_structure(
    ctx: CallContext, structure_id: int, unknown: Refusal, forbidden: Refusal
) -> Structure:
    """Public structures are open to every account (the directory is public); a private structure is
    shown only to the accounts attached to it."""
    structure = find_structure(ctx, structure_id)
    if structure is None:
        raise unknown.error(id=structure_id)
    if structure.kind is StructureKind.PRIVATE and not is_attached(ctx, structure):
        raise forbidden.error(id=structure_id)
    return structure


def own_structure(ctx: CallContext, structure_id: int, unknown: Refusal, forbidden: Refusal) -> Structure:
    """A structure the calling account is attached to (bank details, attachments, user links)."""
    structure = find_structure(ctx, structure_id)
    if structure is None:
        raise unknown.error(id=structure_id)
    if not is_attached(ctx, structure):
        raise forbidden.error(id=structure_id)
    return structure


def accounts_of(ctx: CallContext, structure: Structure) -> list[TechnicalAccount]:
    return [
        a for a in ctx.platform.state.dataset.technical_accounts if structure.structure_id in a.structure_ids
    ]


def structure_status(structure: Structure) -> str:
    """Output enum of the Structures API (the search input uses ACTIF/INACTIF)."""
    return "ACTIVE" if structure.active else "INACTIVE"


def service_status(service: Service) -> str:
    return "ACTIF" if service.active else "INACTIF"


def service_moment(day: dt.date | None) -> str | None:
    """Service dates are shown as `YYYY-MM-DD HH:MM` (reference §2.0, `dateDbtService`)."""
    if day is None:
        return None
    return api_minute(dt.datetime.combine(day, dt.time(), tzinfo=PARIS))


def midnight(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=PARIS)


def link_id(user_id: int, object_id: int) -> int:
    """A stable id for the link (rattachement) between a user and a structure or service."""
    return LINK_ID_BASE + (user_id % 100_000) * 100_000_000 + object_id % 100_000_000


# --- text matching -------------------------------------------------------------------------------------


def folded(text: str | None) -> str:
    """Case- and accent-insensitive form, for the "contains" filters of the searches."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def contains(haystack: str | None, needle: str) -> bool:
    return folded(needle) in folded(haystack)


def contains_any(haystacks: Iterable[str | None], needle: str) -> bool:
    return any(contains(h, needle) for h in haystacks)
