"""Factures API (``/cpro/factures/v1``): deposit, submit, search, consult and process invoices.

State-changing operations (``deposer/flux``, ``deposer/pdf``, ``soumettre``, ``completer``, ``recycler``,
``traiter/recue`` and the validator actions) are never resent after the request may have reached Chorus
Pro: if their outcome is unknown they raise :class:`~chorus_connect.api.OutcomeUnknownError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chorus_connect.api._operations import DEFAULT_PAGE_SIZE, ApiFamily, change, read, search
from chorus_connect.api.models import factures as m
from chorus_connect.api.models._base import ChorusRequest, ChorusResponse

FAMILY = "factures"

DEPOSER_FLUX = change("deposerFluxFacture", FAMILY, "deposer/flux")
DEPOSER_PDF = change("deposerPDFFacture", FAMILY, "deposer/pdf")
SOUMETTRE = change("soumettreFacture", FAMILY, "soumettre")
COMPLETER = change("completerFacture", FAMILY, "completer")
RECYCLER = change("recyclerFacture", FAMILY, "recycler")
RECHERCHER_FOURNISSEUR = search("rechercherFactureParFournisseur", FAMILY, "rechercher/fournisseur")
CONSULTER_FOURNISSEUR = read("consulterFactureParFournisseur", FAMILY, "consulter/fournisseur")
CONSULTER_HISTORIQUE = read("consulterHistoriqueFacture", FAMILY, "consulter/historique")
RECHERCHER_RECIPIENDAIRE = search("rechercherFactureParRecipiendaire", FAMILY, "rechercher/recipiendaire")
CONSULTER_RECIPIENDAIRE = read("consulterFactureParRecipiendaire", FAMILY, "consulter/recipiendaire")
TRAITER_RECUE = change("traiterFactureRecue", FAMILY, "traiter/recue")
TELECHARGER_GROUPE = read("telechargerGroupeFacture", FAMILY, "telecharger/groupe")
RECHERCHER_DEMANDE_PAIEMENT = search("rechercherDemandePaiement", FAMILY, "rechercher/demandePaiement")
RECHERCHER_VALIDEUR = search("rechercherFactureParValideur", FAMILY, "rechercher/valideur")
CONSULTER_VALIDEUR = read("consulterFactureParValideur", FAMILY, "consulter/valideur")
TRAITER_A_VALIDER = change("traiterFactureAValider", FAMILY, "traiter/factureAValider")
STATUTS_VISIBLES_VALIDEUR = read(
    "recupererStatutsFactureVisiblesParValideur", FAMILY, "recuperer/statutsFactureVisibles/valideur"
)
CORRIGER_VALIDEUR = change("corrigerValideurFacture", FAMILY, "corriger/valideur/facture")
TRAITER_REJET = change("traiterRejet", FAMILY, "traiterRejet")

OPERATIONS = (
    DEPOSER_FLUX,
    DEPOSER_PDF,
    SOUMETTRE,
    COMPLETER,
    RECYCLER,
    RECHERCHER_FOURNISSEUR,
    CONSULTER_FOURNISSEUR,
    CONSULTER_HISTORIQUE,
    RECHERCHER_RECIPIENDAIRE,
    CONSULTER_RECIPIENDAIRE,
    TRAITER_RECUE,
    TELECHARGER_GROUPE,
    RECHERCHER_DEMANDE_PAIEMENT,
    RECHERCHER_VALIDEUR,
    CONSULTER_VALIDEUR,
    TRAITER_A_VALIDER,
    STATUTS_VISIBLES_VALIDEUR,
    CORRIGER_VALIDEUR,
    TRAITER_REJET,
)

Request = Mapping[str, Any]


class Factures(ApiFamily):
    """``client.factures``."""

    # --- supplier: deposit and submit ---------------------------------------------------------------

    def deposit_flux(
        self, request: m.DepositFluxRequest | Request, *, context: Mapping[str, Any] | None = None
    ) -> m.DepositFluxResponse:
        """``deposerFluxFacture``. Pass the invoice numbers and supplier of the file in ``context`` (e.g.
        ``{"invoice_numbers": [...], "supplier_siret": ...}``): they are put in the OutcomeUnknownError."""
        return self._call(DEPOSER_FLUX, request, m.DepositFluxRequest, m.DepositFluxResponse, context=context)

    def deposit_pdf(
        self, request: m.DepositPdfRequest | Request, *, context: Mapping[str, Any] | None = None
    ) -> m.DepositPdfResponse:
        """``deposerPDFFacture``: a PDF read by OCR; finish with :meth:`submit`."""
        return self._call(DEPOSER_PDF, request, m.DepositPdfRequest, m.DepositPdfResponse, context=context)

    def submit(
        self, request: m.SubmitInvoiceRequest | Request, *, context: Mapping[str, Any] | None = None
    ) -> m.SubmitInvoiceResponse:
        """``soumettreFacture``: create an invoice from data."""
        return self._call(
            SOUMETTRE, request, m.SubmitInvoiceRequest, m.SubmitInvoiceResponse, context=context
        )

    def complete(self, request: m.CompleteInvoiceRequest | Request) -> m.CompleteInvoiceResponse:
        """``completerFacture``: answer a suspension (invoice in ``SUSPENDUE``)."""
        return self._call(COMPLETER, request, m.CompleteInvoiceRequest, m.CompleteInvoiceResponse)

    def recycle(self, request: m.RecycleInvoiceRequest | Request) -> m.RecycleInvoiceResponse:
        """``recyclerFacture``: fix the routing of an invoice in ``A_RECYCLER``."""
        return self._call(RECYCLER, request, m.RecycleInvoiceRequest, m.RecycleInvoiceResponse)

    # --- supplier: search and consult ---------------------------------------------------------------

    def search_supplier_invoices(
        self, request: m.SearchSupplierInvoicesRequest | Request | None = None
    ) -> m.SearchSupplierInvoicesResponse:
        """``rechercherFactureParFournisseur``, one page."""
        return self._call(
            RECHERCHER_FOURNISSEUR, request, m.SearchSupplierInvoicesRequest, m.SearchSupplierInvoicesResponse
        )

    def iter_supplier_invoices(
        self,
        request: m.SearchSupplierInvoicesRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.SupplierInvoiceSummary]:
        """Every invoice matching the search, across all pages."""
        return self._iterate(
            RECHERCHER_FOURNISSEUR,
            request,
            m.SearchSupplierInvoicesRequest,
            m.SearchSupplierInvoicesResponse,
            page_size,
        )

    def consult_supplier_invoice(
        self, request: m.ConsultInvoiceRequest | Request
    ) -> m.ConsultInvoiceResponse:
        """``consulterFactureParFournisseur``."""
        return self._call(CONSULTER_FOURNISSEUR, request, m.ConsultInvoiceRequest, m.ConsultInvoiceResponse)

    def history(self, request: m.InvoiceHistoryRequest | Request) -> m.InvoiceHistoryResponse:
        """``consulterHistoriqueFacture``: current status (``current_status``) and its history."""
        return self._call(CONSULTER_HISTORIQUE, request, m.InvoiceHistoryRequest, m.InvoiceHistoryResponse)

    # --- recipient ----------------------------------------------------------------------------------

    def search_recipient_invoices(
        self, request: m.SearchRecipientInvoicesRequest | Request | None = None
    ) -> m.SearchRecipientInvoicesResponse:
        """``rechercherFactureParRecipiendaire``, one page ("no result" = empty list)."""
        return self._call(
            RECHERCHER_RECIPIENDAIRE,
            request,
            m.SearchRecipientInvoicesRequest,
            m.SearchRecipientInvoicesResponse,
        )

    def iter_recipient_invoices(
        self,
        request: m.SearchRecipientInvoicesRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.RecipientInvoiceSummary]:
        return self._iterate(
            RECHERCHER_RECIPIENDAIRE,
            request,
            m.SearchRecipientInvoicesRequest,
            m.SearchRecipientInvoicesResponse,
            page_size,
        )

    def consult_recipient_invoice(
        self, request: m.ConsultInvoiceRequest | Request
    ) -> m.ConsultInvoiceResponse:
        """``consulterFactureParRecipiendaire``."""
        return self._call(CONSULTER_RECIPIENDAIRE, request, m.ConsultInvoiceRequest, m.ConsultInvoiceResponse)

    def process_received(
        self, request: m.ProcessReceivedInvoiceRequest | Request
    ) -> m.ProcessReceivedInvoiceResponse:
        """``traiterFactureRecue``: the recipient sets a status (``motif`` needed for SUSPENDUE/REJETEE)."""
        return self._call(
            TRAITER_RECUE, request, m.ProcessReceivedInvoiceRequest, m.ProcessReceivedInvoiceResponse
        )

    def download(self, request: m.DownloadInvoicesRequest | Request) -> m.DownloadInvoicesResponse:
        """``telechargerGroupeFacture``: ``response.content()`` is the decoded file."""
        return self._call(TELECHARGER_GROUPE, request, m.DownloadInvoicesRequest, m.DownloadInvoicesResponse)

    # --- generic search and validators --------------------------------------------------------------

    def search_payment_requests(
        self, request: m.SearchPaymentRequestsRequest | Request | None = None
    ) -> m.SearchPaymentRequestsResponse:
        """``rechercherDemandePaiement``, one page (paging object name inferred: ``parametresRecherche``)."""
        return self._call(
            RECHERCHER_DEMANDE_PAIEMENT,
            request,
            m.SearchPaymentRequestsRequest,
            m.SearchPaymentRequestsResponse,
        )

    def iter_payment_requests(
        self,
        request: m.SearchPaymentRequestsRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.PaymentRequestSummary]:
        return self._iterate(
            RECHERCHER_DEMANDE_PAIEMENT,
            request,
            m.SearchPaymentRequestsRequest,
            m.SearchPaymentRequestsResponse,
            page_size,
        )

    def search_validator_invoices(
        self, request: m.SearchValidatorInvoicesRequest | Request | None = None
    ) -> m.SearchValidatorInvoicesResponse:
        """``rechercherFactureParValideur``, one page."""
        return self._call(
            RECHERCHER_VALIDEUR, request, m.SearchValidatorInvoicesRequest, m.SearchValidatorInvoicesResponse
        )

    def iter_validator_invoices(
        self,
        request: m.SearchValidatorInvoicesRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.ValidatorInvoiceSummary]:
        return self._iterate(
            RECHERCHER_VALIDEUR,
            request,
            m.SearchValidatorInvoicesRequest,
            m.SearchValidatorInvoicesResponse,
            page_size,
        )

    def consult_validator_invoice(
        self, request: m.ConsultValidatorInvoiceRequest | Request
    ) -> m.ConsultInvoiceResponse:
        """``consulterFactureParValideur``."""
        return self._call(
            CONSULTER_VALIDEUR, request, m.ConsultValidatorInvoiceRequest, m.ConsultInvoiceResponse
        )

    def process_invoice_to_validate(
        self, request: m.ProcessInvoiceToValidateRequest | Request
    ) -> m.ProcessInvoiceToValidateResponse:
        """``traiterFactureAValider``: a validator's decision."""
        return self._call(
            TRAITER_A_VALIDER, request, m.ProcessInvoiceToValidateRequest, m.ProcessInvoiceToValidateResponse
        )

    def validator_visible_statuses(self) -> m.ValidatorVisibleStatusesResponse:
        """``recupererStatutsFactureVisiblesParValideur``."""
        return self._call(STATUTS_VISIBLES_VALIDEUR, None, ChorusRequest, m.ValidatorVisibleStatusesResponse)

    def correct_validator(self, request: m.CorrectValidatorRequest | Request) -> ChorusResponse:
        """``corrigerValideurFacture``."""
        return self._call(CORRIGER_VALIDEUR, request, m.CorrectValidatorRequest, ChorusResponse)

    def acknowledge_rejections(self, request: m.AcknowledgeRejectionRequest | Request) -> ChorusResponse:
        """``traiterRejet``: acknowledge rejected / suspended payment requests."""
        return self._call(TRAITER_REJET, request, m.AcknowledgeRejectionRequest, ChorusResponse)
