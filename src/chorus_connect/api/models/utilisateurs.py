"""Models of the Utilisateurs API (``/cpro/utilisateurs/v1``): the structures the account is attached to."""

from __future__ import annotations

from pydantic import Field

from chorus_connect.api.models._base import (
    ChorusDate,
    ChorusModel,
    PagedRequest,
    PagedResponse,
    PageRequest,
    wire,
)
from chorus_connect.api.models.enums import IdentifierType, UserRole


class MyAttachmentsRequest(PagedRequest):
    """``monCompte/recuperer/rattachements``."""

    paging: PageRequest | None = wire("parametresRecherche")


class AttachedService(ChorusModel):
    service_id: int | None = wire("idService")
    code: str | None = wire("codeService")
    label: str | None = wire("libelleService")
    active: bool | None = wire("estActif")
    starts_on: ChorusDate | None = wire("dateDbtService")
    ends_on: ChorusDate | None = wire("dateFinService")
    attachment_id: int | None = wire("idRattachementService")
    attachment_status: str | None = wire("statutRattachementService")
    status: str | None = wire("statutService")


class StructureAttachment(ChorusModel):
    structure_id: int | None = wire("idStructure")
    identifier: str | None = wire("identifiantStructure")
    identifier_type: IdentifierType | None = wire("typeIdentifiantStructure")
    name: str | None = wire("designationStructure")
    attachment_id: int | None = wire("idRattachementStructure")
    user_role: UserRole | None = wire("roleUtilisateur")
    attachment_status: str | None = wire("statutRattachementStructure")
    user_status: str | None = wire("statutUtilisateur")
    services: list[AttachedService] = Field(default_factory=list, alias="listeServicesRattache")


class MyAttachmentsResponse(PagedResponse):
    items_field = "structures"
    structures: list[StructureAttachment] = Field(default_factory=list, alias="listeStructureRattachement")
