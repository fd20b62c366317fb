"""Structures (tenants): settings, encrypted credentials, technical-password expiry, move to production."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from chorus_connect.invoice.enums import ChorusPaymentMode
from chorus_connect.store.enums import (
    OPEN_DEPOSIT_STATES,
    BatchStatus,
    EnvironmentName,
    EventSource,
    InvoiceStatus,
    StructureRole,
)
from chorus_connect.store.errors import ConflictError, DuplicateError, InvalidInputError, NotFoundError
from chorus_connect.store.models.deposits import DepositAttempt
from chorus_connect.store.models.invoices import Batch, InvoiceRecord
from chorus_connect.store.models.markets import Market
from chorus_connect.store.models.structures import PisteApplication, Structure
from chorus_connect.store.models.tracking import SyncCursor
from chorus_connect.store.repositories.base import Repository
from chorus_connect.store.repositories.piste import NewPisteApplication
from chorus_connect.store.validation import Checker, checker

if TYPE_CHECKING:
    from chorus_connect.api import Credentials, Environment

# AIFE: the technical password must be changed every 424 days (reference §4, technical account).
PASSWORD_LIFETIME = dt.timedelta(days=424)
PASSWORD_WARNING = dt.timedelta(days=30)
NOT_YET_DEPOSITED = (
    InvoiceStatus.IMPORTED,
    InvoiceStatus.CHECKED,
    InvoiceStatus.CHECK_FAILED,
    InvoiceStatus.QUEUED,
)

# Settings that `update` may change (secrets, role and environment have their own operations).
EDITABLE = frozenset(
    {
        "name",
        "siret",
        "technical_login",
        "piste_application_id",
        "default_service_code",
        "engagement_management",
        "default_payment_mode",
        "bank_account_id",
        "bank_account_label",
        "referent_email",
        "chorus_structure_id",
        "webhook_url",
        "notification_emails",
        "is_active",
    }
)


@dataclass(kw_only=True)
class NewStructure:
    """A structure to add. Give either ``piste_application_id`` (a shared application) or ``piste``."""

    name: str
    environment: EnvironmentName | str
    siret: str
    technical_login: str
    technical_password: SecretStr | str
    role: StructureRole | str = StructureRole.SUPPLIER
    piste_application_id: int | None = None
    piste: NewPisteApplication | None = None
    technical_password_expires_on: dt.date | None = None  # dateExpirationMotPasseCompteTech, if known
    default_service_code: str | None = None
    engagement_management: bool = False
    default_payment_mode: str | None = None
    bank_account_id: int | None = None
    bank_account_label: str | None = None
    referent_email: str | None = None
    chorus_structure_id: int | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | str | None = None
    notification_emails: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class ProductionMove:
    """What a move from sandbox (or local) to production needs: the real SIRET and production credentials."""

    siret: str
    technical_login: str
    technical_password: SecretStr | str
    piste_application_id: int | None = None
    piste: NewPisteApplication | None = None
    technical_password_expires_on: dt.date | None = None
    chorus_structure_id: int | None = None
    default_service_code: str | None = None
    bank_account_id: int | None = None
    bank_account_label: str | None = None


@dataclass(frozen=True, slots=True)
class MoveReport:
    structure_id: int
    withdrawn_invoices: int  # imported/checked/queued test invoices, closed (re-import them to deposit)
    untracked_invoices: int  # deposited test invoices, no longer followed (history kept)
    markets_to_review: tuple[str, ...]  # market numbers whose recipient SIRET is not a valid real SIRET


@dataclass(frozen=True, slots=True)
class PasswordExpiry:
    expires_on: dt.date
    days_left: int
    source: str  # "chorus" (dateExpirationMotPasseCompteTech) or "estimated" (entry date + 424 days)

    @property
    def warn(self) -> bool:
        """True from 30 days before the expiry date (and after it)."""
        return self.days_left <= PASSWORD_WARNING.days

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    def message(self) -> str:
        if self.expired:
            return (
                f"The technical password expired on {self.expires_on.isoformat()}: the structure's main "
                "manager must reset it on Chorus Pro, then enter the new one here."
            )
        return (
            f"The technical password expires on {self.expires_on.isoformat()} (in {self.days_left} days): "
            "ask the structure's main manager to renew it on Chorus Pro, then enter the new one here."
        )


def password_expiry(structure: Structure, today: dt.date) -> PasswordExpiry:
    expires_on = structure.technical_password_expires_on
    return PasswordExpiry(expires_on, (expires_on - today).days, structure.technical_password_expiry_source)


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Everything a Chorus Pro client needs for one structure, secrets as masked ``SecretStr``."""

    structure_id: int
    environment: EnvironmentName
    siret: str
    chorus_structure_id: int | None
    client_id: str
    client_secret: SecretStr
    technical_login: str
    technical_password: SecretStr
    token_url: str | None
    api_url: str | None

    def api_credentials(self) -> Credentials:
        from chorus_connect.api import Credentials

        return Credentials(
            client_id=self.client_id,
            client_secret=self.client_secret.get_secret_value(),
            technical_login=self.technical_login,
            technical_password=self.technical_password.get_secret_value(),
        )

    def api_environment(self) -> Environment:
        from chorus_connect.api import Environment

        return Environment.named(self.environment.value, token_url=self.token_url, api_url=self.api_url)


