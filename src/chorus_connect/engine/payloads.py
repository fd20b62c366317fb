"""What file is deposited for an invoice, in which syntax.

The format is chosen when the invoice is checked (so that what is checked is what is deposited) and kept
in the invoice's ``syntax``. By default (no format asked): an invoice imported from a single-invoice
Factur-X PDF, CII or UBL file, unchanged since (no market routing filled in), is deposited as that very
file — the user's own PDF and XML; anything else is written as Factur-X (PDF/A-3 + CII EN16931).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chorus_connect.invoice import Invoice, InvoiceInputError, LoadedInvoice, OutputFormat, write_invoice
from chorus_connect.invoice.io import parse_documents

DEFAULT_FORMAT = OutputFormat.FACTURX
_BY_SYNTAX = {fmt.syntaxe_flux: fmt for fmt in OutputFormat}
_EXTENSIONS = {OutputFormat.FACTURX: "pdf", OutputFormat.CII: "xml", OutputFormat.UBL: "xml"}
_MEDIA_TYPES = {
    OutputFormat.FACTURX: "application/pdf",
    OutputFormat.CII: "application/xml",
    OutputFormat.UBL: "application/xml",
}


@dataclass(frozen=True)
class DepositPlan:
    format: OutputFormat
    from_source: bool  # deposit the imported file itself
    loaded: LoadedInvoice | None  # the source as read (for check_loaded), when from_source

    @property
    def syntax(self) -> str:
        return self.format.syntaxe_flux


@dataclass(frozen=True)
class DepositFile:
    file_name: str
    content: bytes
    syntax: str
    media_type: str


def format_of_syntax(syntax: str | None) -> OutputFormat | None:
    return _BY_SYNTAX.get(syntax or "")


def plan_deposit(
    document: Invoice, source: bytes | None, source_name: str, requested: OutputFormat | None
) -> DepositPlan:
    loaded = _single_source(source, source_name)
    if (
        loaded is not None
        and loaded.output_format is not None
        and requested in (None, loaded.output_format)
        and loaded.invoice == document
    ):
        return DepositPlan(loaded.output_format, True, loaded)
    return DepositPlan(requested or DEFAULT_FORMAT, False, None)


def build_deposit_file(document: Invoice, plan: DepositPlan) -> DepositFile:
    if plan.from_source and plan.loaded is not None:
        content = plan.loaded.pdf if plan.format is OutputFormat.FACTURX else plan.loaded.xml
        assert content is not None  # a Factur-X source has its PDF, a CII/UBL source its XML
    else:
        content = write_invoice(document, plan.format).data
    return DepositFile(
        file_name=deposit_file_name(document.number, plan.format),
        content=content,
        syntax=plan.syntax,
        media_type=_MEDIA_TYPES[plan.format],
    )


def deposit_file_name(number: str, fmt: OutputFormat) -> str:
    """``<number>.<ext>`` with only characters safe in a zip and on Chorus Pro (≤ 200 characters)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", number).strip("._") or "invoice"
    return f"{stem[:150]}.{_EXTENSIONS[fmt]}"


def _single_source(source: bytes | None, name: str) -> LoadedInvoice | None:
    if not source or not source.lstrip()[:5].startswith((b"%PDF", b"<")):
        return None
    try:
        documents = parse_documents(source, name)
    except InvoiceInputError:
        return None
    return documents[0] if len(documents) == 1 else None
