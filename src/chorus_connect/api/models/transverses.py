"""Models of the Transverses API (``/cpro/transverses/v1``): reports, code lists, structures, attachments."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import Field

from chorus_connect.api.models._base import (
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
    FluxFormat,
    FluxStatus,
    FluxSyntax,
    IdentifierType,
    InvoiceStatus,
    LanguageCode,
    PaymentMode,
    StructureKind,
)


class HealthCheckResponse(ChorusResponse):
    """``GET health-check``: a Spring-style ``{"body", "statusCode", "statusCodeValue"}``."""

    body: Any = wire("body")
    status_code: str | None = wire("statusCode")
    status_code_value: int | None = wire("statusCodeValue")


class LanguageRequest(ChorusRequest):
    """Input of the code-list operations that take a language."""

    language: LanguageCode | None = wire("codeLangue")


# --- deposit reports ------------------------------------------------------------------------------------


class ConsultReportRequest(ChorusRequest):
    """``consulterCR``."""

    flux_number: str = wire("numeroFluxDepot", ...)
    syntax: FluxSyntax | None = wire("syntaxeFlux")
    deposit_date: ChorusDate | None = wire("dateDepot")


class ConsultReportResponse(ChorusResponse):
    flux_number: str | None = wire("numeroFluxDepot")
    partner_app_code: str | None = wire("codeAppliPartenaire")
    partner_name: str | None = wire("designationPartenaire")
    interface_code: str | None = wire("codeInterfaceFlux")
    deposit_date: ChorusDate | None = wire("dateDepotFlux")
    status_changed_at: ChorusDate | None = wire("dateHeureEtatCourantFlux")
    flux_status: FluxStatus | None = wire("etatCourantFlux")
    file_name: str | None = wire("nomFichierFlux")
    report_file: str | None = wire("fichierCR")


class ConsultDetailedReportRequest(ChorusRequest):
    """``consulterCRDetaille``."""

    flux_number: str = wire("numeroFluxDepot", ...)
    syntax: FluxSyntax | None = wire("syntaxeFlux")


class FluxInvoiceError(ChorusModel):
    invoice_number: str | None = wire("numeroDP")
    supplier_identifier: str | None = wire("identifiantFournisseur")
    recipient_identifier: str | None = wire("identifiantDestinataire")
    message: str | None = wire("libelleErreurDP")


class FluxTechnicalError(ChorusModel):
    code: str | None = wire("codeErreur")
    message: str | None = wire("libelleErreur")
    nature: str | None = wire("natureErreur")


class ConsultDetailedReportResponse(ChorusResponse):
    interface_code: str | None = wire("codeInterfaceDepotFlux")
    deposit_date: ChorusDate | None = wire("dateDepotFlux")
    status_changed_at: ChorusDate | None = wire("dateHeureEtatCourantFlux")
    flux_status: FluxStatus | None = wire("etatCourantDepotFlux")
    file_name: str | None = wire("nomFichier")
    invoice_errors: list[FluxInvoiceError] = Field(default_factory=list, alias="listeErreurDP")
    technical_errors: list[FluxTechnicalError] = Field(default_factory=list, alias="listeErreurTechnique")


# --- code lists -----------------------------------------------------------------------------------------


class FluxFormatItem(ChorusModel):
    format: FluxFormat | None = wire("formatFlux")


class FluxFormatsResponse(ChorusResponse):
    formats: list[FluxFormatItem] = Field(default_factory=list, alias="listeFormatFlux")


class FluxSyntaxesRequest(ChorusRequest):
    flux_format: FluxFormat | None = wire("formatFlux")


class FluxSyntaxItem(ChorusModel):
    syntax: FluxSyntax | None = wire("syntaxeFlux")


class FluxSyntaxesResponse(ChorusResponse):
    syntaxes: list[FluxSyntaxItem] = Field(default_factory=list, alias="listeSyntaxeFlux")


class Currency(ChorusModel):
    code: str | None = wire("codeDevise")
    label: str | None = wire("libelleDevise")


class CurrenciesResponse(ChorusResponse):
    currencies: list[Currency] = Field(default_factory=list, alias="listeDevises")


class Country(ChorusModel):
    code: str | None = wire("codePays")
    label: str | None = wire("libellePays")


class CountriesResponse(ChorusResponse):
    countries: list[Country] = Field(default_factory=list, alias="listePays")


class DepositModeItem(ChorusModel):
    mode: DepositMode | None = wire("modeDepot")


class DepositModesResponse(ChorusResponse):
    modes: list[DepositModeItem] = Field(default_factory=list, alias="listeModeDepot")


class PaymentModeItem(ChorusModel):
    mode: PaymentMode | None = wire("modePaiement")


class PaymentModesResponse(ChorusResponse):
    modes: list[PaymentModeItem] = Field(default_factory=list, alias="listeModePaiement")


class BillingFrameworksRequest(ChorusRequest):
    language: LanguageCode | None = wire("codeLangue")
    payment_request_type: str | None = wire("typeDemandePaiement")


class BillingFrameworkItem(ChorusModel):
    code: BillingFramework | None = wire("codeCadreFacturation")


class BillingFrameworksResponse(ChorusResponse):
    frameworks: list[BillingFrameworkItem] = Field(default_factory=list, alias="listeCadreFacturation")


class VatRate(ChorusModel):
    code: str | None = wire("codeTauxTva")
    label: str | None = wire("libelleTauxTva")
    value: float | None = wire("valeurTauxTva")


class VatRatesResponse(ChorusResponse):
    rates: list[VatRate] = Field(default_factory=list, alias="listeTauxTva")


class VatExemptionReason(ChorusModel):
    code: str | None = wire("codeMotifExonerationTva")
    label: str | None = wire("libelleMotifExonerationTva")


class VatExemptionReasonsResponse(ChorusResponse):
    reasons: list[VatExemptionReason] = Field(default_factory=list, alias="listeMotifsExonerationTva")


class RefusalReasonsRequest(ChorusRequest):
    billing_framework: BillingFramework | None = wire("codeCadreFacturationAValider")


class RefusalReason(ChorusModel):
    reason_id: int | None = wire("idMotif")
    code: str | None = wire("codeMotif")
    label: str | None = wire("libelleMotif")


class RefusalReasonsResponse(ChorusResponse):
    reasons: list[RefusalReason] = Field(default_factory=list, alias="listeMotifRefusFactureAValider")


class PaymentRequestTypeItem(ChorusModel):
    type: str | None = wire("typeDemandePaiement")


class PaymentRequestTypesResponse(ChorusResponse):
    types: list[PaymentRequestTypeItem] = Field(default_factory=list, alias="listeTypeDemandePaiement")


class PaymentRequestStatesRequest(ChorusRequest):
    payment_request_type: str = wire("typeDemandePaiement", "FACTURE")


class PaymentRequestStateItem(ChorusModel):
    state: InvoiceStatus | None = wire("etatDemandePaiement")


class PaymentRequestStatesResponse(ChorusResponse):
    states: list[PaymentRequestStateItem] = Field(default_factory=list, alias="listeEtatDemandePaiement")


class ProcessingStatusesRequest(ChorusRequest):
    """``recuperer/etats/traitement``: the statuses a recipient may set from ``current_status``."""

    current_status: InvoiceStatus = wire("statutCourant", ...)


class ProcessingStatusItem(ChorusModel):
    status: InvoiceStatus | None = wire("statutPossiblePourTraitement")


class ProcessingStatusesResponse(ChorusResponse):
    statuses: list[ProcessingStatusItem] = Field(
        default_factory=list, alias="listeStatutsPossiblesPourTraitement"
    )


class WorksInvoiceTypeItem(ChorusModel):
    type: str | None = wire("typeFactureTravaux")


class WorksInvoiceTypesResponse(ChorusResponse):
    types: list[WorksInvoiceTypeItem] = Field(default_factory=list, alias="listeTypeFactureTravaux")


class IdentifierTypeItem(ChorusModel):
    type: IdentifierType | None = wire("typeIdentifiantStructure")


class IdentifierTypesResponse(ChorusResponse):
    types: list[IdentifierTypeItem] = Field(default_factory=list, alias="listeTypeIdentifiant")


class AttachmentTypesRequest(ChorusRequest):
    language: LanguageCode | None = wire("codeLangue")
    object_type: str | None = wire("typeObjet")


class AttachmentType(ChorusModel):
    type_id: int | None = wire("idTypePieceJointe")
    code: str | None = wire("codeTypePieceJointe")
    label: str | None = wire("libelleTypePieceJointe")
    object_type: str | None = wire("typeObjet")


class AttachmentTypesResponse(ChorusResponse):
    types: list[AttachmentType] = Field(default_factory=list, alias="listeTypePieceJointe")


# --- structures seen from the transverses API -----------------------------------------------------------


class BankAccountsRequest(ChorusRequest):
    structure_id: int = wire("idStructure", ...)


class BankAccount(ChorusModel):
    bank_account_id: int | None = wire("idCoordonneeBancaire")
    name: str | None = wire("nomCoordonneeBancaire")


class BankAccountsResponse(ChorusResponse):
    bank_accounts: list[BankAccount] = Field(default_factory=list, alias="listeCoordonneeBancaire")


class ActiveStructure(ChorusModel):
    structure_id: int | None = wire("idStructureCPP")
    identifier: str | None = wire("identifiant")
    name: str | None = wire("designationStructure")


class ActiveStructuresRequest(PagedRequest):
    """Input of ``recuperer/structures/actives/*`` (empty in practice; paging is accepted)."""

    paging: PageRequest | None = wire("parametresRecherche")


class ActiveStructuresResponse(PagedResponse):
    items_field = "structures"
    structures: list[ActiveStructure] = Field(default_factory=list, alias="listeStructures")


class SiretInfoRequest(ChorusRequest):
    siret: str = wire("siretStructure", ...)


class SiretInfoResponse(ChorusResponse):
    siret: str | None = wire("siret")
    siren: str | None = wire("siren")
    company_name: str | None = wire("raisonSociale")
    address: Any = wire("adresse")
    active: bool | None = wire("estActif")
    head_office: bool | str | None = wire("siege")  # "OUI"/"NON" in some answers
    legal_category: str | None = wire("categorieJuridique")
    company_category: str | None = wire("categorieEntreprise")
    not_public_insee: bool | None = wire("nonDiffusibleInsee")
    company_created_on: ChorusDate | None = wire("dateCreationEntreprise")
    establishment_created_on: ChorusDate | None = wire("dateCreationEtablissement")


class SearchRecipientsRequest(PagedRequest):
    """``rechercher/destinataire``: public recipients by identifier, name or town."""

    paging: PageRequest | None = wire("parametresRecherche")
    identifier: str | None = wire("identifiant")
    city_or_postcode: str | None = wire("nomVilleCodePostal")
    structure_kind: StructureKind | None = wire("typeStructure")


class RecipientStructure(ChorusModel):
    structure_id: int | None = wire("idStructureCPP")
    siret: str | None = wire("siret")
    name: str | None = wire("nomDestinataire")
    postal_code: str | None = wire("adresseCodePostal")
    city: str | None = wire("adresseVille")


class SearchRecipientsResponse(PagedResponse):
    items_field = "recipients"
    recipients: list[RecipientStructure] = Field(default_factory=list, alias="listeDestinataires")


class FileResponse(ChorusResponse):
    """An answer carrying one base64 file (``fichierResultat``)."""

    file_content: str | None = wire("fichierResultat")

    def content(self) -> bytes:
        return base64.b64decode(self.file_content or "")


# --- attachments ----------------------------------------------------------------------------------------


class AddFileRequest(ChorusRequest):
    """``ajouter/fichier``: store an attachment and get its id for ``soumettre`` / ``completer``."""

    file_content: str = wire("pieceJointeFichier", ...)
    file_name: str = wire("pieceJointeNom", ...)
    mime_type: str = wire("pieceJointeTypeMime", "application/pdf")
    extension: str = wire("pieceJointeExtension", "PDF")

    @classmethod
    def from_bytes(
        cls, content: bytes, *, file_name: str, mime_type: str = "application/pdf"
    ) -> AddFileRequest:
        extension = file_name.rsplit(".", 1)[-1].upper() if "." in file_name else ""
        return cls(
            file_content=encode_file(content), file_name=file_name, mime_type=mime_type, extension=extension
        )

    def identifying_fields(self) -> dict[str, Any]:
        return {"file_name": self.file_name, **file_fingerprint(self.file_content)}


class AddFileResponse(ChorusResponse):
    attachment_id: int | None = wire("pieceJointeId")


class Attachment(ChorusModel):
    attachment_id: int | None = wire("pieceJointeId")
    designation: str | None = wire("pieceJointeDesignation")
    extension: str | None = wire("pieceJointeExtension")
    type_code: str | None = wire("pieceJointeTypeCode")


class SearchMyAttachmentsRequest(PagedRequest):
    """``rechercher/pj/moncompte``."""

    paging: PageRequest | None = wire("parametresRecherche")
    attachment_type_id: int | None = wire("pieceJointeTypeId")
    designation: str | None = wire("pieceJointeDesignation")
    language: LanguageCode | None = wire("codeLangue")


class SearchStructureAttachmentsRequest(SearchMyAttachmentsRequest):
    """``rechercher/pj/structure``."""

    structure_id: int | None = wire("idStructureCPP")


class SearchAttachmentsResponse(PagedResponse):
    items_field = "attachments"
    attachments: list[Attachment] = Field(default_factory=list, alias="listePiecesJointes")


class DownloadAttachmentRequest(ChorusRequest):
    """``telecharger/pieceJointe``: ``object_type`` says which sub-object (given as wire dict) applies."""

    object_type: str = wire("objetPieceJointe", ...)
    payment_request: dict[str, Any] | None = wire("demandePaiement")
    commitment: dict[str, Any] | None = wire("engagementJuridique")
    structure: dict[str, Any] | None = wire("structure")
    support_request: dict[str, Any] | None = wire("sollicitation")


class DownloadAttachmentResponse(ChorusResponse):
    file_content: str | None = wire("pieceJointe")

    def content(self) -> bytes:
        return base64.b64decode(self.file_content or "")


class SupportCategoriesRequest(PagedRequest):
    paging: PageRequest | None = wire("pagination")
    code: str | None = wire("codeCategorie")
    label: str | None = wire("libelleCategorie")
    active: bool | None = wire("estActif")
    language: LanguageCode | None = wire("codeLangue")


class SupportCategoriesResponse(PagedResponse):
    items_field = "categories"
    categories: list[dict[str, Any]] = Field(default_factory=list, alias="listeCategories")


class SupportSubcategoriesRequest(PagedRequest):
    paging: PageRequest | None = wire("pagination")
    category_id: int | None = wire("idTechniqueCategorie")
    code: str | None = wire("code")
    label: str | None = wire("libelle")
    active: bool | None = wire("estActif")
    language: LanguageCode | None = wire("codeLangue")


class SupportSubcategoriesResponse(PagedResponse):
    items_field = "subcategories"
    subcategories: list[dict[str, Any]] = Field(default_factory=list, alias="listeSousCategories")
