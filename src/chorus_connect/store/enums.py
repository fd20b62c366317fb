"""Closed vocabularies of the store. Stored as plain strings (no database ENUM types), so that adding a
value never needs a migration; Chorus Pro's own status codes are kept verbatim as strings because the API
declares no enum and new values must be tolerated."""

from __future__ import annotations

from enum import StrEnum


class StructureRole(StrEnum):
    SUPPLIER = "supplier"
    PUBLIC_BUYER = "public_buyer"


class EnvironmentName(StrEnum):
    PRODUCTION = "production"
    SANDBOX = "sandbox"  # PISTE sandbox = Chorus Pro "qualification"
    LOCAL = "local"  # the embedded simulator


class InvoiceStatus(StrEnum):
    """The connector's own life-cycle status; once integrated, Chorus's status is in ``chorus_status``."""

    IMPORTED = "imported"
    CHECKED = "checked"
    CHECK_FAILED = "check_failed"  # the checks found blocking errors (findings kept)
    QUEUED = "queued"
    DEPOSITING = "depositing"
    DEPOSITED = "deposited"  # numeroFluxDepot known, flux not yet integrated
    INTEGRATED = "integrated"  # identifiantFactureCPP known; Chorus statuses follow
    REFUSED_AT_INTEGRATION = "refused_at_integration"
    WITHDRAWN = "withdrawn"  # never deposited and taken out (by the user, or the move to production)


class EventSource(StrEnum):
    ENGINE = "engine"
    CHORUS = "chorus"
    USER = "user"


class DepositState(StrEnum):
    """Journal states of one deposit call; see docs/store.md "Exactly-once deposits"."""

    PENDING = "pending"  # written and committed BEFORE the call
    SENT = "sent"  # the call returned a numeroFluxDepot: the deposit happened
    CONFIRMED = "confirmed"  # the engine recorded the outcome on the invoice(s); closed
    UNKNOWN = "unknown"  # the outcome is unknown (crash, timeout): ask Chorus before sending again
    FAILED = "failed"  # definitely not deposited: a new attempt is safe


OPEN_DEPOSIT_STATES = (DepositState.PENDING, DepositState.SENT, DepositState.UNKNOWN)


class BatchStatus(StrEnum):
    OPEN = "open"  # invoices can still be added
    QUEUED = "queued"  # frozen, waiting for a worker
    DEPOSITING = "depositing"
    DEPOSITED = "deposited"
    FAILED = "failed"


class NotificationKind(StrEnum):
    REJECTION = "rejection"
    SUSPENSION = "suspension"
    PAYMENT = "payment"
    RECYCLE_REQUEST = "recycle_request"
    PASSWORD_EXPIRY = "password_expiry"


class NotificationChannel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class UserRole(StrEnum):
    ADMINISTRATOR = "administrator"
    ACCOUNTANT = "accountant"
    READ_ONLY = "read_only"


class ApiKeyAccess(StrEnum):
    READ_WRITE = "read_write"  # read, import, deposit and act on the key's structures
    READ_ONLY = "read_only"


class FilePurpose(StrEnum):
    SOURCE = "source"  # the file the invoice was imported from
    DEPOSIT = "deposit"  # the file sent to Chorus Pro (flux)
    BATCH = "batch"  # a zip of several invoices
    RECEIVED = "received"  # a received invoice downloaded from Chorus Pro
    ATTACHMENT = "attachment"
