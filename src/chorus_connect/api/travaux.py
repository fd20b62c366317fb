"""Factures travaux API (``/cpro/facturesTravaux/v1``): works invoices (frameworks A4-A8, A10-A25).

Only ``rechercher`` has a confirmed PISTE path; the other paths are inferred from it (reference §2.6).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chorus_connect.api._operations import DEFAULT_PAGE_SIZE, ApiFamily, change, search
from chorus_connect.api.models import travaux as m
from chorus_connect.api.models._base import ChorusResponse

FAMILY = "facturesTravaux"

RECHERCHER = search("rechercherFactureTravaux", FAMILY, "rechercher")
SUSPENDRE_OU_COMPLETER = change(
    "SuspendreOuDemanderCompleterFactureTravaux", FAMILY, "suspendre/demander/completer/factureTravaux"
)
DEMANDER_RECYCLAGE = change("DemanderRecyclagePiecePrecedente", FAMILY, "demander/recyclage")
SOUMETTRE = change("soumettreFactureTravaux", FAMILY, "soumettre")
RECYCLER = change("recyclerFactureTravaux", FAMILY, "recycler")
REFUSER = change("refuserFactureTravaux", FAMILY, "refuser")

OPERATIONS = (RECHERCHER, SUSPENDRE_OU_COMPLETER, DEMANDER_RECYCLAGE, SOUMETTRE, RECYCLER, REFUSER)

Request = Mapping[str, Any]


class Travaux(ApiFamily):
    """``client.travaux``."""

    def search(
        self, request: m.SearchWorksInvoicesRequest | Request | None = None
    ) -> m.SearchWorksInvoicesResponse:
        """``rechercherFactureTravaux``, one page ("no result", codeRetour 20007, is an empty list)."""
        return self._call(RECHERCHER, request, m.SearchWorksInvoicesRequest, m.SearchWorksInvoicesResponse)

    def iter(
        self,
        request: m.SearchWorksInvoicesRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.WorksInvoiceSummary]:
        return self._iterate(
            RECHERCHER, request, m.SearchWorksInvoicesRequest, m.SearchWorksInvoicesResponse, page_size
        )

    def suspend_or_request_completion(self, request: m.WorksInvoiceActionRequest | Request) -> ChorusResponse:
        return self._call(SUSPENDRE_OU_COMPLETER, request, m.WorksInvoiceActionRequest, ChorusResponse)

    def submit(
        self, request: m.SubmitWorksInvoiceRequest | Request, *, context: Mapping[str, Any] | None = None
    ) -> m.WorksInvoiceActionResponse:
        """``soumettreFactureTravaux``."""
        return self._call(
            SOUMETTRE, request, m.SubmitWorksInvoiceRequest, m.WorksInvoiceActionResponse, context=context
        )

    def recycle(self, request: m.WorksInvoiceActionRequest | Request) -> m.WorksInvoiceActionResponse:
        """``recyclerFactureTravaux``."""
        return self._call(RECYCLER, request, m.WorksInvoiceActionRequest, m.WorksInvoiceActionResponse)

    def refuse(self, request: m.WorksInvoiceActionRequest | Request) -> m.WorksInvoiceActionResponse:
        """``refuserFactureTravaux``."""
        return self._call(REFUSER, request, m.WorksInvoiceActionRequest, m.WorksInvoiceActionResponse)

    def request_previous_recycling(
        self, request: m.WorksInvoiceActionRequest | Request
    ) -> m.RequestPreviousRecyclingResponse:
        return self._call(
            DEMANDER_RECYCLAGE, request, m.WorksInvoiceActionRequest, m.RequestPreviousRecyclingResponse
        )
