"""Pre-flight checks that predict Chorus Pro's verdict before an invoice is deposited."""

from chorus_connect.validation.checks import (
    CheckedOutput,
    CheckOptions,
    check_file,
    check_invoice,
    check_loaded,
    write_checked,
    write_checked_many,
)
from chorus_connect.validation.findings import Finding, Layer, Report, Severity
from chorus_connect.validation.recipient import (
    DirectoryUnavailableError,
    InMemoryRecipientDirectory,
    RecipientDirectory,
    RecipientService,
    RecipientStructure,
)

__all__ = [
    "CheckOptions",
    "CheckedOutput",
    "DirectoryUnavailableError",
    "Finding",
    "InMemoryRecipientDirectory",
    "Layer",
    "RecipientDirectory",
    "RecipientService",
    "RecipientStructure",
    "Report",
    "Severity",
    "check_file",
    "check_invoice",
    "check_loaded",
    "write_checked",
    "write_checked_many",
]
