"""Engagements juridiques API (``/cpro/engagementsJuridiques/v1``): check a commitment (EJ) number."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chorus_connect.api._operations import DEFAULT_PAGE_SIZE, ApiFamily, read, search
from chorus_connect.api.models import engagements as m

FAMILY = "engagementsJuridiques"

RECHERCHER = search("rechercherEngagementJuridique", FAMILY, "rechercher")
CONSULTER = read("consulterEngagementJuridique", FAMILY, "consulter")  # path inferred (§2.5)

OPERATIONS = (RECHERCHER, CONSULTER)

Request = Mapping[str, Any]


class Engagements(ApiFamily):
    """``client.engagements``."""

    def search(
        self, request: m.SearchCommitmentsRequest | Request | None = None
    ) -> m.SearchCommitmentsResponse:
        """``rechercherEngagementJuridique``, one page. Exactly one match means the number is valid."""
        return self._call(RECHERCHER, request, m.SearchCommitmentsRequest, m.SearchCommitmentsResponse)

    def iter(
        self,
        request: m.SearchCommitmentsRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.Commitment]:
        return self._iterate(
            RECHERCHER, request, m.SearchCommitmentsRequest, m.SearchCommitmentsResponse, page_size
        )

    def consult(self, request: m.ConsultCommitmentRequest | Request) -> m.ConsultCommitmentResponse:
        """``consulterEngagementJuridique``."""
        return self._call(CONSULTER, request, m.ConsultCommitmentRequest, m.ConsultCommitmentResponse)
