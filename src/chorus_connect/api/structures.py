"""Structures API (``/cpro/structures/v1``): find structures, their mandatory-data settings, services."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chorus_connect.api._operations import DEFAULT_PAGE_SIZE, ApiFamily, read, search
from chorus_connect.api.models import structures as m

FAMILY = "structures"

RECHERCHER = search("rechercherStructure", FAMILY, "rechercher")
CONSULTER = read("consulterStructureAvecTVAIntraCom", FAMILY, "consulter")
RECHERCHER_SERVICES = search("rechercherServicesStructure", FAMILY, "rechercher/services")
CONSULTER_SERVICE = read("consulterServiceStructure", FAMILY, "consulter/service")
RATTACHEMENTS_UTILISATEUR = search(
    "listerRattachementsStructureUtilisateur", FAMILY, "lister/rattachementsutilisateur"
)
RECHERCHER_ESPACES = search("rechercherEspaces", FAMILY, "rechercher/espaces")

OPERATIONS = (
    RECHERCHER,
    CONSULTER,
    RECHERCHER_SERVICES,
    CONSULTER_SERVICE,
    RATTACHEMENTS_UTILISATEUR,
    RECHERCHER_ESPACES,
)

Request = Mapping[str, Any]


class Structures(ApiFamily):
    """``client.structures``. Nominal sequence (Swagger): search → consult (mandatory data) → services."""

    def search(
        self, request: m.SearchStructuresRequest | Request | None = None
    ) -> m.SearchStructuresResponse:
        """``rechercherStructure``, one page."""
        return self._call(RECHERCHER, request, m.SearchStructuresRequest, m.SearchStructuresResponse)

    def iter(
        self,
        request: m.SearchStructuresRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.StructureSummary]:
        return self._iterate(
            RECHERCHER, request, m.SearchStructuresRequest, m.SearchStructuresResponse, page_size
        )

    def consult(self, structure_id: int, *, language: str | None = None) -> m.ConsultStructureResponse:
        """``consulterStructure``: identity, address and the flags making EJ / service code mandatory."""
        request = {"structure_id": structure_id, "language": language}
        return self._call(CONSULTER, request, m.ConsultStructureRequest, m.ConsultStructureResponse)

    def search_services(self, request: m.SearchServicesRequest | Request) -> m.SearchServicesResponse:
        """``rechercherServicesStructure``, one page."""
        return self._call(RECHERCHER_SERVICES, request, m.SearchServicesRequest, m.SearchServicesResponse)

    def iter_services(
        self, structure_id: int, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[m.ServiceSummary]:
        request = m.SearchServicesRequest(structure_id=structure_id)
        return self._iterate(
            RECHERCHER_SERVICES, request, m.SearchServicesRequest, m.SearchServicesResponse, page_size
        )

    def consult_service(
        self, structure_id: int, service_id: int, *, language: str | None = None
    ) -> m.ConsultServiceResponse:
        """``consulterServiceStructure``: whether the service itself requires an engagement number."""
        request = {"structure_id": structure_id, "service_id": service_id, "language": language}
        return self._call(CONSULTER_SERVICE, request, m.ConsultServiceRequest, m.ConsultServiceResponse)

    def list_user_attachments(
        self, request: m.ListUserAttachmentsRequest | Request | None = None
    ) -> m.ListUserAttachmentsResponse:
        """``listerRattachementsStructureUtilisateur``, one page."""
        return self._call(
            RATTACHEMENTS_UTILISATEUR, request, m.ListUserAttachmentsRequest, m.ListUserAttachmentsResponse
        )

    def iter_user_attachments(
        self,
        request: m.ListUserAttachmentsRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.UserServiceAttachment]:
        return self._iterate(
            RATTACHEMENTS_UTILISATEUR,
            request,
            m.ListUserAttachmentsRequest,
            m.ListUserAttachmentsResponse,
            page_size,
        )

    def search_spaces(self, request: m.SearchSpacesRequest | Request | None = None) -> m.SearchSpacesResponse:
        """``rechercherEspaces``, one page."""
        return self._call(RECHERCHER_ESPACES, request, m.SearchSpacesRequest, m.SearchSpacesResponse)

    def iter_spaces(
        self, request: m.SearchSpacesRequest | Request | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[m.Space]:
        return self._iterate(
            RECHERCHER_ESPACES, request, m.SearchSpacesRequest, m.SearchSpacesResponse, page_size
        )
