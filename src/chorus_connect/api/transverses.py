"""Transverses API (``/cpro/transverses/v1``): health check, deposit reports, code lists, attachments."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chorus_connect.api._operations import DEFAULT_PAGE_SIZE, ApiFamily, change, read, search
from chorus_connect.api.models import transverses as m
from chorus_connect.api.models._base import ChorusRequest
from chorus_connect.api.models.enums import InvoiceStatus, LanguageCode

FAMILY = "transverses"

HEALTH_CHECK = read("healthCheck", FAMILY, "health-check", method="GET")
CONSULTER_CR = read("consulterCR", FAMILY, "consulterCR")
CONSULTER_CR_DETAILLE = read("consulterCRDetaille", FAMILY, "consulterCRDetaille")
FORMATS_FLUX = read("recupererFormatFlux", FAMILY, "recuperer/formatflux")
SYNTAXES_FLUX = read("recupererSyntaxeFlux", FAMILY, "recuperer/syntaxeflux")  # path inferred (§2.2)
DEVISES = read("recupererDevises", FAMILY, "recuperer/devises")
PAYS = read("recupererPays", FAMILY, "recuperer/pays")
MODES_DEPOT = read("recupererModeDepot", FAMILY, "recuperer/modedepot")
MODES_REGLEMENT = read("recupererModesReglement", FAMILY, "recuperer/modereglements")
CADRES_FACTURATION = read("recupererCadreFacturation", FAMILY, "recuperer/cadrefacturation")
TAUX_TVA = read("recupererTauxTva", FAMILY, "recuperer/tauxtva")
MOTIFS_EXONERATION = read("recupererMotifExonerationTva", FAMILY, "recuperer/motifs/exonerationtva")
MOTIFS_REFUS = read("recupererMotifsRefusFactureAValider", FAMILY, "recuperer/motifs/refus/Facture/AValider")
TYPES_DP = read("recupererTypeDemandePaiement", FAMILY, "recuperer/typedp")
ETATS_TYPE_DP = read("recupererEtatParTypeDemandePaiement", FAMILY, "recuperer/etat/typedp")
ETATS_TRAITEMENT = read("recupererEtatsPossiblesPourTraitement", FAMILY, "recuperer/etats/traitement")
TYPES_FACTURE_TRAVAUX = read("recupererTypeFactureTravaux", FAMILY, "recuperer/typefacturetravaux")
TYPES_IDENTIFIANT = read("recupererTypeIdentifiantStructure", FAMILY, "recuperer/typeidentifiant/structure")
TYPES_PJ = read("recupererTypesPieceJointe", FAMILY, "recuperer/typespj")
COORDONNEES_BANCAIRES = read("recupererCoordonneesBancairesValides", FAMILY, "recuperer/coordbanc/valides")
STRUCTURES_FOURNISSEUR = read(
    "recupererStructuresActivesPourFournisseur", FAMILY, "recuperer/structures/actives/fournisseur"
)
STRUCTURES_DESTINATAIRE = read(
    "recupererStructuresActivesPourDestinataire", FAMILY, "recuperer/structures/actives/destinataire"
)
STRUCTURES_TRAVAUX = read(
    "recupererStructuresActivesPourFactureTravaux", FAMILY, "recuperer/structures/actives/facturetravaux"
)
INFORMATION_SIRET = read("consulterInformationsSIRET", FAMILY, "consulter/information/siret")
RECHERCHER_DESTINATAIRE = search("rechercherDestinataires", FAMILY, "rechercher/destinataire")
ANNUAIRE_DESTINATAIRE = read("telechargerAnnuaireDestinataire", FAMILY, "telecharger/annuaire/destinataire")
AJOUTER_FICHIER = change("ajouterFichierDansSysteme", FAMILY, "ajouter/fichier")
PJ_MON_COMPTE = search("rechercherPiecesJointesMonCompte", FAMILY, "rechercher/pj/moncompte")
PJ_STRUCTURE = search("rechercherPiecesJointesStructure", FAMILY, "rechercher/pj/structure")
TELECHARGER_PJ = read("telechargerPieceJointe", FAMILY, "telecharger/pieceJointe")
CATEGORIES_SOLLICITATION = search(
    "rechercherCategoriesSollicitation", FAMILY, "rechercher/categorieSollicitation"
)
SOUS_CATEGORIES_SOLLICITATION = search(
    "rechercherSousCategoriesSollicitation", FAMILY, "rechercher/sousCategorieSollicitation"
)

OPERATIONS = (
    HEALTH_CHECK,
    CONSULTER_CR,
    CONSULTER_CR_DETAILLE,
    FORMATS_FLUX,
    SYNTAXES_FLUX,
    DEVISES,
    PAYS,
    MODES_DEPOT,
    MODES_REGLEMENT,
    CADRES_FACTURATION,
    TAUX_TVA,
    MOTIFS_EXONERATION,
    MOTIFS_REFUS,
    TYPES_DP,
    ETATS_TYPE_DP,
    ETATS_TRAITEMENT,
    TYPES_FACTURE_TRAVAUX,
    TYPES_IDENTIFIANT,
    TYPES_PJ,
    COORDONNEES_BANCAIRES,
    STRUCTURES_FOURNISSEUR,
    STRUCTURES_DESTINATAIRE,
    STRUCTURES_TRAVAUX,
    INFORMATION_SIRET,
    RECHERCHER_DESTINATAIRE,
    ANNUAIRE_DESTINATAIRE,
    AJOUTER_FICHIER,
    PJ_MON_COMPTE,
    PJ_STRUCTURE,
    TELECHARGER_PJ,
    CATEGORIES_SOLLICITATION,
    SOUS_CATEGORIES_SOLLICITATION,
)

Request = Mapping[str, Any]


class Transverses(ApiFamily):
    """``client.transverses``."""

    def health_check(self) -> m.HealthCheckResponse:
        """``GET health-check``: is the Chorus Pro API up (token and technical account are still checked)."""
        return self._call(HEALTH_CHECK, None, ChorusRequest, m.HealthCheckResponse)

    # --- deposit reports ----------------------------------------------------------------------------

    def consult_report(self, request: m.ConsultReportRequest | Request) -> m.ConsultReportResponse:
        """``consulterCR``."""
        return self._call(CONSULTER_CR, request, m.ConsultReportRequest, m.ConsultReportResponse)

    def consult_detailed_report(
        self, request: m.ConsultDetailedReportRequest | Request
    ) -> m.ConsultDetailedReportResponse:
        """``consulterCRDetaille``: the flux status and the per-invoice errors of a deposit."""
        return self._call(
            CONSULTER_CR_DETAILLE, request, m.ConsultDetailedReportRequest, m.ConsultDetailedReportResponse
        )

    # --- code lists ---------------------------------------------------------------------------------

    def flux_formats(self) -> m.FluxFormatsResponse:
        return self._call(FORMATS_FLUX, None, ChorusRequest, m.FluxFormatsResponse)

    def flux_syntaxes(self, request: m.FluxSyntaxesRequest | Request | None = None) -> m.FluxSyntaxesResponse:
        return self._call(SYNTAXES_FLUX, request, m.FluxSyntaxesRequest, m.FluxSyntaxesResponse)

    def currencies(self, language: LanguageCode | str | None = None) -> m.CurrenciesResponse:
        return self._call(DEVISES, _language(language), m.LanguageRequest, m.CurrenciesResponse)

    def countries(self, language: LanguageCode | str | None = None) -> m.CountriesResponse:
        return self._call(PAYS, _language(language), m.LanguageRequest, m.CountriesResponse)

    def deposit_modes(self) -> m.DepositModesResponse:
        return self._call(MODES_DEPOT, None, ChorusRequest, m.DepositModesResponse)

    def payment_modes(self, language: LanguageCode | str | None = None) -> m.PaymentModesResponse:
        return self._call(MODES_REGLEMENT, _language(language), m.LanguageRequest, m.PaymentModesResponse)

    def billing_frameworks(
        self, request: m.BillingFrameworksRequest | Request | None = None
    ) -> m.BillingFrameworksResponse:
        """``recuperer/cadrefacturation``, optionally for one ``typeDemandePaiement``."""
        return self._call(
            CADRES_FACTURATION, request, m.BillingFrameworksRequest, m.BillingFrameworksResponse
        )

    def vat_rates(self, language: LanguageCode | str | None = None) -> m.VatRatesResponse:
        return self._call(TAUX_TVA, _language(language), m.LanguageRequest, m.VatRatesResponse)

    def vat_exemption_reasons(
        self, language: LanguageCode | str | None = None
    ) -> m.VatExemptionReasonsResponse:
        return self._call(
            MOTIFS_EXONERATION, _language(language), m.LanguageRequest, m.VatExemptionReasonsResponse
        )

    def refusal_reasons(
        self, request: m.RefusalReasonsRequest | Request | None = None
    ) -> m.RefusalReasonsResponse:
        return self._call(MOTIFS_REFUS, request, m.RefusalReasonsRequest, m.RefusalReasonsResponse)

    def payment_request_types(self) -> m.PaymentRequestTypesResponse:
        return self._call(TYPES_DP, None, ChorusRequest, m.PaymentRequestTypesResponse)

    def payment_request_states(
        self, request: m.PaymentRequestStatesRequest | Request | None = None
    ) -> m.PaymentRequestStatesResponse:
        return self._call(
            ETATS_TYPE_DP, request, m.PaymentRequestStatesRequest, m.PaymentRequestStatesResponse
        )

    def processing_statuses(self, current_status: InvoiceStatus | str) -> m.ProcessingStatusesResponse:
        """``recuperer/etats/traitement``: the statuses a recipient may set from ``current_status``."""
        return self._call(
            ETATS_TRAITEMENT,
            {"current_status": current_status},
            m.ProcessingStatusesRequest,
            m.ProcessingStatusesResponse,
        )

    def works_invoice_types(self) -> m.WorksInvoiceTypesResponse:
        return self._call(TYPES_FACTURE_TRAVAUX, None, ChorusRequest, m.WorksInvoiceTypesResponse)

    def identifier_types(self) -> m.IdentifierTypesResponse:
        return self._call(TYPES_IDENTIFIANT, None, ChorusRequest, m.IdentifierTypesResponse)

    def attachment_types(
        self, request: m.AttachmentTypesRequest | Request | None = None
    ) -> m.AttachmentTypesResponse:
        return self._call(TYPES_PJ, request, m.AttachmentTypesRequest, m.AttachmentTypesResponse)

    # --- structures ---------------------------------------------------------------------------------

    def valid_bank_accounts(self, structure_id: int) -> m.BankAccountsResponse:
        """``recuperer/coordbanc/valides``: bank details usable on invoices of a supplier structure."""
        return self._call(
            COORDONNEES_BANCAIRES,
            {"structure_id": structure_id},
            m.BankAccountsRequest,
            m.BankAccountsResponse,
        )

    def active_supplier_structures(
        self, request: m.ActiveStructuresRequest | Request | None = None
    ) -> m.ActiveStructuresResponse:
        """Structures the technical account may invoice for."""
        return self._call(
            STRUCTURES_FOURNISSEUR, request, m.ActiveStructuresRequest, m.ActiveStructuresResponse
        )

    def active_recipient_structures(
        self, request: m.ActiveStructuresRequest | Request | None = None
    ) -> m.ActiveStructuresResponse:
        """Structures the technical account receives invoices for."""
        return self._call(
            STRUCTURES_DESTINATAIRE, request, m.ActiveStructuresRequest, m.ActiveStructuresResponse
        )

    def active_works_structures(
        self, request: m.ActiveStructuresRequest | Request | None = None
    ) -> m.ActiveStructuresResponse:
        return self._call(STRUCTURES_TRAVAUX, request, m.ActiveStructuresRequest, m.ActiveStructuresResponse)

    def siret_information(self, siret: str) -> m.SiretInfoResponse:
        """``consulter/information/siret``."""
        return self._call(INFORMATION_SIRET, {"siret": siret}, m.SiretInfoRequest, m.SiretInfoResponse)

    def search_recipients(
        self, request: m.SearchRecipientsRequest | Request | None = None
    ) -> m.SearchRecipientsResponse:
        """``rechercher/destinataire``, one page."""
        return self._call(
            RECHERCHER_DESTINATAIRE, request, m.SearchRecipientsRequest, m.SearchRecipientsResponse
        )

    def iter_recipients(
        self,
        request: m.SearchRecipientsRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.RecipientStructure]:
        return self._iterate(
            RECHERCHER_DESTINATAIRE, request, m.SearchRecipientsRequest, m.SearchRecipientsResponse, page_size
        )

    def recipient_directory(self) -> m.FileResponse:
        """``telecharger/annuaire/destinataire``: the public-recipient directory (zip)."""
        return self._call(ANNUAIRE_DESTINATAIRE, None, ChorusRequest, m.FileResponse)

    # --- attachments --------------------------------------------------------------------------------

    def add_file(
        self, request: m.AddFileRequest | Request, *, context: Mapping[str, Any] | None = None
    ) -> m.AddFileResponse:
        """``ajouter/fichier``: store an attachment; its id goes into ``soumettre`` / ``completer``."""
        return self._call(AJOUTER_FICHIER, request, m.AddFileRequest, m.AddFileResponse, context=context)

    def search_my_attachments(
        self, request: m.SearchMyAttachmentsRequest | Request | None = None
    ) -> m.SearchAttachmentsResponse:
        return self._call(PJ_MON_COMPTE, request, m.SearchMyAttachmentsRequest, m.SearchAttachmentsResponse)

    def iter_my_attachments(
        self,
        request: m.SearchMyAttachmentsRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.Attachment]:
        return self._iterate(
            PJ_MON_COMPTE, request, m.SearchMyAttachmentsRequest, m.SearchAttachmentsResponse, page_size
        )

    def search_structure_attachments(
        self, request: m.SearchStructureAttachmentsRequest | Request | None = None
    ) -> m.SearchAttachmentsResponse:
        return self._call(
            PJ_STRUCTURE, request, m.SearchStructureAttachmentsRequest, m.SearchAttachmentsResponse
        )

    def iter_structure_attachments(
        self,
        request: m.SearchStructureAttachmentsRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.Attachment]:
        return self._iterate(
            PJ_STRUCTURE, request, m.SearchStructureAttachmentsRequest, m.SearchAttachmentsResponse, page_size
        )

    def download_attachment(
        self, request: m.DownloadAttachmentRequest | Request
    ) -> m.DownloadAttachmentResponse:
        return self._call(TELECHARGER_PJ, request, m.DownloadAttachmentRequest, m.DownloadAttachmentResponse)

    def support_categories(
        self, request: m.SupportCategoriesRequest | Request | None = None
    ) -> m.SupportCategoriesResponse:
        """``rechercher/categorieSollicitation`` (support-request categories), one page."""
        return self._call(
            CATEGORIES_SOLLICITATION, request, m.SupportCategoriesRequest, m.SupportCategoriesResponse
        )

    def iter_support_categories(
        self,
        request: m.SupportCategoriesRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        return self._iterate(
            CATEGORIES_SOLLICITATION,
            request,
            m.SupportCategoriesRequest,
            m.SupportCategoriesResponse,
            page_size,
        )

    def support_subcategories(
        self, request: m.SupportSubcategoriesRequest | Request | None = None
    ) -> m.SupportSubcategoriesResponse:
        """``rechercher/sousCategorieSollicitation``, one page."""
        return self._call(
            SOUS_CATEGORIES_SOLLICITATION,
            request,
            m.SupportSubcategoriesRequest,
            m.SupportSubcategoriesResponse,
        )

    def iter_support_subcategories(
        self,
        request: m.SupportSubcategoriesRequest | Request | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        return self._iterate(
            SOUS_CATEGORIES_SOLLICITATION,
            request,
            m.SupportSubcategoriesRequest,
            m.SupportSubcategoriesResponse,
            page_size,
        )


def _language(language: LanguageCode | str | None) -> dict[str, Any]:
    return {"language": language} if language is not None else {}
