"""How the pages name things: the dashboard's categories, statuses and roles in French, amounts and dates
the French way. Display only: the life cycle itself is the engine's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from chorus_connect.store import InvoiceFilter, InvoiceStatus, StatusCount, UserRole

PARIS = ZoneInfo("Europe/Paris")
S = InvoiceStatus

SUSPENDUE, A_RECYCLER, REJETEE, MISE_EN_PAIEMENT = "SUSPENDUE", "A_RECYCLER", "REJETEE", "MISE_EN_PAIEMENT"
_SPECIAL_CHORUS = (SUSPENDUE, A_RECYCLER, REJETEE, MISE_EN_PAIEMENT)
_TO_DEPOSIT = (S.IMPORTED, S.CHECKED, S.QUEUED)
_IN_ERROR = (S.CHECK_FAILED, S.REFUSED_AT_INTEGRATION)
_DEPOSITED = (S.DEPOSITING, S.DEPOSITED, S.INTEGRATED)


@dataclass(frozen=True, slots=True)
class Category:
    """One box of the dashboard, and the filter that lists its invoices."""

    slug: str
    label: str
    statuses: tuple[InvoiceStatus, ...]
    chorus_statuses: tuple[str, ...] = ()
    exclude_chorus: tuple[str, ...] = ()

    def matches(self, status: InvoiceStatus, chorus_status: str | None) -> bool:
        if status not in self.statuses:
            return False
        if self.chorus_statuses:
            return chorus_status in self.chorus_statuses
        return chorus_status not in self.exclude_chorus

    def narrow(self, where: InvoiceFilter) -> InvoiceFilter:
        where.statuses = list(self.statuses)
        where.chorus_statuses = list(self.chorus_statuses) or None
        where.exclude_chorus_statuses = list(self.exclude_chorus) or None
        return where


CATEGORIES = (
    Category("a-deposer", "À déposer", _TO_DEPOSIT),
    Category("en-erreur", "En erreur", _IN_ERROR),
    Category("deposees", "Déposées", _DEPOSITED, exclude_chorus=_SPECIAL_CHORUS),
    Category("suspendues", "Suspendues", (S.INTEGRATED,), chorus_statuses=(SUSPENDUE,)),
    Category("a-recycler", "À recycler", (S.INTEGRATED,), chorus_statuses=(A_RECYCLER,)),
    Category("rejetees", "Rejetées", (S.INTEGRATED,), chorus_statuses=(REJETEE,)),
    Category("payees", "Payées", (S.INTEGRATED,), chorus_statuses=(MISE_EN_PAIEMENT,)),
)
CATEGORY_BY_SLUG = {category.slug: category for category in CATEGORIES}


def category_of(status: InvoiceStatus, chorus_status: str | None) -> Category | None:
    return next((c for c in CATEGORIES if c.matches(status, chorus_status)), None)


@dataclass(frozen=True, slots=True)
class CategoryTotal:
    category: Category
    count: int
    amount: Decimal


def dashboard(counts: Iterable[StatusCount]) -> list[CategoryTotal]:
    """Counts and amounts (with VAT) per category, from the store's (status, Chorus status) groups."""
    totals = {c.slug: [0, Decimal("0.00")] for c in CATEGORIES}
    for row in counts:
        category = category_of(row.status, row.chorus_status)
        if category is not None:
            totals[category.slug][0] += row.count
            totals[category.slug][1] += row.amount_tax_inclusive
    return [CategoryTotal(c, int(totals[c.slug][0]), Decimal(totals[c.slug][1])) for c in CATEGORIES]


STATUS_LABELS = {
    S.IMPORTED: "Importée",
    S.CHECKED: "Contrôlée",
    S.CHECK_FAILED: "Erreurs au contrôle",
    S.QUEUED: "En file de dépôt",
    S.DEPOSITING: "Dépôt en cours",
    S.DEPOSITED: "Déposée",
    S.INTEGRATED: "Intégrée",
    S.REFUSED_AT_INTEGRATION: "Refusée à l'intégration",
    S.WITHDRAWN: "Retirée",
}

CHORUS_LABELS = {
    "DEPOSEE": "Déposée",
    "EN_COURS_ACHEMINEMENT": "En cours d'acheminement",
    "MISE_A_DISPOSITION": "Mise à disposition",
    "SUSPENDUE": "Suspendue",
    "A_RECYCLER": "À recycler",
    "REJETEE": "Rejetée",
    "COMPLETEE": "Complétée",
    "SERVICE_FAIT": "Service fait",
    "PRISE_EN_COMPTE_DESTINATAIRE": "Prise en compte",
    "MANDATEE": "Mandatée",
    "MISE_A_DISPOSITION_COMPTABLE": "Mise à disposition comptable",
    "COMPTABILISEE": "Comptabilisée",
    "MISE_EN_PAIEMENT": "Mise en paiement",
    "ABANDONNEE": "Abandonnée",
    "SUPPRIMEE": "Supprimée",
}

ROLE_LABELS = {
    UserRole.ADMINISTRATOR: "Administrateur",
    UserRole.ACCOUNTANT: "Comptable",
    UserRole.READ_ONLY: "Lecture seule",
}

ACTION_LABELS = {
    "edit": "Modifier",
    "check": "Contrôler",
    "queue": "Déposer",
    "withdraw": "Retirer",
    "complete": "Compléter",
    "recycle": "Recycler",
    "resend": "Renvoyer",
    "cancel": "Annuler par un avoir",
}

ENVIRONMENT_LABELS = {
    "production": "Production",
    "sandbox": "Qualification (sandbox)",
    "local": "Simulateur local",
}
PAYMENT_MODES = ("VIREMENT", "CHEQUE", "PRELEVEMENT", "ESPECE", "AUTRE", "REPORT")
PAYMENT_MODE_LABELS = {
    "VIREMENT": "Virement",
    "CHEQUE": "Chèque",
    "PRELEVEMENT": "Prélèvement",
    "ESPECE": "Espèces",
    "AUTRE": "Autre",
    "REPORT": "Report",
}


def status_label(status: InvoiceStatus | str | None) -> str:
    if status is None:
        return ""
    try:
        return STATUS_LABELS[InvoiceStatus(status)]
    except ValueError:
        return str(status)


def chorus_label(chorus_status: str | None) -> str:
    if not chorus_status:
        return ""
    return CHORUS_LABELS.get(chorus_status, chorus_status.replace("_", " ").capitalize())


def invoice_state_label(status: InvoiceStatus, chorus_status: str | None) -> str:
    """One phrase for a list cell: Chorus's status once integrated, else the connector's."""
    if status == S.INTEGRATED and chorus_status:
        return chorus_label(chorus_status)
    return status_label(status)


def amount(value: Decimal | int | float | str | None, currency: str | None = "EUR") -> str:
    """``1 234,50 €``: French grouping (narrow no-break space) and decimal comma."""
    if value is None:
        return ""
    number = Decimal(str(value)).quantize(Decimal("0.01"))
    sign = "-" if number < 0 else ""
    whole, cents = f"{abs(number):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", "\u202f")
    symbol = "€" if (currency or "EUR") == "EUR" else currency
    return f"{sign}{grouped},{cents}\u00a0{symbol}"


def day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(PARIS).date()
    return value.strftime("%d/%m/%Y")


def moment(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
