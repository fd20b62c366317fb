"""Persistence: SQLAlchemy models and Alembic migrations (SQLite by default, PostgreSQL by URL).

>>> from chorus_connect.store import Store
>>> store = Store.open("sqlite:///chorus.sqlite3")          # doctest: +SKIP
>>> with store.transaction(actor="cli") as tx:             # doctest: +SKIP
...     for structure in tx.structures.list(): ...

See docs/store.md.
"""

from chorus_connect.store.db import ENV_DATABASE_URL, default_database_url
from chorus_connect.store.enums import (
    ApiKeyAccess,
    BatchStatus,
    DepositState,
    EnvironmentName,
    EventSource,
    FilePurpose,
    InvoiceStatus,
    NotificationChannel,
    NotificationKind,
    StructureRole,
    UserRole,
)
from chorus_connect.store.errors import (
    ConflictError,
    DuplicateError,
    FieldProblem,
    InvalidInputError,
    InvalidSecretKeyError,
    LeaseLostError,
    MigrationError,
    MissingSecretKeyError,
    NotFoundError,
    OpenDepositAttemptError,
    SecretKeyError,
    StoreError,
    WrongSecretKeyError,
)
from chorus_connect.store.leases import DEFAULT_LEASE, Claim
from chorus_connect.store.migrate import current_revision, downgrade, head_revision, upgrade
from chorus_connect.store.models import (
    ApiKey,
    Batch,
    DepositAttempt,
    InvoiceEvent,
    InvoiceRecord,
    Market,
    Notification,
    PisteApplication,
    ReceivedInvoice,
    ReceivedInvoiceEvent,
    StoredFile,
    Structure,
    SyncCursor,
    User,
)
from chorus_connect.store.repositories.files import NewFile
from chorus_connect.store.repositories.invoices import InvoiceFilter, Page, StatusCount, invoice_keys
from chorus_connect.store.repositories.markets import MarketConflict, NewMarket, apply_market
from chorus_connect.store.repositories.piste import NewPisteApplication
from chorus_connect.store.repositories.received import ReceivedInvoiceData
from chorus_connect.store.repositories.structures import (
    ConnectionSettings,
    MoveReport,
    NewStructure,
    PasswordExpiry,
    ProductionMove,
    password_expiry,
)
from chorus_connect.store.rotation import RotationReport, rotate_secret_key
from chorus_connect.store.secrets import (
    ENV_SECRET_KEY,
    ENV_SECRET_KEY_FILE,
    SecretBox,
    create_key_file,
    generate_key,
)
from chorus_connect.store.store import Store, UnitOfWork

__all__ = [
    "DEFAULT_LEASE",
    "ENV_DATABASE_URL",
    "ENV_SECRET_KEY",
    "ENV_SECRET_KEY_FILE",
    "ApiKey",
    "ApiKeyAccess",
    "Batch",
    "BatchStatus",
    "Claim",
    "ConflictError",
    "ConnectionSettings",
    "DepositAttempt",
    "DepositState",
    "DuplicateError",
    "EnvironmentName",
    "EventSource",
    "FieldProblem",
    "FilePurpose",
    "InvalidInputError",
    "InvalidSecretKeyError",
    "InvoiceEvent",
    "InvoiceFilter",
    "InvoiceRecord",
    "InvoiceStatus",
    "LeaseLostError",
    "Market",
    "MarketConflict",
    "MigrationError",
    "MissingSecretKeyError",
    "MoveReport",
    "NewFile",
    "NewMarket",
    "NewPisteApplication",
    "NewStructure",
    "NotFoundError",
    "Notification",
    "NotificationChannel",
    "NotificationKind",
    "OpenDepositAttemptError",
    "Page",
    "PasswordExpiry",
    "PisteApplication",
    "ProductionMove",
    "ReceivedInvoice",
    "ReceivedInvoiceData",
    "ReceivedInvoiceEvent",
    "RotationReport",
    "SecretBox",
    "SecretKeyError",
    "StatusCount",
    "Store",
    "StoreError",
    "StoredFile",
    "Structure",
    "StructureRole",
    "SyncCursor",
    "UnitOfWork",
    "User",
    "UserRole",
    "WrongSecretKeyError",
    "apply_market",
    "create_key_file",
    "current_revision",
    "default_database_url",
    "downgrade",
    "generate_key",
    "head_revision",
    "invoice_keys",
    "password_expiry",
    "rotate_secret_key",
    "upgrade",
]
