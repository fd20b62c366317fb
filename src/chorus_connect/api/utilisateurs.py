"""Utilisateurs API (``/cpro/utilisateurs/v1``): the structures and services the account is attached to."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chorus_connect.api._operations import DEFAULT_PAGE_SIZE, ApiFamily, search
from chorus_connect.api.models import utilisateurs as m

FAMILY = "utilisateurs"

RATTACHEMENTS = search(
    "recupererRattachementsMonCompteUtilisateur", FAMILY, "monCompte/recuperer/rattachements"
)

OPERATIONS = (RATTACHEMENTS,)

Request = Mapping[str, Any]


class Utilisateurs(ApiFamily):
    """``client.utilisateurs``."""

    def my_attachments(
        self, request: m.MyAttachmentsRequest | Request | None = None
    ) -> m.MyAttachmentsResponse:
        """``monCompte/recuperer/rattachements``, one page: e.g. to find the supplier's own idStructureCPP."""
        return self._call(RATTACHEMENTS, request, m.MyAttachmentsRequest, m.MyAttachmentsResponse)

    def iter_my_attachments(
        self, request: m.MyAttachmentsRequest | Request | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[m.StructureAttachment]:
        return self._iterate(
            RATTACHEMENTS, request, m.MyAttachmentsRequest, m.MyAttachmentsResponse, page_size
        )
