"""Test data sets of the simulator: the local counterpart of the qualification "matelas de données".

A data set holds fictitious supplier (private) and recipient (public) structures with their services,
bank details and engagements juridiques, the technical accounts that act for them and the PISTE
applications that call the API. It is plain data (pydantic), saved as JSON, deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field

_T = TypeVar("_T")

DEFAULT_SERVICE_CODE = "FACTURES_PUBLIQUES"

ALL_API_FAMILIES = (
    "factures",
    "transverses",
    "structures",
    "utilisateurs",
    "engagementsJuridiques",
    "facturesTravaux",
)


class StructureKind(StrEnum):
    PRIVATE = "PRIVEE"
    PUBLIC = "PUBLIQUE"


class AccountRole(StrEnum):
    SUPPLIER = "FOURNISSEUR"
    RECIPIENT = "DESTINATAIRE"


class PisteApplication(BaseModel):
    """A PISTE application: OAuth2 client credentials and the API families it subscribed to."""

    name: str
    client_id: str
    client_secret: str
    subscribed_apis: list[str] = Field(default_factory=lambda: list(ALL_API_FAMILIES))


class TechnicalAccount(BaseModel):
    """A Chorus Pro technical user (``TECH_1_...@cpro.fr``) sent in the ``cpro-account`` header."""

    user_id: int
    login: str
    password: str
    password_expires_on: dt.date
    role: AccountRole
    structure_ids: list[int]
    first_name: str = "Technique"
    last_name: str = "Utilisateur"
    email: str = ""

    def password_expired(self, on: dt.date) -> bool:
        """True from ``password_expires_on`` itself onwards: the expiry date is the first day it fails."""
        return on >= self.password_expires_on


class Service(BaseModel):
    service_id: int
    code: str
    label: str
    active: bool = True
    engagement_required: bool = False
    starts_on: dt.date = dt.date(2017, 1, 1)
    ends_on: dt.date | None = None


class BankAccount(BaseModel):
    bank_account_id: int
    name: str
    iban: str
    bic: str = ""
    valid: bool = True


class Address(BaseModel):
    line: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "FR"


class Structure(BaseModel):
    structure_id: int
    siret: str
    identifier_type: str = "SIRET"
    name: str
    kind: StructureKind
    active: bool = True
    email: str = ""
    vat_number: str = ""
    address: Address = Field(default_factory=Address)
    engagement_required: bool = False
    service_required: bool = False
    engagement_or_service: bool = False
    payment_status_not_reported: bool = False
    services: list[Service] = Field(default_factory=list)
    bank_accounts: list[BankAccount] = Field(default_factory=list)

    def service_by_code(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)

    def default_service(self) -> Service | None:
        """The ``FACTURES_PUBLIQUES`` service every public structure has."""
        return self.service_by_code(DEFAULT_SERVICE_CODE)

    def active_services(self) -> list[Service]:
        return [s for s in self.services if s.active]

    def valid_bank_accounts(self) -> list[BankAccount]:
        return [b for b in self.bank_accounts if b.valid]


class EngagementState(StrEnum):
    ORDERED = "COMMANDE"
    CLOSED = "CLOTURE"


class LegalCommitment(BaseModel):
    """An engagement juridique (purchase order / commitment) addressed by a public buyer to a supplier."""

    number: str
    supplier_structure_id: int
    recipient_structure_id: int
    state: EngagementState = EngagementState.ORDERED
    amount: str = "0.00"


class Dataset(BaseModel):
    seed: int
    generated_on: dt.date
    applications: list[PisteApplication]
    technical_accounts: list[TechnicalAccount]
    structures: list[Structure]
    commitments: list[LegalCommitment] = Field(default_factory=list)

    # Lookup helpers used by the simulator and by tests to pick structures by their settings.
    def structure(self, structure_id: int) -> Structure | None:
        return next((s for s in self.structures if s.structure_id == structure_id), None)

    def structure_by_siret(self, siret: str) -> Structure | None:
        return next((s for s in self.structures if s.siret == siret), None)

    def suppliers(self) -> list[Structure]:
        return [s for s in self.structures if s.kind is StructureKind.PRIVATE]

    def recipients(self) -> list[Structure]:
        return [s for s in self.structures if s.kind is StructureKind.PUBLIC]

    def accounts_for(self, structure_id: int) -> list[TechnicalAccount]:
        return [a for a in self.technical_accounts if structure_id in a.structure_ids]

    # "Well-known" picks: tests and the demo find their actors through these rather than hard-coded
    # numbers, so any seed works. Each raises LookupError naming what is missing.
    def main_supplier(self) -> Structure:
        """The first active supplier; its account is valid for 424 days and it has a valid bank account."""
        return _first(
            (s for s in self.suppliers() if s.active), f"no active supplier in data set seed {self.seed}"
        )

    def main_bank_account(self) -> BankAccount:
        """The first valid bank account of the main supplier."""
        supplier = self.main_supplier()
        return _first(
            supplier.valid_bank_accounts(), f"supplier {supplier.structure_id} has no valid bank account"
        )

    def inactive_supplier(self) -> Structure:
        return _first(
            (s for s in self.suppliers() if not s.active),
            f"no inactive supplier in data set seed {self.seed}",
        )

    def recipient_with(
        self,
        *,
        engagement_required: bool = False,
        service_required: bool = False,
        engagement_or_service: bool = False,
        payment_status_not_reported: bool = False,
        active: bool = True,
    ) -> Structure:
        """The first public structure whose flags are exactly these."""
        wanted = (engagement_required, service_required, engagement_or_service, payment_status_not_reported)
        return _first(
            (
                s
                for s in self.recipients()
                if s.active is active
                and (
                    s.engagement_required,
                    s.service_required,
                    s.engagement_or_service,
                    s.payment_status_not_reported,
                )
                == wanted
            ),
            f"no public structure with active={active}, engagement_required={engagement_required}, "
            f"service_required={service_required}, engagement_or_service={engagement_or_service}, "
            f"payment_status_not_reported={payment_status_not_reported} in data set seed {self.seed}",
        )

    def inactive_recipient(self) -> Structure:
        return _first(
            (s for s in self.recipients() if not s.active),
            f"no inactive public structure in data set seed {self.seed}",
        )

    def main_application(self) -> PisteApplication:
        """The first PISTE application subscribed to every API family."""
        return _first(
            (a for a in self.applications if set(ALL_API_FAMILIES) <= set(a.subscribed_apis)),
            f"no PISTE application subscribed to every API family in data set seed {self.seed}",
        )

    def application_without(self, api_family: str) -> PisteApplication:
        """The first PISTE application NOT subscribed to ``api_family`` (to provoke a 403)."""
        return _first(
            (a for a in self.applications if api_family not in a.subscribed_apis),
            f"every PISTE application of data set seed {self.seed} is subscribed to {api_family!r}",
        )

    def supplier_account(self, structure_id: int) -> TechnicalAccount:
        """The FOURNISSEUR technical account acting for this structure."""
        return self._account(structure_id, AccountRole.SUPPLIER)

    def recipient_account(self, structure_id: int) -> TechnicalAccount:
        """The DESTINATAIRE technical account acting for this public structure (it may cover others)."""
        return self._account(structure_id, AccountRole.RECIPIENT)

    def account_by_login(self, login: str) -> TechnicalAccount | None:
        return next((a for a in self.technical_accounts if a.login == login), None)

    def expired_account(self) -> TechnicalAccount:
        """A supplier technical account whose password had expired on ``generated_on``."""
        return _first(
            (
                a
                for a in self.technical_accounts
                if a.role is AccountRole.SUPPLIER and a.password_expired(self.generated_on)
            ),
            f"no expired technical account in data set seed {self.seed}",
        )

    def expiring_account(self, within_days: int = 30) -> TechnicalAccount:
        """A supplier account still valid on ``generated_on`` but expiring within ``within_days``."""
        limit = self.generated_on + dt.timedelta(days=within_days)
        return _first(
            (
                a
                for a in self.technical_accounts
                if a.role is AccountRole.SUPPLIER
                and not a.password_expired(self.generated_on)
                and a.password_expires_on <= limit
            ),
            f"no technical account expiring within {within_days} days in data set seed {self.seed}",
        )

    def commitments_between(
        self, supplier_structure_id: int, recipient_structure_id: int, state: EngagementState | None = None
    ) -> list[LegalCommitment]:
        return [
            c
            for c in self.commitments
            if c.supplier_structure_id == supplier_structure_id
            and c.recipient_structure_id == recipient_structure_id
            and (state is None or c.state is state)
        ]

    def commitment(self, number: str) -> LegalCommitment | None:
        return next((c for c in self.commitments if c.number == number), None)

    def _account(self, structure_id: int, role: AccountRole) -> TechnicalAccount:
        return _first(
            (a for a in self.accounts_for(structure_id) if a.role is role),
            f"no {role.value} technical account for structure {structure_id} in data set seed {self.seed}",
        )

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Dataset:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


def _first(items: Iterable[_T], missing: str) -> _T:
    for item in items:
        return item
    raise LookupError(missing)
