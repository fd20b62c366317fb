"""All mapped classes; importing this module fills ``Base.metadata`` (Alembic's target)."""

from chorus_connect.store.models.accounts import ApiKey, User, api_key_structures, user_structures
from chorus_connect.store.models.base import Base
from chorus_connect.store.models.deposits import DepositAttempt
from chorus_connect.store.models.files import StoredFile
from chorus_connect.store.models.invoices import Batch, InvoiceEvent, InvoiceRecord
from chorus_connect.store.models.markets import Market
from chorus_connect.store.models.meta import StoreMeta
from chorus_connect.store.models.notifications import Notification
from chorus_connect.store.models.received import ReceivedInvoice, ReceivedInvoiceEvent
from chorus_connect.store.models.structures import PisteApplication, Structure
from chorus_connect.store.models.tracking import SyncCursor
from chorus_connect.store.models.web import IdempotencyRecord, LoginThrottle, WebSession

__all__ = [
    "ApiKey",
    "Base",
    "Batch",
    "DepositAttempt",
    "IdempotencyRecord",
    "InvoiceEvent",
    "InvoiceRecord",
    "LoginThrottle",
    "Market",
    "Notification",
    "PisteApplication",
    "ReceivedInvoice",
    "ReceivedInvoiceEvent",
    "StoreMeta",
    "StoredFile",
    "Structure",
    "SyncCursor",
    "User",
    "WebSession",
    "api_key_structures",
    "user_structures",
]
