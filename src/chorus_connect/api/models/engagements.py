"""Models of the Engagements juridiques API (``/cpro/engagementsJuridiques/v1``).

Only the search input is documented (as OCA sends it); item fields beyond the number and the state are
unknown and kept as extra fields.
"""

from __future__ import annotations

from pydantic import Field

from chorus_connect.api.models._base import (
    Amount,
    ChorusModel,
    ChorusRequest,
    ChorusResponse,
    PagedRequest,
    PagedResponse,
    PageRequest,
    wire,
)
from chorus_connect.api.models.enums import CommitmentState


class SearchCommitmentsRequest(PagedRequest):
    """``rechercherEngagementJuridique``. The receiving structure is the *supplier* (the EJ is addressed
    to it), given as its idStructureCPP in a string."""

    paging: PageRequest | None = wire("parametresRecherche")
    receiving_structure: str | None = wire("structureReceptriceEngagementJuridique")
    issuing_structure: str | None = wire("structureEmettriceEngagementJuridique")
    number: str | None = wire("numeroEngagementJuridique")
    state: CommitmentState | None = wire("etatCourantEngagementJuridique")


class Commitment(ChorusModel):
    number: str | None = wire("numeroEngagementJuridique")
    state: CommitmentState | None = wire("etatCourantEngagementJuridique")
    receiving_structure_id: int | None = wire("idStructureReceptriceEngagementJuridique")
    receiving_structure_identifier: str | None = wire("identifiantStructureReceptriceEngagementJuridique")
    issuing_structure_id: int | None = wire("idStructureEmettriceEngagementJuridique")
    issuing_structure_identifier: str | None = wire("identifiantStructureEmettriceEngagementJuridique")
    amount: Amount | None = wire("montantEngagementJuridique")
    currency: str | None = wire("deviseEngagementJuridique")


class SearchCommitmentsResponse(PagedResponse):
    items_field = "commitments"
    commitments: list[Commitment] = Field(default_factory=list, alias="listeEngagementJuridique")


class ConsultCommitmentRequest(ChorusRequest):
    """``consulterEngagementJuridique`` (path inferred)."""

    number: str = wire("numeroEngagementJuridique", ...)
    receiving_structure: str | None = wire("structureReceptriceEngagementJuridique")


class ConsultCommitmentResponse(ChorusResponse, Commitment):
    """The commitment's fields at the top level of the answer."""
