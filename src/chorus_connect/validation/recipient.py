"""What the Chorus Pro directory says about an invoice: the recipient's own requirements, the supplier's
structure, and the invoice numbers the supplier already used, read through a small protocol.

The API-client-backed directory (`recipient_api.ApiRecipientDirectory`: structures/v1/rechercher +
consulter, rechercher/services, engagementsJuridiques/v1/rechercher, factures/v1/rechercher/fournisseur,
cached) implements `RecipientDirectory`; `InMemoryRecipientDirectory` is the one the tests and offline
checks use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from chorus_connect.invoice.model import Invoice
from chorus_connect.validation.chorus_rules import MAX_ENGAGEMENT, SERVICE_CODE
from chorus_connect.validation.findings import Finding, Layer, Severity

PUBLIC_SERVICE = "FACTURES_PUBLIQUES"  # the public-to-public service of every public structure


class DirectoryUnavailableError(RuntimeError):
    """The Chorus Pro directory could not be read (network, credentials, subscription...).

    `reason` says why when it is one of the connection causes of the catalogue (#38–#40): `credentials`
    (PISTE refused the application), `account` (the technical account was refused or has expired),
    `subscription` (the application is not subscribed to the API family `family`); None otherwise."""

    def __init__(self, message: str, *, reason: str | None = None, family: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.family = family


@dataclass(frozen=True)
class RecipientService:
    """A service of a structure (`rechercher/services`), with its own engagement flag."""

    code: str
    name: str = ""
    active: bool = True
    engagement_required: bool = False


@dataclass(frozen=True)
class RecipientStructure:
    """A Chorus Pro structure (`structures/v1/consulter` → `parametres`)."""

    siret: str
    name: str = ""
    active: bool = True
    public: bool = True
    engagement_required: bool = False  # numeroEJDoitEtreRenseigne
    service_required: bool = False  # codeServiceDoitEtreRenseigne
    engagement_or_service: bool = False  # gestionNumeroEJOuCodeService


class RecipientDirectory(Protocol):
    def structure(self, siret: str) -> RecipientStructure | None:
        """The structure with this SIRET, or None when Chorus Pro does not know it."""
        ...

    def service(self, siret: str, code: str) -> RecipientService | None:
        """The structure's service with this code (exact match), or None when it has none."""
        ...

    def engagement_exists(self, siret: str, number: str) -> bool | None:
        """Whether the EJ is known for that buyer; None when it cannot be told (EJs not published)."""
        ...

    def invoice_number_used(self, supplier_siret: str, number: str, year: int) -> bool | None:
        """Whether the supplier already has an integrated invoice with this number dated in `year`;
        None when it cannot be told."""
        ...


@dataclass
class InMemoryRecipientDirectory:
    structures: dict[str, RecipientStructure] = field(default_factory=dict)
    services_by_siret: dict[str, list[RecipientService]] = field(default_factory=dict)
    engagements: dict[str, set[str]] = field(default_factory=dict)  # only for buyers that publish their EJs
    used_numbers: set[tuple[str, str, int]] | None = None  # (supplier SIRET, number, year); None: unknown

    def add(
        self,
        structure: RecipientStructure,
        services: Iterable[RecipientService] = (),
        engagements: Iterable[str] | None = None,
    ) -> None:
        self.structures[structure.siret] = structure
        self.services_by_siret[structure.siret] = list(services)
        if engagements is not None:
            self.engagements[structure.siret] = set(engagements)

    def structure(self, siret: str) -> RecipientStructure | None:
        return self.structures.get(siret)

    def service(self, siret: str, code: str) -> RecipientService | None:
        return next((s for s in self.services_by_siret.get(siret, []) if s.code == code), None)

    def engagement_exists(self, siret: str, number: str) -> bool | None:
        known = self.engagements.get(siret)
        return None if known is None else number in known

    def invoice_number_used(self, supplier_siret: str, number: str, year: int) -> bool | None:
        return None if self.used_numbers is None else (supplier_siret, number, year) in self.used_numbers

    def record_invoice_number(self, supplier_siret: str, number: str, year: int) -> None:
        """Remember an integrated invoice (what the API directory reads from the supplier's invoices)."""
        if self.used_numbers is None:
            self.used_numbers = set()
        self.used_numbers.add((supplier_siret, number, year))


def _finding(rule_id: str, path: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(rule_id, path, message, severity, Layer.RECIPIENT)


def check_recipient(invoice: Invoice, directory: RecipientDirectory) -> list[Finding]:
    """The directory's findings: the supplier's structure, the recipient's requirements, the number."""
    try:
        return [
            *_check_supplier(invoice, directory),
            *_check_buyer(invoice, directory),
            *_check_number(invoice, directory),
        ]
    except DirectoryUnavailableError as error:
        return [_unavailable(error)]


_NOT_CHECKED = (
    "les exigences du destinataire (code service, engagement, structure active) ne sont pas vérifiées"
)


def _unavailable(error: DirectoryUnavailableError) -> Finding:
    # A warning, not an error: the invoice may be right; the connection is what must be fixed, and a
    # deposit through the same connection would be refused the same way (rejection causes #38–#40).
    if error.reason == "credentials":
        rule_id, message = (
            "CPRO-API-01",
            "PISTE refuse l'application (client id ou secret) : vérifiez les deux dans votre espace "
            f"piste.gouv.fr, pour la bonne plateforme ; {_NOT_CHECKED} et aucun dépôt ne passera.",
        )
    elif error.reason == "account":
        rule_id, message = (
            "CPRO-API-02",
            "Chorus Pro refuse le compte technique (identifiant, mot de passe expiré après 424 jours, ou "
            f"compte non rattaché au fournisseur) : faites-le corriger sur le portail ; {_NOT_CHECKED}.",
        )
    elif error.reason == "subscription":
        rule_id, message = (
            "CPRO-API-03",
            f"L'application PISTE n'est pas abonnée à l'API {error.family or 'Chorus Pro'} (CGU à accepter "
            f"sur piste.gouv.fr, pour la bonne plateforme) : {_NOT_CHECKED}.",
        )
    else:
        rule_id, message = (
            "CPRO-DIR-01",
            f"L'annuaire Chorus Pro n'a pas pu être consulté : {_NOT_CHECKED}. Relancez le contrôle.",
        )
    return Finding(rule_id, "buyer.siret", message, Severity.WARNING, Layer.RECIPIENT, detail=str(error))


def _check_supplier(invoice: Invoice, directory: RecipientDirectory) -> list[Finding]:
    siret = invoice.seller.siret
    if not siret or not (siret.isdigit() and len(siret) == 14):
        return []  # no SIRET (foreign supplier) or a malformed one (CPRO-ID-01/03)
    structure = directory.structure(siret)
    if structure is None:
        return [
            _finding(
                "CPRO-FRN-01",
                "seller.siret",
                f"Le fournisseur {siret} n'existe pas dans Chorus Pro : vérifiez le SIRET de votre "
                "établissement, ou créez sa structure sur Chorus Pro avant de déposer.",
            )
        ]
    if not structure.active:
        return [
            _finding(
                "CPRO-FRN-02",
                "seller.siret",
                f"La structure fournisseur {siret} est inactive dans Chorus Pro : "
                "facturez depuis un établissement actif ou réactivez-la.",
            )
        ]
    return []


def _check_number(invoice: Invoice, directory: RecipientDirectory) -> list[Finding]:
    # Duplicate key: supplier + number + year of the invoice date (the year is inferred: docs/checks.md).
    siret, year = invoice.seller.siret, invoice.issue_date.year
    if siret and directory.invoice_number_used(siret, invoice.number, year):
        return [
            _finding(
                "CPRO-NUM-02",
                "number",
                f"Le numéro de facture {invoice.number!r} a déjà été déposé par ce fournisseur en "
                f"{year} : donnez-lui un nouveau numéro (une facture rejetée par l'acheteur ne se "
                "redépose pas : émettez un avoir et une nouvelle facture).",
            )
        ]
    return []


def _check_buyer(invoice: Invoice, directory: RecipientDirectory) -> list[Finding]:
    siret = invoice.buyer.siret
    if not siret:
        return []  # CPRO-ID-02 already says the SIRET is missing
    structure = directory.structure(siret)
    if structure is None:
        return [
            _finding(
                "CPRO-DEST-01",
                "buyer.siret",
                f"Le destinataire {siret} n'existe pas dans Chorus "
                "Pro : vérifiez le SIRET de la structure publique.",
            )
        ]
    findings: list[Finding] = []
    if not structure.active:
        findings.append(
            _finding(
                "CPRO-DEST-02",
                "buyer.siret",
                f"La structure {siret} est inactive dans Chorus "
                "Pro : demandez au destinataire son SIRET actuel.",
            )
        )
    if not structure.public:
        findings.append(
            _finding(
                "CPRO-DEST-09",
                "buyer.siret",
                f"La structure {siret} n'est pas une structure publique : Chorus Pro ne transmet "
                "que des factures adressées au secteur public (vérifiez le SIRET du destinataire).",
            )
        )
    service = _check_service(invoice, structure, directory, findings)
    _check_engagement(invoice, structure, service, directory, findings)
    return findings


def _check_service(
    invoice: Invoice, structure: RecipientStructure, directory: RecipientDirectory, findings: list[Finding]
) -> RecipientService | None:
    code = invoice.service_code
    if not code:
        if structure.service_required:
            findings.append(
                _finding(
                    "CPRO-DEST-03",
                    "service_code",
                    "Ce destinataire exige un code service (BT-10) : demandez-le à l'acheteur.",
                )
            )
        return None
    if not SERVICE_CODE.match(code):
        return None  # malformed (CPRO-SRV-01 says so): not looked up, as the platform does not either
    service = directory.service(structure.siret, code)
    if service is None and code == PUBLIC_SERVICE:
        return None  # every public structure has it, listed or not; its misuse is CPRO-SRV-02
    if service is None:
        findings.append(
            _finding(
                "CPRO-DEST-04",
                "service_code",
                f"Le code service {code!r} n'existe pas pour ce "
                "destinataire : corrigez-le (respect de la casse).",
            )
        )
    elif not service.active:
        findings.append(
            _finding(
                "CPRO-DEST-05",
                "service_code",
                f"Le service {code!r} est inactif dans Chorus Pro : demandez un service actif à l'acheteur.",
            )
        )
    return service


def _check_engagement(
    invoice: Invoice,
    structure: RecipientStructure,
    service: RecipientService | None,
    directory: RecipientDirectory,
    findings: list[Finding],
) -> None:
    number = invoice.engagement_number
    if not number:
        if structure.engagement_required or (service is not None and service.engagement_required):
            findings.append(
                _finding(
                    "CPRO-DEST-06",
                    "engagement_number",
                    "Ce destinataire exige un numéro d'engagement "
                    "juridique (BT-13, bon de commande) : reportez-le.",
                )
            )
        elif structure.engagement_or_service and not invoice.service_code:
            findings.append(
                _finding(
                    "CPRO-DEST-07",
                    "engagement_number",
                    "Ce destinataire exige un numéro d'engagement (BT-13) "
                    "ou un code service (BT-10) : renseignez l'un des deux.",
                )
            )
        return
    if len(number) <= MAX_ENGAGEMENT and directory.engagement_exists(structure.siret, number) is False:
        # Not an integration rejection: the buyer recycles or rejects the invoice afterwards (causes #14,
        # #44).
        findings.append(
            _finding(
                "CPRO-DEST-08",
                "engagement_number",
                f"Le numéro d'engagement {number!r} est inconnu ou clôturé dans Chorus Pro pour ce "
                "destinataire : la facture serait intégrée puis renvoyée par l'acheteur (à recycler), "
                "vérifiez le bon de commande.",
                Severity.WARNING,
            )
        )
