"""Models of the Factures API (``/cpro/factures/v1``): deposits, invoice searches and processing."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import Field

from chorus_connect.api.models._base import (
    Amount,
    ChorusDate,
    ChorusModel,
    ChorusRequest,
    ChorusResponse,
    PagedRequest,
    PagedResponse,
    PageRequest,
    encode_file,
    file_fingerprint,
    wire,
)
from chorus_connect.api.models.enums import (
    BillingFramework,
    DepositMode,
    FluxSyntax,
    IdentifierType,
    InvoiceStatus,
    InvoiceType,
    LanguageCode,
    PaymentMode,
    PdfDepositFormat,
    UserRole,
    ValidatorAction,
    VatType,
)

# --- deposer/flux ---------------------------------------------------------------------------------------


class DepositFluxRequest(ChorusRequest):
    """``deposerFluxFacture``: an invoice file (UBL, CII, Factur-X...), sent base64-encoded."""

    file_content: str = wire("fichierFlux", ...)
    file_name: str = wire("nomFichier", ...)
    syntax: FluxSyntax = wire("syntaxeFlux", ...)
    signed: bool | None = wire("avecSignature", False)

    @classmethod
    def from_bytes(
        cls, content: bytes, *, file_name: str, syntax: FluxSyntax | str, signed: bool = False
    ) -> DepositFluxRequest:
        return cls(file_content=encode_file(content), file_name=file_name, syntax=syntax, signed=signed)

    def identifying_fields(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "syntax": str(self.syntax),
            **file_fingerprint(self.file_content),
        }


class DepositFluxResponse(ChorusResponse):
    flux_number: str | None = wire("numeroFluxDepot")
    deposit_date: ChorusDate | None = wire("dateDepot")
    syntax: FluxSyntax | None = wire("syntaxeFlux")


# --- deposer/pdf ----------------------------------------------------------------------------------------


class DepositPdfRequest(ChorusRequest):
    """``deposerPDFFacture``: a PDF that Chorus Pro reads (OCR) to pre-fill an invoice, then ``soumettre``."""

    file_content: str = wire("fichierFacture", ...)
    file_name: str = wire("nomFichier", ...)
    deposit_format: PdfDepositFormat = wire("formatDepot", PdfDepositFormat.UNSIGNED)

    @classmethod
    def from_bytes(
        cls, content: bytes, *, file_name: str, deposit_format: PdfDepositFormat = PdfDepositFormat.UNSIGNED
    ) -> DepositPdfRequest:
        return cls(file_content=encode_file(content), file_name=file_name, deposit_format=deposit_format)

    def identifying_fields(self) -> dict[str, Any]:
        return {"file_name": self.file_name, **file_fingerprint(self.file_content)}


class DepositPdfResponse(ChorusResponse):
    attachment_id: int | None = wire("pieceJointeId")
    invoice_number: str | None = wire("numeroFacture")
    invoice_date: ChorusDate | None = wire("dateFacture")
    recipient_code: str | None = wire("codeDestinataire")
    recipient_service_code: str | None = wire("codeServiceExecutant")
    supplier_code: str | None = wire("codeFournisseur")
    currency: str | None = wire("codeDeviseFacture")
    invoice_type: InvoiceType | None = wire("typeFacture")
    vat_type: VatType | None = wire("typeTva")
    order_number: str | None = wire("numeroBonCommande")
    amount_ttc_before_discount: Amount | None = wire("montantTtcAvantRemiseGlobalTTC")
    amount_due: Amount | None = wire("montantAPayer")
    total_ht: Amount | None = wire("montantHtTotal")
    total_vat: Amount | None = wire("montantTVA")


# --- soumettre ------------------------------------------------------------------------------------------


class InvoiceRecipient(ChorusModel):
    recipient_code: str | None = wire("codeDestinataire")
    service_code: str | None = wire("codeServiceExecutant")


class InvoiceSupplier(ChorusModel):
    supplier_id: int | None = wire("idFournisseur")
    service_id: int | None = wire("idServiceFournisseur")
    bank_account_id: int | None = wire("codeCoordonneesBancairesFournisseur")


class BillingFrameworkInfo(ChorusModel):
    code: BillingFramework | None = wire("codeCadreFacturation")
    validator_structure_code: str | None = wire("codeStructureValideur")
    validator_service_code: str | None = wire("codeServiceValideur")


class SubmitReferences(ChorusModel):
    currency: str | None = wire("deviseFacture", "EUR")
    invoice_type: InvoiceType | None = wire("typeFacture", InvoiceType.INVOICE)
    vat_type: VatType | None = wire("typeTva")
    vat_exemption_reason: str | None = wire("motifExonerationTva")
    contract_number: str | None = wire("numeroMarche")
    order_number: str | None = wire("numeroBonCommande")
    original_invoice_number: str | None = wire("numeroFactureOrigine")
    payment_mode: PaymentMode | None = wire("modePaiement")


class InvoiceLine(ChorusModel):
    number: int | None = wire("lignePosteNumero")
    reference: str | None = wire("lignePosteReference")
    name: str | None = wire("lignePosteDenomination")
    quantity: Amount | None = wire("lignePosteQuantite")
    unit: str | None = wire("lignePosteUnite")
    unit_price_ht: Amount | None = wire("lignePosteMontantUnitaireHT")
    discount_ht: Amount | None = wire("lignePosteMontantRemiseHT")
    vat_rate_code: str | None = wire("lignePosteTauxTva")
    vat_rate_manual: Amount | None = wire("lignePosteTauxTvaManuel")


class VatLine(ChorusModel):
    rate_code: str | None = wire("ligneTvaTaux")
    rate_manual: Amount | None = wire("ligneTvaTauxManuel")
    base_ht: Amount | None = wire("ligneTvaMontantBaseHtParTaux")
    vat_amount: Amount | None = wire("ligneTvaMontantTvaParTaux")


class InvoiceTotals(ChorusModel):
    total_ht: Amount | None = wire("montantHtTotal")
    total_vat: Amount | None = wire("montantTVA")
    total_ttc: Amount | None = wire("montantTtcTotal")
    global_discount_ttc: Amount | None = wire("montantRemiseGlobaleTTC")
    global_discount_reason: str | None = wire("motifRemiseGlobaleTTC")
    amount_due: Amount | None = wire("montantAPayer")


class MainAttachment(ChorusModel):
    designation: str | None = wire("pieceJointePrincipaleDesignation")
    attachment_id: int | None = wire("pieceJointePrincipaleId")


class ComplementaryAttachment(ChorusModel):
    designation: str | None = wire("pieceJointeComplementaireDesignation")
    attachment_id: int | None = wire("pieceJointeComplementaireId")
    link_id: int | None = wire("pieceJointeComplementaireIdLiaison")
    line_number: int | None = wire("pieceJointeComplementaireNumeroLigneFacture")
    type: str | None = wire("pieceJointeComplementaireType")


class SubmitInvoiceRequest(ChorusRequest):
    """``soumettreFacture``: create an invoice from data (``SAISIE_API``) or from a deposited PDF."""

    deposit_mode: DepositMode = wire("modeDepot", DepositMode.SAISIE_API)
    invoice_number: str | None = wire("numeroFactureSaisi")
    invoice_date: ChorusDate | None = wire("dateFacture")
    recipient: InvoiceRecipient | None = wire("destinataire")
    supplier: InvoiceSupplier | None = wire("fournisseur")
    billing_framework: BillingFrameworkInfo | None = wire("cadreDeFacturation")
    references: SubmitReferences | None = wire("references")
    lines: list[InvoiceLine] | None = wire("lignePoste")
    vat_lines: list[VatLine] | None = wire("ligneTva")
    totals: InvoiceTotals | None = wire("montantTotal")
    main_attachments: list[MainAttachment] | None = wire("pieceJointePrincipale")
    complementary_attachments: list[ComplementaryAttachment] | None = wire("pieceJointeComplementaire")
    comment: str | None = wire("commentaire")

    def identifying_fields(self) -> dict[str, Any]:
        return {
            "invoice_number": self.invoice_number,
            "invoice_date": str(self.invoice_date) if self.invoice_date else None,
            "supplier_id": self.supplier.supplier_id if self.supplier else None,
            "recipient_code": self.recipient.recipient_code if self.recipient else None,
        }


class SubmitInvoiceResponse(ChorusResponse):
    invoice_id: int | None = wire("identifiantFactureCPP")
    invoice_number: str | None = wire("numeroFacture")
    structure_identifier: str | None = wire("identifiantStructure")
    deposit_certificate_fingerprint: str | None = wire("empreinteCertificatDepot")
    deposit_date: ChorusDate | None = wire("dateDepot")
    status: InvoiceStatus | None = wire("statutFacture")


# --- completer / recycler -------------------------------------------------------------------------------


class CompleteInvoiceRequest(ChorusRequest):
    """``completerFacture``: add a comment and attachments to a ``SUSPENDUE`` invoice."""

    invoice_id: int = wire("identifiantFactureCPP", ...)
    comment: str | None = wire("commentaire")
    attachments: list[ComplementaryAttachment] | None = wire("pieceJointeComplementaire")

    def identifying_fields(self) -> dict[str, Any]:
        return {"invoice_id": self.invoice_id}


class CompleteInvoiceResponse(ChorusResponse):
    invoice_id: int | None = wire("identifiantFactureCPP")
    invoice_number: str | None = wire("numeroFacture")
    processed_on: ChorusDate | None = wire("dateTraitement")


class RecycleReference(ChorusModel):
    order_number: str | None = wire("numeroBonCommande")


class RecycleInvoiceRequest(ChorusRequest):
    """``recyclerFacture``: change the routing (recipient, service, EJ) of an ``A_RECYCLER`` invoice."""

    invoice_id: int = wire("identifiantFactureCPP", ...)
    comment: str | None = wire("commentaire")
    recipient: InvoiceRecipient | None = wire("destinataire")
    reference: RecycleReference | None = wire("reference")

    def identifying_fields(self) -> dict[str, Any]:
        return {
            "invoice_id": self.invoice_id,
            "recipient_code": self.recipient.recipient_code if self.recipient else None,
        }


class RecycleInvoiceResponse(ChorusResponse):
    invoice_id: int | None = wire("identifiantFactureCPP")
    invoice_number: str | None = wire("numeroFacture")
    deposit_date: ChorusDate | None = wire("dateDepot")
    status: InvoiceStatus | None = wire("statutFacture")


# --- supplier search and detail -------------------------------------------------------------------------


class RecipientFilter(ChorusModel):
    recipient_id: int | None = wire("idDestinataire")
    service_ids: list[int] | None = wire("listeIdServiceExecutant")
    company_name: str | None = wire("raisonSocialeStuctDmd")


class SearchSupplierInvoicesRequest(PagedRequest):
    """``rechercherFactureParFournisseur``; every criterion is optional."""

    paging: PageRequest | None = wire("rechercheFactureParFournisseur")
    supplier_id: int | None = wire("idFournisseur")
    supplier_service_id: int | None = wire("idServiceFournisseur")
    invoice_number: str | None = wire("numeroFacture")
    flux_number: str | None = wire("numeroFluxDepot")
    invoice_type: InvoiceType | None = wire("typeFacture")
    billing_framework: Any = wire("cadreFacturation")  # object in some clients, a string in others
    deposit_mode: DepositMode | None = wire("modeDepot")
    statuses: list[InvoiceStatus] | None = wire("statutCourant")
    rejection_processed: bool | None = wire("rejetTraite")
    recipients: list[RecipientFilter] | None = wire("listeDestinataire")
    validator_structure_id: int | None = wire("idStructureValideur")
    contract_number: str | None = wire("numeroMarche")
    order_number: str | None = wire("numeroBonCommande")
    original_invoice_number: str | None = wire("numeroFactureOrigine")
    amount_ht_min: Amount | None = wire("montantHTMin")
    amount_ht_max: Amount | None = wire("montantHTMax")
    amount_ttc_min: Amount | None = wire("montantTTCMin")
    amount_ttc_max: Amount | None = wire("montantTTCMax")
    amount_due_min: Amount | None = wire("montantApayerMin")
    amount_due_max: Amount | None = wire("montantApayerMax")
    deposit_date_from: ChorusDate | None = wire("periodeDateDepotDu")
    deposit_date_to: ChorusDate | None = wire("periodeDateDepotAu")
    invoice_date_from: ChorusDate | None = wire("periodeDateFactureDu")
    invoice_date_to: ChorusDate | None = wire("periodeDateFactureAu")
    status_changed_from: ChorusDate | None = wire("periodeDateHeureEtatCourantDu")
    status_changed_to: ChorusDate | None = wire("periodeDateHeureEtatCourantAu")
    recipient_siren_search: bool | None = wire("rechercheSirenDestinataire")
    include_size: bool | None = wire("recupererTaille")


class InvoiceSummary(ChorusModel):
    """Fields common to the invoice lines of the supplier and recipient searches."""

    invoice_number: str | None = wire("numeroFacture")
    status: InvoiceStatus | None = wire("statut")
    invoice_date: ChorusDate | None = wire("dateFacture")
    deposit_date: ChorusDate | None = wire("dateDepot")
    status_changed_at: ChorusDate | None = wire("dateHeureEtatCourant")
    status_comment: str | None = wire("commentaireEtatCourant")
    invoice_type: InvoiceType | None = wire("typeFacture")
    payment_request_type: str | None = wire("typeDemandePaiement")
    currency: str | None = wire("devise")
    amount_ht: Amount | None = wire("montantHT")
    amount_ttc: Amount | None = wire("montantTTC")
    amount_due: Amount | None = wire("montantAPayer")
    recipient_id: int | None = wire("idDestinataire")
    recipient_code: str | None = wire("codeDestinataire")
    recipient_name: str | None = wire("designationDestinataire")
    recipient_service_id: int | None = wire("idServiceExecutant")
    recipient_service_code: str | None = wire("codeServiceExecutant")
    recipient_service_name: str | None = wire("nomServiceExecutant")
    supplier_code: str | None = wire("codeFournisseur")
    supplier_name: str | None = wire("designationFournisseur")
    supplier_identifier_type: IdentifierType | None = wire("typeIdentifiantFournisseur")
    supplier_service_code: str | None = wire("codeServiceFournisseur")
    supplier_service_name: str | None = wire("nomServiceFournisseur")
    contract_number: str | None = wire("numeroMarche")
    order_number: str | None = wire("numeroBonCommande")
    size: int | None = wire("taille")


class SupplierInvoiceSummary(InvoiceSummary):
    invoice_id: int | None = wire("identifiantFactureCPP")
    flux_number: str | None = wire("numeroFluxDepot")
    deposit_mode: DepositMode | None = wire("modeDepot")
    original_invoice_number: str | None = wire("numeroFactureOrigine")
    rejection_processed: bool | None = wire("rejetTraite")


class SearchSupplierInvoicesResponse(PagedResponse):
    items_field = "invoices"
    invoices: list[SupplierInvoiceSummary] = Field(default_factory=list, alias="listeFactures")


class ConsultInvoiceRequest(ChorusRequest):
    """``consulterFactureParFournisseur`` / ``consulterFactureParRecipiendaire``."""

    invoice_id: int = wire("identifiantFactureCPP", ...)
    language: LanguageCode | None = wire("codeLangue")


class DetailRecipient(ChorusModel):
    recipient_id: int | None = wire("idDestinataire")
    recipient_code: str | None = wire("codeDestinataire")
    name: str | None = wire("libelleDestinataire")
    service_id: int | None = wire("idServiceExecutant")
    service_code: str | None = wire("codeServiceExecutant")
    service_name: str | None = wire("libelleServiceExecutant")


class DetailSupplier(ChorusModel):
    supplier_id: int | None = wire("idFournisseur")
    supplier_code: str | None = wire("codeFournisseur")
    identifier_type: IdentifierType | None = wire("typeIdentifiantFournisseur")
    name: str | None = wire("designationFournisseur")
    service_id: int | None = wire("idServiceFournisseur")
    service_code: str | None = wire("codeServiceFournisseur")
    service_name: str | None = wire("libelleServiceFournisseur")


class DetailReferences(ChorusModel):
    invoice_date: ChorusDate | None = wire("dateFacture")
    deposit_date: ChorusDate | None = wire("dateDepot")
    created_on: ChorusDate | None = wire("dateCreationFacture")
    payment_due_date: ChorusDate | None = wire("dateEcheancePaiement")
    currency: str | None = wire("codeDeviseFacture")
    invoice_type: InvoiceType | None = wire("typeFacture")
    vat_type: VatType | None = wire("typeTva")
    payment_mode: PaymentMode | None = wire("modePaiement")
    contract_number: str | None = wire("numeroMarche")
    order_number: str | None = wire("numeroBonCommande")
    original_invoice_number: str | None = wire("numeroFactureOrigine")
    mandate_number: str | None = wire("numeroDpMandat")


class InvoiceDetail(ChorusModel):
    """The ``facture`` object of the detail operations; less common parts stay as wire dictionaries."""

    invoice_id: int | None = wire("identifiantFactureCPP")
    invoice_number: str | None = wire("numeroFacture")
    status: InvoiceStatus | None = wire("statutFacture")
    deposit_mode: DepositMode | None = wire("modeDepot")
    comment: str | None = wire("commentaire")
    billing_framework: BillingFrameworkInfo | None = wire("cadreDeFacturation")
    recipient: DetailRecipient | None = wire("destinataire")
    supplier: DetailSupplier | None = wire("fournisseur")
    references: DetailReferences | None = wire("references")
    totals: InvoiceTotals | None = wire("montantTotal")
    lines: dict[str, Any] | None = wire("lignesDePoste")
    vat_summary: dict[str, Any] | None = wire("recapitulatifDeTva")
    attachments: dict[str, Any] | None = wire("listeDesPiecesJointes")


class ConsultInvoiceResponse(ChorusResponse):
    invoice: InvoiceDetail | None = wire("facture")


# --- history --------------------------------------------------------------------------------------------


class InvoiceHistoryRequest(ChorusRequest):
    """``consulterHistoriqueFacture``."""

    invoice_id: int = wire("idFacture", ...)
    max_results: int | None = wire("nbResultatsMaximum")
    space_id: int | None = wire("idEspace")


class StatusHistoryEntry(ChorusModel):
    entry_id: int | None = wire("histoStatutId")
    status: InvoiceStatus | None = wire("histoStatutCode")
    changed_at: ChorusDate | None = wire("histoStatutDatePassage")
    comment: str | None = wire("histoStatutCommentaire")
    user_last_name: str | None = wire("histoStatutUtilisateurNom")
    user_first_name: str | None = wire("histoStatutUtilisateurPrenom")
    user_email: str | None = wire("histoStatutUtilisateurEmail")


class StatusHistory(ChorusModel):
    entries: list[StatusHistoryEntry] = Field(default_factory=list, alias="histoStatut")
    current_page: int | None = wire("pageCouranteHistoStatut")
    pages: int | None = wire("pagesHistoStatut")
    page_size: int | None = wire("nbResultatsParPageHistoStatut")
    total: int | None = wire("totalHistoStatut")


class LastAction(ChorusModel):
    code: str | None = wire("derniereActionCode")
    action_id: int | None = wire("derniereActionId")


class InvoiceHistoryResponse(ChorusResponse):
    invoice_id: int | None = wire("idFacture")
    invoice_number: str | None = wire("numeroFacture")
    deposit_mode: DepositMode | None = wire("modeDepot")
    current_status: InvoiceStatus | None = wire("statutCourantCode")
    last_action: LastAction | None = wire("derniereAction")
    status_history: StatusHistory | None = wire("historiquesDesStatuts")
    action_history: dict[str, Any] | None = wire("historiquesDesActionsUtilisateurs")
    events: dict[str, Any] | None = wire("historiquesDesEvenementsComplementaires")


# --- recipient side -------------------------------------------------------------------------------------


class RecipientPageRequest(PageRequest):
    max_results: int | None = wire("nbResultatsMaximum")


class SupplierFilter(ChorusModel):
    supplier_id: int | None = wire("idFournisseur")
    service_ids: list[int] | None = wire("listeIdService")


class SearchRecipientInvoicesRequest(PagedRequest):
    """``rechercherFactureParRecipiendaire``; Chorus Pro answers "no result" with codeRetour 20000."""

    paging: RecipientPageRequest | None = wire("paramRecherche")
    payment_request_type: str | None = wire("typeDemandePaiement")
    recipient_id: int | None = wire("idDestinataire")
    recipient_service_id: int | None = wire("idServiceExecutant")
    invoice_number: str | None = wire("numeroFacture")
    invoice_types: list[InvoiceType] | None = wire("listeTypeFacture")
    suppliers: list[SupplierFilter] | None = wire("listeFournisseurs")
    validator_structure_id: int | None = wire("idStructureValideur")
    billing_framework: Any = wire("cadreFacturation")
    status: Any = wire("statutCourant")  # a string in AIFE's example, a list in other clients
    contract_number: str | None = wire("numeroMarche")
    order_number: str | None = wire("numeroBonCommande")
    amount_ht_min: Amount | None = wire("montantHTMin")
    amount_ht_max: Amount | None = wire("montantHTMax")
    amount_ttc_min: Amount | None = wire("montantTTCMin")
    amount_ttc_max: Amount | None = wire("montantTTCMax")
    amount_due_min: Amount | None = wire("montantApayerMin")
    amount_due_max: Amount | None = wire("montantApayerMax")
    deposit_date_from: ChorusDate | None = wire("periodeDateDepotDu")
    deposit_date_to: ChorusDate | None = wire("periodeDateDepotAu")
    invoice_date_from: ChorusDate | None = wire("periodeDateFactureDu")
    invoice_date_to: ChorusDate | None = wire("periodeDateFactureAu")
    status_changed_from: ChorusDate | None = wire("periodeDateHeureEtatCourantDu")
    status_changed_to: ChorusDate | None = wire("periodeDateHeureEtatCourantAu")
    downloaded: bool | None = wire("factureTelechargeeParDestinataire")
    supplier_siren_search: bool | None = wire("rechercheSirenFournisseur")
    include_size: bool | None = wire("recupererTaille")


class RecipientInvoiceSummary(InvoiceSummary):
    invoice_id: int | None = wire("idFacture")
    works_invoice_type: str | None = wire("typeFactureTravaux")
    downloaded: bool | None = wire("factureTelechargeeParDestinataire")


class SearchRecipientInvoicesResponse(PagedResponse):
    items_field = "invoices"
    invoices: list[RecipientInvoiceSummary] = Field(default_factory=list, alias="listeFactures")


class ProcessReceivedInvoiceRequest(ChorusRequest):
    """``traiterFactureRecue``: the recipient moves an invoice to a new status (§3.4.1)."""

    invoice_id: int = wire("idFacture", ...)
    new_status: InvoiceStatus = wire("nouveauStatut", ...)
    reason: str | None = wire("motif")
    mandate_number: str | None = wire("numeroDPMandat")

    def identifying_fields(self) -> dict[str, Any]:
        return {"invoice_id": self.invoice_id, "new_status": str(self.new_status)}


class ProcessReceivedInvoiceResponse(ChorusResponse):
    invoice_id: int | None = wire("idFacture")
    invoice_number: str | None = wire("numeroFacture")
    new_status: InvoiceStatus | None = wire("nouveauStatut")
    processed_on: ChorusDate | None = wire("dateTraitement")


class InvoiceRef(ChorusModel):
    invoice_id: int = wire("idFacture", ...)


class DownloadInvoicesRequest(ChorusRequest):
    """``telechargerGroupeFacture``."""

    invoices: list[InvoiceRef] = wire("listeFacture", ...)
    format: str = wire("format", "PDF")
    with_attachments: str | None = wire("avecPiecesJointesComplementaires")  # "OUI" / "NON"
    space_id: int | None = wire("idEspace")


class DownloadInvoicesResponse(ChorusResponse):
    file_content: str | None = wire("fichierResultat")

    def content(self) -> bytes:
        return base64.b64decode(self.file_content or "")


# --- generic payment-request search and validator side --------------------------------------------------


class SearchPaymentRequestsRequest(PagedRequest):
    """``rechercherDemandePaiement``; its paging object is undocumented (``parametresRecherche`` guessed)."""

    paging: PageRequest | None = wire("parametresRecherche")
    user_role: UserRole | None = wire("roleUtilisateur")
    archive_scope: str | None = wire("dpOuDpArchive")  # DEMANDE_PAIEMENT or DP_ARCHIVE
    invoice_number: str | None = wire("numeroFacture")
    payment_request_type: str | None = wire("typeDemandePaiement")
    status: str | None = wire("statutCourant")
    deposit_date_from: ChorusDate | None = wire("periodeDateDepotDu")
    deposit_date_to: ChorusDate | None = wire("periodeDateDepotAu")
    supplier_structure: dict[str, Any] | None = wire("structureFournisseur")
    recipient_structure: dict[str, Any] | None = wire("structureDestinataire")


class PaymentRequestSummary(ChorusModel):
    payment_request_id: int | None = wire("idDemandePaiement")
    payment_request_number: str | None = wire("numeroDemandePaiement")
    payment_request_type: str | None = wire("typeDemandePaiement")
    status: InvoiceStatus | None = wire("etatCourant")
    deposit_date: ChorusDate | None = wire("dateDepot")
    status_changed_at: ChorusDate | None = wire("dateHeureEtatCourant")
    supplier_structure_id: int | None = wire("idStructureFournisseur")
    recipient_structure_id: int | None = wire("idStructureDestinataire")
    amount_ht: Amount | None = wire("montantHT")
    amount_ttc: Amount | None = wire("montantTTC")


class SearchPaymentRequestsResponse(PagedResponse):
    items_field = "payment_requests"
    payment_requests: list[PaymentRequestSummary] = Field(default_factory=list, alias="listeDemandePaiement")


class SearchValidatorInvoicesRequest(PagedRequest):
    """``rechercherFactureParValideur``."""

    paging: PageRequest | None = wire("pagination")
    validator_structure_id: int | None = wire("idStructureValideur")
    supplier_id: int | None = wire("idFournisseur")
    recipient_id: int | None = wire("idDestinataire")
    invoice_number: str | None = wire("numeroFacture")
    statuses: list[InvoiceStatus] | None = wire("statutCourant")
    payment_request_type: str | None = wire("typeDemandePaiement")
    deposit_date_from: ChorusDate | None = wire("periodeDateDepotDu")
    deposit_date_to: ChorusDate | None = wire("periodeDateDepotAu")


class ValidatorInvoiceSummary(ChorusModel):
    invoice_id: int | None = wire("idFacture")
    invoice_number: str | None = wire("numeroFacture")
    status: InvoiceStatus | None = wire("statut")
    invoice_date: ChorusDate | None = wire("dateFacture")
    deposit_date: ChorusDate | None = wire("dateDepot")
    supplier_id: int | None = wire("idFournisseur")
    supplier_name: str | None = wire("designationFournisseur")
    recipient_id: int | None = wire("idDestinataire")
    recipient_name: str | None = wire("designationDestinataire")
    validator_id: int | None = wire("idValideur")
    amount_ht: Amount | None = wire("montantHT")
    amount_ttc: Amount | None = wire("montantTTC")


class SearchValidatorInvoicesResponse(PagedResponse):
    items_field = "invoices"
    invoices: list[ValidatorInvoiceSummary] = Field(default_factory=list, alias="listeFactures")


class ConsultValidatorInvoiceRequest(ChorusRequest):
    """``consulterFactureParValideur``."""

    invoice_id: int = wire("idFacture", ...)
    language: LanguageCode | None = wire("codeLangue")


class ProcessInvoiceToValidateRequest(ChorusRequest):
    """``traiterFactureAValider``: a validator's decision."""

    invoice_id: int = wire("idFacture", ...)
    action: ValidatorAction = wire("action", ...)
    refusal_reason: str | None = wire("motifRefus")
    additional_info: str | None = wire("complementInfo")
    attachment_id: int | None = wire("idPieceJointe")
    validator_id: int | None = wire("idValideur")
    validator_type: str | None = wire("typeValideur")

    def identifying_fields(self) -> dict[str, Any]:
        return {"invoice_id": self.invoice_id, "action": str(self.action)}