class StructureRepository(Repository):
    # --- create / read ------------------------------------------------------------------------------

    def add(self, new: NewStructure) -> Structure:
        check = checker("structure")
        environment = check.choice("environment", new.environment, EnvironmentName)
        role = check.choice("role", new.role, StructureRole)
        if not new.environment:
            check.add("environment", "is required", "choose production, sandbox or local")
        settings = _validated_settings(check, _settings_of(new), environment)
        password = _plain(new.technical_password)
        if not password:
            check.add("technical_password", "is required", "copy the technical account's password")
        if new.piste_application_id is None and new.piste is None:
            check.add(
                "piste_application_id",
                "is required",
                "give the id of an existing PISTE application, or the new application's client id and secret",
            )
        check.raise_if_any()
        assert environment is not None and role is not None
        self._refuse_duplicate(settings["name"], settings["siret"], role, environment)
        application = self._application_for(new.piste_application_id, new.piste, environment)
        today = self.uow.now().date()
        structure = Structure(
            role=role,
            environment=environment,
            piste_application=application,
            technical_password_encrypted=self.uow.encrypt(password),
            **_expiry_columns(today, new.technical_password_expires_on),
            **settings,
        )
        if new.webhook_secret is not None:
            structure.webhook_secret_encrypted = self._encrypted_or_none(new.webhook_secret)
        self.session.add(structure)
        self.flush(self._conflict(settings["name"], settings["siret"]))
        return structure

    def get(self, key: int | str) -> Structure:
        """By id, or by name."""
        structure = self.find(key)
        if structure is None:
            raise NotFoundError("structure", key, fix="List the structures to see their names and ids.")
        return structure

    def find(self, key: int | str) -> Structure | None:
        if isinstance(key, int):
            return self.session.get(Structure, key)
        return self.session.scalars(select(Structure).where(Structure.name == key.strip())).first()

    def list(
        self,
        *,
        role: StructureRole | None = None,
        environment: EnvironmentName | None = None,
        active_only: bool = False,
        ids: list[int] | None = None,
    ) -> list[Structure]:
        query = select(Structure).order_by(Structure.name)
        if role is not None:
            query = query.where(Structure.role == role)
        if environment is not None:
            query = query.where(Structure.environment == environment)
        if active_only:
            query = query.where(Structure.is_active.is_(True))
        if ids is not None:
            query = query.where(Structure.id.in_(ids))
        return list(self.session.scalars(query))

    # --- change -------------------------------------------------------------------------------------

    def update(self, structure_id: int, changes: Mapping[str, Any]) -> Structure:
        """Change settings (names as in :data:`EDITABLE`); all are checked before any is applied."""
        structure = self.get(structure_id)
        check = checker("structure")
        for name in sorted(set(changes) - EDITABLE):
            check.add(name, "cannot be changed here", _why_not_editable(name))
        settings = _validated_settings(check, dict(changes), structure.environment)
        check.raise_if_any()
        if "piste_application_id" in settings:
            structure.piste_application = self._application_for(
                settings.pop("piste_application_id"), None, structure.environment
            )
        if "name" in settings or "siret" in settings:
            self._refuse_duplicate(
                settings.get("name", structure.name),
                settings.get("siret", structure.siret),
                structure.role,
                structure.environment,
                exclude_id=structure.id,
            )
        for name, value in settings.items():
            setattr(structure, name, value)
        self.flush(self._conflict(structure.name, structure.siret))
        return structure

    def set_technical_password(
        self, structure_id: int, password: SecretStr | str, *, expires_on: dt.date | None = None
    ) -> Structure:
        """A new technical password: its expiry is ``expires_on`` (from Chorus) or today + 424 days."""
        structure = self.get(structure_id)
        plain = _plain(password)
        if not plain:
            raise InvalidInputError.single(
                "structure.technical_password", "is empty", "copy the technical account's new password"
            )
        structure.technical_password_encrypted = self.uow.encrypt(plain)
        for name, value in _expiry_columns(self.uow.now().date(), expires_on).items():
            setattr(structure, name, value)
        self.session.flush()
        return structure

    def record_password_expiry(self, structure_id: int, expires_on: dt.date) -> Structure:
        """Keep the date read from ``dateExpirationMotPasseCompteTech`` (structures/v1/consulter)."""
        structure = self.get(structure_id)
        structure.technical_password_expires_on = expires_on
        structure.technical_password_expiry_source = "chorus"
        self.session.flush()
        return structure

    def set_webhook(
        self, structure_id: int, url: str | None, secret: SecretStr | str | None = None
    ) -> Structure:
        """Set (or with ``url=None`` remove) the webhook; the HMAC secret is kept encrypted."""
        structure = self.get(structure_id)
        check = checker("structure")
        cleaned = check.url("webhook_url", url)
        if cleaned and not _plain(secret) and structure.webhook_secret_encrypted is None:
            check.add("webhook_secret", "is required with a webhook URL", "give a long random secret")
        check.raise_if_any()
        structure.webhook_url = cleaned
        if cleaned is None:
            structure.webhook_secret_encrypted = None
        elif _plain(secret):
            structure.webhook_secret_encrypted = self.uow.encrypt(_plain(secret))
        self.session.flush()
        return structure

    # --- secrets out --------------------------------------------------------------------------------

    def connection_settings(self, structure_id: int) -> ConnectionSettings:
        structure = self.get(structure_id)
        application = structure.piste_application
        return ConnectionSettings(
            structure_id=structure.id,
            environment=structure.environment,
            siret=structure.siret,
            chorus_structure_id=structure.chorus_structure_id,
            client_id=application.client_id,
            client_secret=self.uow.decrypt(
                application.client_secret_encrypted, what=f"the PISTE client secret of {structure.name!r}"
            ),
            technical_login=structure.technical_login,
            technical_password=self.uow.decrypt(
                structure.technical_password_encrypted, what=f"the technical password of {structure.name!r}"
            ),
            token_url=application.token_url,
            api_url=application.api_url,
        )

    def webhook_secret(self, structure_id: int) -> SecretStr | None:
        structure = self.get(structure_id)
        if structure.webhook_secret_encrypted is None:
            return None
        return self.uow.decrypt(
            structure.webhook_secret_encrypted, what=f"the webhook secret of {structure.name!r}"
        )

    # --- technical password expiry ------------------------------------------------------------------

    def password_expiry(self, structure_id: int, today: dt.date | None = None) -> PasswordExpiry:
        return password_expiry(self.get(structure_id), today or self.uow.now().date())

    def expiring_passwords(self, today: dt.date | None = None) -> list[tuple[Structure, PasswordExpiry]]:
        """Active structures whose technical password expires within 30 days (or has expired)."""
        day = today or self.uow.now().date()
        query = (
            select(Structure)
            .where(Structure.is_active.is_(True))
            .where(Structure.technical_password_expires_on <= day + PASSWORD_WARNING)
            .order_by(Structure.technical_password_expires_on)
        )
        return [(structure, password_expiry(structure, day)) for structure in self.session.scalars(query)]

    # --- sandbox → production -----------------------------------------------------------------------

    def move_to_production(self, structure_id: int, move: ProductionMove) -> MoveReport:
        """Switch a sandbox (or local) structure to production, keeping its history.

        Refused while a deposit is in flight. Test invoices not deposited yet are withdrawn; deposited ones
        stay as history but are no longer followed; sync cursors restart; Chorus ids, bank account and
        service code of the test data set are replaced by the given production ones (or cleared).
        """
        structure = self.get(structure_id)
        if structure.environment == EnvironmentName.PRODUCTION:
            raise ConflictError(
                f"Structure {structure.name!r} is already in production.",
                fix="Edit its settings instead (update / set_technical_password).",
            )
        check = checker("move")
        siret = check.siret("siret", move.siret, EnvironmentName.PRODUCTION)
        login = _technical_login(check, move.technical_login)
        password = _plain(move.technical_password)
        if not password:
            check.add("technical_password", "is required", "copy the production technical account's password")
        if move.piste_application_id is None and move.piste is None:
            check.add(
                "piste_application_id",
                "is required",
                "give the production PISTE application (sandbox applications do not work in production)",
            )
        service_code = check.optional_text("default_service_code", move.default_service_code, max_length=100)
        bank_label = check.optional_text("bank_account_label", move.bank_account_label)
        check.positive_int("bank_account_id", move.bank_account_id)
        check.positive_int("chorus_structure_id", move.chorus_structure_id)
        check.raise_if_any()
        self._refuse_move_in_flight(structure)
        self._refuse_duplicate(
            structure.name, siret, structure.role, EnvironmentName.PRODUCTION, structure.id
        )
        application = self._application_for(move.piste_application_id, move.piste, EnvironmentName.PRODUCTION)

        withdrawn, untracked = self._close_test_invoices(structure)
        self._fail_open_batches(structure)
        self.session.query(SyncCursor).filter(SyncCursor.structure_id == structure.id).delete()
        today = self.uow.now().date()
        structure.sandbox_siret = structure.siret
        structure.siret = siret
        structure.environment = EnvironmentName.PRODUCTION
        structure.piste_application = application
        structure.technical_login = login
        structure.technical_password_encrypted = self.uow.encrypt(password)
        for name, value in _expiry_columns(today, move.technical_password_expires_on).items():
            setattr(structure, name, value)
        structure.chorus_structure_id = move.chorus_structure_id
        structure.default_service_code = service_code
        structure.bank_account_id = move.bank_account_id
        structure.bank_account_label = bank_label
        structure.moved_to_production_at = self.uow.now()
        self.flush(self._conflict(structure.name, siret))
        return MoveReport(structure.id, withdrawn, untracked, self._markets_to_review(structure.id))

    def _refuse_move_in_flight(self, structure: Structure) -> None:
        open_attempts = self.session.scalar(
            select(func.count())
            .select_from(DepositAttempt)
            .where(DepositAttempt.structure_id == structure.id, DepositAttempt.state.in_(OPEN_DEPOSIT_STATES))
        )
        depositing = self.session.scalar(
            select(func.count())
            .select_from(InvoiceRecord)
            .where(
                InvoiceRecord.structure_id == structure.id,
                InvoiceRecord.status == InvoiceStatus.DEPOSITING,
            )
        )
        if open_attempts or depositing:
            raise ConflictError(
                f"Structure {structure.name!r} has {open_attempts or depositing} deposit(s) in flight; "
                "nothing was changed.",
                fix="Stop the workers, let the engine settle the open deposits (or run a sync), "
                "then move again.",
            )

    def _close_test_invoices(self, structure: Structure) -> tuple[int, int]:
        records = self.session.scalars(
            select(InvoiceRecord).where(
                InvoiceRecord.structure_id == structure.id,
                InvoiceRecord.environment == structure.environment,
                InvoiceRecord.is_terminal.is_(False),
            )
        ).all()
        withdrawn = untracked = 0
        for record in records:
            if record.status in NOT_YET_DEPOSITED:
                withdrawn += 1
                self.uow.invoices.transition(
                    record.id,
                    source=EventSource.USER,
                    status=InvoiceStatus.WITHDRAWN,
                    terminal=True,
                    comment=f"Withdrawn: the structure moved from {structure.environment.value} to "
                    "production. Import the invoice again to deposit it in production.",
                )
            else:
                untracked += 1
                self.uow.invoices.transition(
                    record.id,
                    source=EventSource.USER,
                    terminal=True,
                    comment=f"No longer followed: the structure moved from {structure.environment.value} "
                    "to production (this was a test deposit).",
                )
        return withdrawn, untracked

    def _fail_open_batches(self, structure: Structure) -> None:
        for batch in self.session.scalars(
            select(Batch).where(
                Batch.structure_id == structure.id, Batch.status.in_((BatchStatus.OPEN, BatchStatus.QUEUED))
            )
        ):
            batch.status = BatchStatus.FAILED

    def _markets_to_review(self, structure_id: int) -> tuple[str, ...]:
        markets = self.session.scalars(
            select(Market).where(Market.structure_id == structure_id).order_by(Market.number)
        )
        review = []
        for market in markets:
            probe = Checker("market")
            probe.siret("recipient_siret", market.recipient_siret, EnvironmentName.PRODUCTION)
            if probe.problems:
                review.append(market.number)
        return tuple(review)

    # --- helpers ------------------------------------------------------------------------------------

    def _application_for(
        self, application_id: int | None, new: NewPisteApplication | None, environment: EnvironmentName
    ) -> PisteApplication:
        if new is not None:
            if new.environment is None:
                new.environment = environment
            application = self.uow.piste_applications.add(new)
        else:
            assert application_id is not None
            application = self.uow.piste_applications.get(application_id)
        if application.environment != environment:
            raise InvalidInputError.single(
                "structure.piste_application_id",
                f"PISTE application {application.name!r} is a {application.environment.value} application, "
                f"the structure is in {environment.value}",
                f"use an application declared on PISTE {environment.value}",
            )
        return application

    def _refuse_duplicate(
        self,
        name: str,
        siret: str,
        role: StructureRole,
        environment: EnvironmentName,
        exclude_id: int | None = None,
    ) -> None:
        query = select(Structure).where(Structure.name == name)
        if environment == EnvironmentName.PRODUCTION:
            query = select(Structure).where(
                (Structure.name == name)
                | (
                    (Structure.siret == siret)
                    & (Structure.role == role)
                    & (Structure.environment == EnvironmentName.PRODUCTION)
                )
            )
        if exclude_id is not None:
            query = query.where(Structure.id != exclude_id)
        other = self.session.scalars(query).first()
        if other is None:
            return
        if other.name == name:
            raise DuplicateError(f"A structure named {name!r} exists already.", fix="Choose another name.")
        raise DuplicateError(
            f"Structure {other.name!r} already acts in production for SIRET {siret} as {role.value}.",
            fix="Use that structure: two structures depositing for one company would duplicate invoices.",
        )

    def _conflict(self, name: str, siret: str) -> Any:
        def make(_error: IntegrityError) -> DuplicateError:
            return DuplicateError(
                f"Structure {name!r} (SIRET {siret}) clashes with another one saved at the same time.",
                fix="Reload the list of structures and try again.",
            )

        return make

    def _encrypted_or_none(self, secret: SecretStr | str | None) -> str | None:
        plain = _plain(secret)
        return self.uow.encrypt(plain) if plain else None


