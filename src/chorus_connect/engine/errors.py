"""Errors of the engine: each says what is wrong and what to do, like the store's and the client's.

Hierarchy::

    EngineError
    ├── ForbiddenActionError     the invoice's status does not allow that action (names what is allowed)
    ├── InvoiceFileError         an input file cannot be read as invoices (names file and fields)
    ├── ImportRefusedError       the invoices read do not fit the structure (seller SIRET, duplicates, …)
    └── ActionOutcomeUnknownError  a complete / recycle call may or may not have been applied
"""

from __future__ import annotations

from collections.abc import Sequence


class EngineError(Exception):
    """Base of the engine's own errors (store and client errors pass through unchanged)."""

    default_fix = ""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = self.default_fix if fix is None else fix
        super().__init__(self.render())

    def render(self) -> str:
        return f"{self.message} What to do: {self.fix}" if self.fix else self.message

    def __str__(self) -> str:
        return self.render()


class ForbiddenActionError(EngineError):
    """An action or transition the invoice's current status does not allow."""

    def __init__(self, message: str, *, allowed: Sequence[str], fix: str | None = None) -> None:
        self.allowed = tuple(allowed)
        allowed_text = ", ".join(self.allowed) if self.allowed else "none"
        super().__init__(f"{message} Allowed now: {allowed_text}.", fix=fix)


class InvoiceFileError(EngineError):
    """A file that cannot be read as invoices; nothing was imported."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "; ".join(self.problems)
        super().__init__(
            f"{source}: cannot read the invoice(s): {lines}. Nothing was imported.",
            fix="Correct the named field(s) in the file (see docs/invoices.md for the formats) and import "
            "it again.",
        )


class ImportRefusedError(EngineError):
    """Readable invoices that cannot be imported for that structure; nothing was imported."""


class ActionOutcomeUnknownError(EngineError):
    default_fix = (
        "Run `chorus invoices sync` (or wait for the worker's next sync) and look at the invoice's "
        "Chorus status before trying again."
    )
