"""Deposit reports (Transverses API): `consulterCR` and `consulterCRDetaille`."""

from __future__ import annotations

import base64
from typing import Any

from chorus_connect.simulator.envelope import BusinessError, api_timestamp, require, success
from chorus_connect.simulator.registry import CallContext, operation
from chorus_connect.simulator.state import Flux

FAMILY = "transverses"
UNKNOWN_FLUX = 20003
LABEL = "TRA_MSG_00.003"


def _own_flux(ctx: CallContext, body: dict[str, Any]) -> Flux:
    number = str(require(body, "numeroFluxDepot", UNKNOWN_FLUX, LABEL))
    flux = ctx.platform.state.fluxes.get(number)
    # A flux is visible to the technical accounts of the structure that deposited it.
    if flux is None or (
        flux.depositor_login != ctx.account.login
        and flux.depositor_structure_id not in ctx.account.structure_ids
    ):
        raise BusinessError(UNKNOWN_FLUX, f"{LABEL} Flux inconnu : {number}")
    syntax = body.get("syntaxeFlux")
    if syntax and syntax != flux.syntax:
        raise BusinessError(
            UNKNOWN_FLUX, f"{LABEL} Le flux {number} a ete depose avec la syntaxe {flux.syntax}, pas {syntax}"
        )
    return flux


@operation(FAMILY, "/consulterCRDetaille", "consulterCRDetaille")
def detailed_report(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    flux = _own_flux(ctx, body)
    return success(
        codeInterfaceDepotFlux=flux.interface_code,
        dateDepotFlux=api_timestamp(flux.deposited_at),
        dateHeureEtatCourantFlux=api_timestamp(flux.status_at),
        etatCourantDepotFlux=flux.status,
        nomFichier=flux.file_name,
        listeErreurDP=[
            {
                "numeroDP": e.invoice_number,
                "identifiantFournisseur": e.supplier_identifier,
                "identifiantDestinataire": e.recipient_identifier,
                "libelleErreurDP": e.message,
            }
            for e in flux.dp_errors
        ],
        listeErreurTechnique=[
            {"codeErreur": e.code, "libelleErreur": e.label, "natureErreur": e.nature}
            for e in flux.technical_errors
        ],
    )


@operation(FAMILY, "/consulterCR", "consulterCR")
def report(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    flux = _own_flux(ctx, body)
    return success(
        numeroFluxDepot=flux.flux_number,
        codeAppliPartenaire="CPP001",
        designationPartenaire="Chorus Pro (simulateur local)",
        codeInterfaceFlux=flux.interface_code,
        dateDepotFlux=api_timestamp(flux.deposited_at),
        dateHeureEtatCourantFlux=api_timestamp(flux.status_at),
        etatCourantFlux=flux.status,
        nomFichierFlux=f"{flux.interface_code}_CPP001_{flux.flux_number}",
        fichierCR=base64.b64encode(_report_text(flux).encode("utf-8")).decode("ascii"),
    )


def _report_text(flux: Flux) -> str:
    """The report file. The real one is a PDF; the simulator sends plain text (documented choice)."""
    lines = [
        f"Compte rendu de traitement du flux {flux.flux_number}",
        f"Fichier : {flux.file_name} ({flux.syntax}, interface {flux.interface_code})",
        f"Etat : {flux.status} au {api_timestamp(flux.status_at)}",
        f"Factures integrees : {len(flux.invoice_ids)}",
    ]
    lines += [f"Rejet {e.invoice_number} : {e.message}" for e in flux.dp_errors]
    lines += [f"Erreur technique {e.code} : {e.label}" for e in flux.technical_errors]
    return "\n".join(lines) + "\n"