def _settings_of(new: NewStructure) -> dict[str, Any]:
    names = EDITABLE - {"piste_application_id", "is_active"}
    return {name: getattr(new, name) for name in names}


def _validated_settings(
    check: Checker, values: dict[str, Any], environment: EnvironmentName | None
) -> dict[str, Any]:
    """Check and clean the settings present in ``values``."""
    cleaned: dict[str, Any] = {}
    validators = {
        "name": lambda v: check.required_text("name", v),
        "siret": lambda v: check.siret("siret", v, environment),
        "technical_login": lambda v: _technical_login(check, v),
        "piste_application_id": lambda v: check.positive_int("piste_application_id", v),
        "default_service_code": lambda v: check.optional_text("default_service_code", v, max_length=100),
        "engagement_management": lambda v: _boolean(check, "engagement_management", v),
        "default_payment_mode": lambda v: check.choice("default_payment_mode", v, ChorusPaymentMode),
        "bank_account_id": lambda v: check.positive_int("bank_account_id", v),
        "bank_account_label": lambda v: check.optional_text("bank_account_label", v),
        "referent_email": lambda v: check.email("referent_email", v),
        "chorus_structure_id": lambda v: check.positive_int("chorus_structure_id", v),
        "webhook_url": lambda v: check.url("webhook_url", v),
        "notification_emails": lambda v: check.emails("notification_emails", v),
        "is_active": lambda v: _boolean(check, "is_active", v),
    }
    for name, validate in validators.items():
        if name in values:
            value = validate(values.get(name))
            cleaned[name] = value.value if name == "default_payment_mode" and value is not None else value
    return cleaned


