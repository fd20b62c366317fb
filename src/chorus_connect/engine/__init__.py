"""The connector engine: invoice life cycle, exactly-once deposits, efficient tracking, workers.

The facade is :class:`chorus_connect.engine.service.Engine`; the worker loop is
:func:`chorus_connect.engine.worker.run_worker`. Names are imported lazily, so that importing one module
of the package (e.g. ``engine.notifications``) does not load the checks and the client. See docs/engine.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Engine": "chorus_connect.engine.service",
    "InvoiceView": "chorus_connect.engine.service",
    "open_store": "chorus_connect.engine.service",
    "default_store_url": "chorus_connect.engine.service",
    "invoice_summary": "chorus_connect.engine.service",
    "EngineSettings": "chorus_connect.engine.settings",
    "DEFAULT_SETTINGS": "chorus_connect.engine.settings",
    "Connections": "chorus_connect.engine.connection",
    "Connection": "chorus_connect.engine.connection",
    "Directories": "chorus_connect.engine.directory",
    "Action": "chorus_connect.engine.states",
    "allowed_actions": "chorus_connect.engine.states",
    "is_chorus_terminal": "chorus_connect.engine.states",
    "ImportReport": "chorus_connect.engine.imports",
    "CheckOutcome": "chorus_connect.engine.checking",
    "QueueReport": "chorus_connect.engine.deposits",
    "SyncReport": "chorus_connect.engine.tracking",
    "Worker": "chorus_connect.engine.worker",
    "WorkerOptions": "chorus_connect.engine.worker",
    "WorkerReport": "chorus_connect.engine.worker",
    "run_worker": "chorus_connect.engine.worker",
    "ActionResult": "chorus_connect.engine.actions",
    "Attachment": "chorus_connect.engine.actions",
    "EngineError": "chorus_connect.engine.errors",
    "ForbiddenActionError": "chorus_connect.engine.errors",
    "InvoiceFileError": "chorus_connect.engine.errors",
    "ImportRefusedError": "chorus_connect.engine.errors",
    "ActionOutcomeUnknownError": "chorus_connect.engine.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'chorus_connect.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
