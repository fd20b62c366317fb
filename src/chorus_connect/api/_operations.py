"""What the client needs to know about each Chorus Pro operation, and the base of the API family modules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from chorus_connect.api._pagination import DEFAULT_PAGE_SIZE, paginate
from chorus_connect.api._requests import build_request
from chorus_connect.api.models._base import ChorusModel, ChorusResponse, PagedRequest, PagedResponse

ResponseT = TypeVar("ResponseT", bound=ChorusResponse)
PagedT = TypeVar("PagedT", bound=PagedResponse)

# "The search found nothing" is reported with these codes instead of an empty list (reference §2.0.1):
# 20000 / TRA_MSG_00.015 (recipient search) and 20007 / GFT_MSG_01.075 (works search). Codes are numbered
# per service, so they only mean "no result" on searches.
NO_RESULT_CODES = frozenset({20000, 20007})

# The PISTE API families (one subscription each) and how users see them on piste.gouv.fr.
FAMILY_TITLES = {
    "factures": "Factures",
    "transverses": "Transverses",
    "structures": "Structures",
    "utilisateurs": "Utilisateurs",
    "engagementsJuridiques": "Engagements juridiques",
    "facturesTravaux": "Factures travaux",
}


@dataclass(frozen=True, slots=True)
class Operation:
    """One Chorus Pro operation.

    ``idempotent`` False marks calls that change state (deposits, submissions, processing): they are never
    resent after the request may have reached the server. ``search`` marks the operations whose "no
    result" codes mean an empty answer.
    """

    name: str
    family: str
    path: str
    method: str = "POST"
    idempotent: bool = True
    search: bool = False

    @property
    def url_path(self) -> str:
        return f"/cpro/{self.family}/v1/{self.path}"

    @property
    def family_title(self) -> str:
        return FAMILY_TITLES.get(self.family, self.family)

    def is_no_result(self, code: int) -> bool:
        return self.search and code in NO_RESULT_CODES


def read(name: str, family: str, path: str, *, method: str = "POST") -> Operation:
    return Operation(name, family, path, method=method)


def search(name: str, family: str, path: str) -> Operation:
    return Operation(name, family, path, search=True)


def change(name: str, family: str, path: str) -> Operation:
    return Operation(name, family, path, idempotent=False)


class Caller(Protocol):
    """The part of the client the API families use."""

    def call(
        self,
        operation: Operation,
        request: ChorusModel | Mapping[str, Any] | None,
        response_model: type[ResponseT],
        *,
        request_model: type[ChorusModel] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> ResponseT: ...


class ApiFamily:
    """Base of ``client.factures``, ``client.structures``...: typed methods over ``Caller.call``."""

    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    def _call(
        self,
        operation: Operation,
        request: ChorusModel | Mapping[str, Any] | None,
        request_model: type[ChorusModel],
        response_model: type[ResponseT],
        *,
        context: Mapping[str, Any] | None = None,
    ) -> ResponseT:
        return self._caller.call(
            operation, request, response_model, request_model=request_model, context=context
        )

    def _iterate(
        self,
        operation: Operation,
        request: PagedRequest | Mapping[str, Any] | None,
        request_model: type[PagedRequest],
        response_model: type[PagedT],
        page_size: int,
    ) -> Iterator[Any]:
        first = build_request(request, request_model, operation=operation.name)

        def fetch(page_request: PagedRequest) -> PagedT:
            return self._call(operation, page_request, request_model, response_model)

        return paginate(fetch, first, page_size=page_size, operation=operation.name)


__all__ = ["DEFAULT_PAGE_SIZE", "ApiFamily", "Caller", "Operation", "change", "read", "search"]