def _technical_login(check: Checker, value: str | None) -> str:
    login = check.required_text("technical_login", value)
    if ":" in login:
        check.add(
            "technical_login",
            "contains ':', which the cpro-account header (login:password) cannot carry",
            "copy the technical account's login exactly as Chorus Pro shows it (TECH_1_…@cpro.fr)",
        )
    return login


def _boolean(check: Checker, name: str, value: object) -> bool | None:
    if value is None:
        return False
    if not isinstance(value, bool):
        check.add(name, f"{value!r} is not true or false", "answer yes (true) or no (false)")
        return None
    return value


def _expiry_columns(today: dt.date, expires_on: dt.date | None) -> dict[str, Any]:
    return {
        "technical_password_set_on": today,
        "technical_password_expires_on": expires_on or today + PASSWORD_LIFETIME,
        "technical_password_expiry_source": "chorus" if expires_on else "estimated",
    }


def _why_not_editable(name: str) -> str:
    if name == "environment":
        return "move a sandbox structure with move_to_production (it needs production credentials)"
    if name in ("technical_password", "webhook_secret", "client_secret"):
        return "secrets have their own operations (set_technical_password, set_webhook)"
    if name == "role":
        return "a structure's role is fixed: add another structure for the other role"
    return f"{name} is not a structure setting"


def _plain(value: SecretStr | str | None) -> str:
    if value is None:
        return ""
    return (value.get_secret_value() if isinstance(value, SecretStr) else value).strip()
