"""Importing invoices (JSON, CSV, Factur-X, CII, UBL files, or documents) into the store for a structure.

All or nothing: every file is read and every invoice checked against the structure first; one problem
anywhere and nothing is written (the error names the file, the invoice and the field).

An invoice naming a market (``market_number``) recorded for the structure inherits the market's
recipient SIRET, service code, engagement number and cadre de facturation where it has none; values that
differ from the market's are kept and reported (``market_conflicts``).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chorus_connect.engine.errors import ImportRefusedError, InvoiceFileError
from chorus_connect.invoice import Invoice, InvoiceInputError, LoadedInvoice
from chorus_connect.invoice.errors import from_validation_error
from chorus_connect.invoice.io import parse_documents
from chorus_connect.store import (
    EventSource,
    MarketConflict,
    NewFile,
    Store,
    StructureRole,
    UnitOfWork,
    apply_market,
)


@dataclass(frozen=True)
class ImportedInvoice:
    invoice_id: int
    number: str
    source: str
    market_conflicts: tuple[MarketConflict, ...] = ()


@dataclass
class ImportReport:
    structure_id: int
    imported: list[ImportedInvoice] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (number, why)

    @property
    def invoice_ids(self) -> list[int]:
        return [item.invoice_id for item in self.imported]


@dataclass(frozen=True)
class _Candidate:
    invoice: Invoice
    source: str
    file: NewFile | None
    file_key: str | None  # invoices read from the same file share one stored copy


def read_file(path: str | Path) -> tuple[NewFile, list[LoadedInvoice]]:
    """The file's bytes (to keep as the invoice's source) and the invoices it holds."""
    file_path = Path(path)
    try:
        content = file_path.read_bytes()
    except OSError as error:
        raise InvoiceFileError(str(file_path), [f"cannot read the file ({error.strerror})"]) from None
    return read_content(str(file_path), content)


def read_content(name: str, content: bytes) -> tuple[NewFile, list[LoadedInvoice]]:
    """`read_file` for bytes received under `name` (an upload): `name` is what messages and history show."""
    file_name = Path(name.replace("\\", "/")).name or "invoice"
    try:
        documents = parse_documents(content, name, is_csv=file_name.lower().endswith(".csv"))
    except InvoiceInputError as error:
        raise InvoiceFileError(error.source, [str(problem) for problem in error.problems]) from None
    if not documents:
        raise InvoiceFileError(name, ["the file holds no invoice"])
    media_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    return NewFile(file_name=file_name, content=content, media_type=media_type), documents


def import_files(
    store: Store,
    structure: int | str,
    paths: Sequence[str | Path],
    *,
    actor: str = "engine",
    skip_existing: bool = False,
) -> ImportReport:
    """Read every file, then import all their invoices in one transaction."""
    candidates: list[_Candidate] = []
    for path in paths:
        stored, documents = read_file(path)
        for document in documents:
            candidates.append(_Candidate(document.invoice, document.source, stored, str(path)))
    return _import(store, structure, candidates, actor=actor, skip_existing=skip_existing)


def import_contents(
    store: Store,
    structure: int | str,
    files: Sequence[tuple[str, bytes]],
    *,
    actor: str = "engine",
    skip_existing: bool = False,
) -> ImportReport:
    """`import_files` for files received as (name, bytes), e.g. uploads: nothing touches the disk."""
    candidates: list[_Candidate] = []
    for index, (name, content) in enumerate(files):
        stored, documents = read_content(name, content)
        for document in documents:
            candidates.append(_Candidate(document.invoice, document.source, stored, f"{index}:{name}"))
    return _import(store, structure, candidates, actor=actor, skip_existing=skip_existing)


def import_documents(
    store: Store,
    structure: int | str,
    documents: Sequence[Invoice | Mapping[str, Any]],
    *,
    actor: str = "engine",
    skip_existing: bool = False,
    source: str = "data",
) -> ImportReport:
    """Import invoices given as models or as JSON-like dictionaries (the JSON input format)."""
    candidates = []
    for index, document in enumerate(documents):
        name = f"{source}[{index}]"
        if isinstance(document, Invoice):
            invoice = document
        else:
            try:
                invoice = Invoice.model_validate(dict(document))
            except ValidationError as error:
                problems = from_validation_error(name, error).problems
                raise InvoiceFileError(name, [str(problem) for problem in problems]) from None
        candidates.append(_Candidate(invoice, name, None, None))
    return _import(store, structure, candidates, actor=actor, skip_existing=skip_existing)


def _import(
    store: Store, structure_key: int | str, candidates: list[_Candidate], *, actor: str, skip_existing: bool
) -> ImportReport:
    with store.transaction(actor=actor) as tx:
        structure = tx.structures.get(structure_key)
        if structure.role != StructureRole.SUPPLIER:
            raise ImportRefusedError(
                f"Structure {structure.name!r} is a public buyer: it receives invoices, it does not issue "
                "them. Nothing was imported.",
                fix="Import the invoices into the supplier structure that issued them.",
            )
        report = ImportReport(structure.id)
        prepared = _prepare(tx, structure.id, structure.siret, candidates, report, skip_existing)
        stored_files: dict[str, int] = {}
        for candidate, invoice, conflicts in prepared:
            _add(tx, structure.id, candidate, invoice, conflicts, stored_files, report)
    return report


def _prepare(
    tx: UnitOfWork,
    structure_id: int,
    siret: str,
    candidates: list[_Candidate],
    report: ImportReport,
    skip_existing: bool,
) -> list[tuple[_Candidate, Invoice, list[MarketConflict]]]:
    """Check every invoice against the structure; raise one error listing every problem."""
    problems: list[str] = []
    seen: dict[tuple[str, int], str] = {}
    prepared = []
    environment = tx.structures.get(structure_id).environment
    for candidate in candidates:
        invoice = candidate.invoice
        where = f"{candidate.source}: invoice {invoice.number}"
        seller = invoice.seller.siret
        if seller and seller != siret:
            problems.append(
                f"{where}: seller.siret {seller} is not the structure's SIRET {siret} (import it into the "
                "structure of that SIRET, or correct seller.siret)"
            )
            continue
        if not seller:
            invoice = invoice.model_copy(
                update={"seller": invoice.seller.model_copy(update={"siret": siret})}
            )
        key = (invoice.number, invoice.issue_date.year)
        if key in seen:
            problems.append(f"{where}: number {invoice.number} appears twice for {key[1]} (also {seen[key]})")
            continue
        seen[key] = candidate.source
        existing = tx.invoices.find_by_number(structure_id, invoice.number, key[1], environment)
        if existing is not None:
            if skip_existing:
                report.skipped.append((invoice.number, f"already imported (id {existing.id})"))
                continue
            problems.append(
                f"{where}: number {invoice.number} of {key[1]} is already in the store (id {existing.id}, "
                f"{existing.status.value}); a correction must get a new number (`chorus invoices resend`)"
            )
            continue
        conflicts: list[MarketConflict] = []
        if invoice.market_number:
            market = tx.markets.find(structure_id, invoice.market_number)
            if market is not None:
                invoice, conflicts = apply_market(invoice, market)
        prepared.append((candidate, invoice, conflicts))
    if problems:
        raise ImportRefusedError(
            f"{len(problems)} invoice(s) cannot be imported, so nothing was: " + "; ".join(problems) + ".",
            fix="Correct the files (or pass --skip-existing to leave out invoices already imported) and "
            "import again.",
        )
    return prepared


def _add(
    tx: UnitOfWork,
    structure_id: int,
    candidate: _Candidate,
    invoice: Invoice,
    conflicts: list[MarketConflict],
    stored_files: dict[str, int],
    report: ImportReport,
) -> None:
    shared = stored_files.get(candidate.file_key) if candidate.file_key else None
    record = tx.invoices.add(
        structure_id,
        invoice,
        source_file=candidate.file if shared is None else None,
        comment=f"Imported from {candidate.source}.",
    )
    if shared is not None:
        record.source_file_id = shared  # one stored copy for all the invoices of a CSV / JSON array
    elif candidate.file_key and record.source_file_id is not None:
        stored_files[candidate.file_key] = record.source_file_id
    if invoice.market_number and (record.market_id is not None):
        tx.invoices.transition(
            record.id,
            source=EventSource.ENGINE,
            comment=_market_comment(invoice.market_number, conflicts),
            details={
                "market": invoice.market_number,
                "conflicts": [
                    {"field": c.field, "invoice": c.invoice_value, "market": c.market_value}
                    for c in conflicts
                ],
            },
        )
    report.imported.append(ImportedInvoice(record.id, record.number, candidate.source, tuple(conflicts)))


def _market_comment(number: str, conflicts: list[MarketConflict]) -> str:
    if not conflicts:
        return f"Routing inherited from market {number}."
    listed = ", ".join(f"{c.field} {c.invoice_value!r} (market: {c.market_value!r})" for c in conflicts)
    return f"Routing inherited from market {number}; the invoice's own values differ and were kept: {listed}."