class ProcessInvoiceToValidateResponse(ChorusResponse):
    invoice_id: int | None = wire("idFacture")
    invoice_number: str | None = wire("numeroFacture")
    status: InvoiceStatus | None = wire("statutFacture")
    processed_on: ChorusDate | None = wire("dateTraitement")


class VisibleStatus(ChorusModel):
    code: InvoiceStatus | None = wire("codeStatutFacture")


class ValidatorVisibleStatusesResponse(ChorusResponse):
    statuses: list[VisibleStatus] = Field(default_factory=list, alias="listeStatutFacture")


class CorrectValidatorRequest(ChorusRequest):
    """``corrigerValideurFacture``: designate another validator structure for an invoice."""

    invoice_id: int = wire("idFacture", ...)
    structure_id: int | None = wire("idStructure")
    structure_identifier: str | None = wire("identifiantStructure")
    identifier_type: IdentifierType | None = wire("typeIdentifiantStructure")

    def identifying_fields(self) -> dict[str, Any]:
        return {"invoice_id": self.invoice_id, "structure_identifier": self.structure_identifier}


class PaymentRequestRef(ChorusModel):
    payment_request_id: int = wire("idDemandePaiement", ...)


class AcknowledgeRejectionRequest(ChorusRequest):
    """``traiterRejet``: acknowledge rejected or suspended payment requests."""

    payment_requests: list[PaymentRequestRef] = wire("listeDemandePaiement", ...)
    rejection_reason: str | None = wire("motifRejet")
    additional_info: str | None = wire("cpltInfos")

    def identifying_fields(self) -> dict[str, Any]:
        return {"payment_request_ids": [ref.payment_request_id for ref in self.payment_requests]}
