"""Models of the Factures travaux API (``/cpro/facturesTravaux/v1``): works invoices (reference §2.6)."""

from __future__ import annotations

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
    wire,
)
from chorus_connect.api.models.enums import DepositMode, InvoiceStatus, UserRole


class SearchWorksInvoicesRequest(PagedRequest):
    """``rechercherFactureTravaux``; Chorus Pro answers "no result" with codeRetour 20007."""

    paging: PageRequest | None = wire("rechercheFactureTravaux")
    user_role: UserRole | None = wire("roleUtilisateur", UserRole.SUPPLIER)
    supplier_structure_id: int | None = wire("idStructureFournisseur")
    supplier_service_id: int | None = wire("idServiceFournisseur")
    moe_structure_id: int | None = wire("idStructureMoe")
    moe_service_id: int | None = wire("idServiceMoe")
    moa_structure_id: int | None = wire("idStructureMoa")
    moa_service_id: int | None = wire("idServiceMoa")
    works_invoice_types: list[str] | None = wire("listeTypeFactureTravaux")
    recipient_id: int | None = wire("idDestinataire")
    recipient_service_id: int | None = wire("idServiceExecutant")
    deposit_date_from: ChorusDate | None = wire("periodeDateDepotDu")
    deposit_date_to: ChorusDate | None = wire("periodeDateDepotAu")
    billing_framework: str | None = wire("cadreFacturation")
    statuses: list[InvoiceStatus] | None = wire("listeStatutCourant")
    validator_structure_id: int | None = wire("idStructureValideur")
    invoice_date_from: ChorusDate | None = wire("periodeDateFactureTravauxDu")
    invoice_date_to: ChorusDate | None = wire("periodeDateFactureTravauxAu")
    works_invoice_number: str | None = wire("numeroFactureTravaux")
    contract_number: str | None = wire("numeroMarche")
    order_number: str | None = wire("numeroBonCommande")
    deposit_mode: DepositMode | None = wire("modeDepot")
    flux_number: str | None = wire("numeroFluxDepot")
    only_without_next_document: bool | None = wire("uniquementSansPieceSuivante")
    with_or_without_service: str | None = wire("avecSansService")
    status_changed_from: ChorusDate | None = wire("periodeDateHeureEtatCourantDu")
    status_changed_to: ChorusDate | None = wire("periodeDateHeureEtatCourantAu")
    downloaded: bool | None = wire("flagTelecharge")


class WorksInvoiceSummary(ChorusModel):
    works_invoice_id: int | None = wire("idFactureTravaux")
    works_invoice_number: str | None = wire("numeroFactureTravaux")
    status: InvoiceStatus | None = wire("statutFactureTravaux")
    works_invoice_type: str | None = wire("typeFactureTravaux")
    billing_framework: str | None = wire("cadreFacturation")
    works_invoice_date: ChorusDate | None = wire("dateFactureTravaux")
    deposit_date: ChorusDate | None = wire("dateDepot")
    status_changed_at: ChorusDate | None = wire("dateHeureEtatCourant")
    flux_number: str | None = wire("numeroFluxDepot")
    amount_ht: Amount | None = wire("montantHT")
    amount_ttc: Amount | None = wire("montantTTC")
    amount_due: Amount | None = wire("montantAPayer")
    supplier_structure_id: int | None = wire("idStructureFournisseur")
    recipient_service_code: str | None = wire("codeServiceExecutant")
    supplier_service_code: str | None = wire("codeServiceFournisseur")
    moa_service_code: str | None = wire("codeServiceMoa")
    moe_service_code: str | None = wire("codeServiceMoe")


class SearchWorksInvoicesResponse(PagedResponse):
    items_field = "works_invoices"
    works_invoices: list[WorksInvoiceSummary] = Field(default_factory=list, alias="listeFacturesTravaux")


class WorksInvoiceActionRequest(ChorusRequest):
    """Input of the works-invoice actions that designate one works invoice (paths inferred, §2.6)."""

    works_invoice_id: int = wire("idFactureTravaux", ...)
    comment: str | None = wire("commentaire")
    reason: str | None = wire("motif")

    def identifying_fields(self) -> dict[str, Any]:
        return {"works_invoice_id": self.works_invoice_id}


class SubmitWorksInvoiceRequest(ChorusRequest):
    """``soumettreFactureTravaux``: its input is not documented; pass the wire fields as extra fields."""

    works_invoice_number: str | None = wire("numeroFactureTravaux")

    def identifying_fields(self) -> dict[str, Any]:
        return {"works_invoice_number": self.works_invoice_number}


class WorksInvoiceActionResponse(ChorusResponse):
    works_invoice_id: int | None = wire("idFactureTravaux")
    works_invoice_number: str | None = wire("numeroFactureTravaux")
    status: InvoiceStatus | None = wire("statutFactureTravaux")
    deposit_date: ChorusDate | None = wire("dateDepotFactureTravaux")


class RequestPreviousRecyclingResponse(ChorusResponse):
    works_invoice_id: int | None = wire("idFactureTravaux")
    previous_document_id: int | None = wire("idPiecePrecedente")
