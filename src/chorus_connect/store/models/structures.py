"""PISTE applications and structures (the tenants)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chorus_connect.store.enums import EnvironmentName, StructureRole
from chorus_connect.store.models.base import ENCRYPTED, Base, Timestamps
from chorus_connect.store.types import EnumText, JsonDocument


class PisteApplication(Timestamps, Base):
    """An OAuth2 application declared on PISTE; several structures may share one (an ERP vendor's)."""

    __tablename__ = "piste_applications"
    __table_args__ = (UniqueConstraint("environment", "client_id"),)
    _repr_columns: ClassVar[tuple[str, ...]] = ("name", "environment", "client_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    environment: Mapped[EnvironmentName] = mapped_column(EnumText(EnvironmentName, 20))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret_encrypted: Mapped[str] = mapped_column(Text, info=ENCRYPTED)
    # Overrides of the environment's URLs (the local simulator's port varies; a proxy in production).
    token_url: Mapped[str | None] = mapped_column(String(500))
    api_url: Mapped[str | None] = mapped_column(String(500))

    structures: Mapped[list[Structure]] = relationship(back_populates="piste_application")


class Structure(Timestamps, Base):
    """A supplier or public-buyer structure on Chorus Pro, with its connection settings and options."""

    __tablename__ = "structures"
    __table_args__ = (
        # One production structure per SIRET and role: two tenants must never deposit for the same company.
        Index(
            "uq_structures_production_siret_role",
            "siret",
            "role",
            unique=True,
            sqlite_where=text("environment = 'production'"),
            postgresql_where=text("environment = 'production'"),
        ),
    )
    _repr_columns: ClassVar[tuple[str, ...]] = ("name", "role", "environment", "siret")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[StructureRole] = mapped_column(EnumText(StructureRole, 20))
    environment: Mapped[EnvironmentName] = mapped_column(EnumText(EnvironmentName, 20))
    siret: Mapped[str] = mapped_column(String(14))
    piste_application_id: Mapped[int] = mapped_column(
        ForeignKey("piste_applications.id", ondelete="RESTRICT")
    )

    technical_login: Mapped[str] = mapped_column(String(200))
    technical_password_encrypted: Mapped[str] = mapped_column(Text, info=ENCRYPTED)
    technical_password_set_on: Mapped[dt.date] = mapped_column(Date)
    technical_password_expires_on: Mapped[dt.date] = mapped_column(Date)
    # "chorus" when read from dateExpirationMotPasseCompteTech, "estimated" when set_on + 424 days.
    technical_password_expiry_source: Mapped[str] = mapped_column(String(20))

    chorus_structure_id: Mapped[int | None] = mapped_column(BigInteger)  # idStructureCPP
    default_service_code: Mapped[str | None] = mapped_column(String(100))
    engagement_management: Mapped[bool] = mapped_column(Boolean, default=False)
    default_payment_mode: Mapped[str | None] = mapped_column(String(20))  # modePaiement: VIREMENT, …
    bank_account_id: Mapped[int | None] = mapped_column(BigInteger)  # codeCoordonneesBancairesFournisseur
    bank_account_label: Mapped[str | None] = mapped_column(String(200))
    referent_email: Mapped[str | None] = mapped_column(String(320))

    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text, info=ENCRYPTED)
    notification_emails: Mapped[list[str]] = mapped_column(JsonDocument, default=list)

    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    moved_to_production_at: Mapped[dt.datetime | None]
    sandbox_siret: Mapped[str | None] = mapped_column(String(14))  # kept after the move, for history

    piste_application: Mapped[PisteApplication] = relationship(back_populates="structures")

    @property
    def is_production(self) -> bool:
        return self.environment == EnvironmentName.PRODUCTION

    def settings(self) -> dict[str, Any]:
        """The non-secret settings, for display (secrets are reported as set / not set)."""
        return {
            "name": self.name,
            "role": self.role.value,
            "environment": self.environment.value,
            "siret": self.siret,
            "piste_application_id": self.piste_application_id,
            "technical_login": self.technical_login,
            "technical_password": "set",
            "technical_password_expires_on": self.technical_password_expires_on.isoformat(),
            "chorus_structure_id": self.chorus_structure_id,
            "default_service_code": self.default_service_code,
            "engagement_management": self.engagement_management,
            "default_payment_mode": self.default_payment_mode,
            "bank_account_id": self.bank_account_id,
            "bank_account_label": self.bank_account_label,
            "referent_email": self.referent_email,
            "webhook_url": self.webhook_url,
            "webhook_secret": "set" if self.webhook_secret_encrypted else "not set",
            "notification_emails": list(self.notification_emails or []),
            "is_active": self.is_active,
        }
