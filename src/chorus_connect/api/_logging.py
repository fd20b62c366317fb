"""Structured logs of the client, with secrets kept out of them.

Every record is ``<event> key=value ...`` and carries the same data, machine-readable, in
``record.chorus_event`` and ``record.chorus_fields`` (for JSON log handlers). Two safeguards keep secrets
out: the client only logs fields it chose (operation, status, timings, identifying fields; never headers,
never the token request's body), and each value goes through a redactor that knows the client's secrets
(client secret, technical password, ``cpro-account`` value, the bearer tokens it was issued) and masks
any field whose name says it is sensitive.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

LOGGER_NAME = "chorus_connect.api"
MASK = "***"
_SENSITIVE_KEYS = frozenset(
    {"authorization", "cpro-account", "cpro_account", "client_secret", "password", "access_token", "token"}
)
_KEPT_TOKENS = 8  # recent bearer tokens remembered for redaction (one per hour of normal use)
_MAX_VALUE_CHARS = 300


class Redactor:
    """Replaces known secret values by ``***`` in any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._fixed = tuple(s for s in secrets if s)
        self._tokens: deque[str] = deque(maxlen=_KEPT_TOKENS)

    def add_token(self, token: str) -> None:
        if token:
            with self._lock:
                self._tokens.append(token)

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = (*self._fixed, *self._tokens)
        # Longest first, so a secret that contains another is masked whole.
        for secret in sorted(secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text


class EventLogger:
    """Emits structured, redacted events on the ``chorus_connect.api`` logger."""

    def __init__(self, redactor: Redactor, logger: logging.Logger | None = None) -> None:
        self._redactor = redactor
        self._logger = logger or logging.getLogger(LOGGER_NAME)

    def debug(self, event: str, **fields: Any) -> None:
        self.log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self.log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self.log(logging.WARNING, event, fields)

    def log(self, level: int, event: str, fields: Mapping[str, Any]) -> None:
        if not self._logger.isEnabledFor(level):
            return
        clean = {key: self._clean(key, value) for key, value in fields.items() if value is not None}
        text = " ".join([event, *(f"{key}={value}" for key, value in clean.items())])
        self._logger.log(level, "%s", text, extra={"chorus_event": event, "chorus_fields": clean})

    def _clean(self, key: str, value: Any) -> Any:
        if key.lower() in _SENSITIVE_KEYS:
            return MASK
        if isinstance(value, bool | int | float):
            return value
        text = self._redactor.redact(str(value))
        return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS] + "..."
