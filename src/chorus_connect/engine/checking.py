"""Pre-flight checks of stored invoices: every layer of ``chorus_connect.validation``, with the recipient's
requirements read through the API, the findings kept on the invoice.

The check is made on what will be deposited (see :mod:`chorus_connect.engine.payloads`): its format is
recorded in the invoice's ``syntax``. ``checked`` means no blocking finding (warnings are kept);
``check_failed`` means at least one error: correct the invoice and check again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chorus_connect.api import ChorusError
from chorus_connect.engine.payloads import DepositPlan, plan_deposit
from chorus_connect.engine.states import Action, require_action, require_transition
from chorus_connect.engine.storage import snapshot
from chorus_connect.invoice import Invoice, OutputFormat
from chorus_connect.store import EnvironmentName, EventSource, InvoiceStatus, Store
from chorus_connect.validation import (
    CheckOptions,
    Finding,
    Layer,
    RecipientDirectory,
    Report,
    Severity,
    check_invoice,
    check_loaded,
)
from chorus_connect.validation.recipient import DirectoryUnavailableError

DirectoryFor = Callable[[int], RecipientDirectory | None]  # structure id → directory (None: no API check)
Progress = Callable[[int], None]


@dataclass(frozen=True)
class CheckOutcome:
    invoice_id: int
    number: str
    status: InvoiceStatus
    errors: int
    warnings: int
    syntax: str
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.errors == 0


def check_invoices(
    store: Store,
    invoice_ids: Sequence[int],
    *,
    directory_for: DirectoryFor,
    target: OutputFormat | None = None,
    actor: str = "engine",
    progress: Progress | None = None,
) -> list[CheckOutcome]:
    """Check each invoice and record the outcome; a forbidden status raises before anything is checked."""
    with snapshot(store) as tx:
        for invoice_id in invoice_ids:
            require_action(tx.invoices.get(invoice_id), Action.CHECK)
    outcomes = []
    for invoice_id in invoice_ids:
        outcomes.append(_check_one(store, invoice_id, directory_for, target, actor))
        if progress is not None:
            progress(1)
    return outcomes


def _check_one(
    store: Store, invoice_id: int, directory_for: DirectoryFor, target: OutputFormat | None, actor: str
) -> CheckOutcome:
    with snapshot(store) as tx:
        record = tx.invoices.get(invoice_id)
        document = tx.invoices.document(record)
        source = tx.files.content(record.source_file_id) if record.source_file_id else None
        source_name = (
            tx.files.get(record.source_file_id).file_name if record.source_file_id else record.number
        )
        structure_id, production = record.structure_id, record.environment == EnvironmentName.PRODUCTION
    plan = plan_deposit(document, source, source_name, target)
    report = _run_checks(document, plan, production, directory_for(structure_id))
    status = InvoiceStatus.CHECKED if report.ok else InvoiceStatus.CHECK_FAILED
    findings = [finding.as_dict() for finding in report.findings]
    with store.transaction(actor=actor) as tx:
        record = tx.invoices.get(invoice_id)
        require_action(record, Action.CHECK)
        require_transition(record, status)
        tx.invoices.transition(
            invoice_id,
            source=EventSource.ENGINE,
            status=status,
            findings=findings,
            syntax=plan.syntax,
            comment=_summary(report, plan),
            details={
                "format": plan.format.value,
                "deposit_source_file": plan.from_source,
                "errors": len(report.errors),
                "warnings": len(report.warnings),
                "layers": report.layers_run,
            },
        )
    return CheckOutcome(
        invoice_id, record.number, status, len(report.errors), len(report.warnings), plan.syntax, findings
    )


def _run_checks(
    document: Invoice, plan: DepositPlan, production: bool, directory: RecipientDirectory | None
) -> Report:
    options = CheckOptions(target=plan.format, production=production, directory=directory)
    try:
        return _report(document, plan, options)
    except (ChorusError, DirectoryUnavailableError) as error:
        # The recipient's settings could not be read: run every other layer and say so.
        report = _report(document, plan, CheckOptions(target=plan.format, production=production))
        report.extend("recipient", [_directory_unavailable(error)])
        return report


def _report(document: Invoice, plan: DepositPlan, options: CheckOptions) -> Report:
    if plan.from_source and plan.loaded is not None:
        return check_loaded(plan.loaded, options)
    return check_invoice(document, options, source=document.number)


def _directory_unavailable(error: Exception) -> Finding:
    return Finding(
        "CPRO-DEST-00",
        "buyer.siret",
        "Les exigences du destinataire n'ont pas pu être lues dans Chorus Pro "
        f"({getattr(error, 'message', error)}) : vérifiez la connexion puis relancez la vérification.",
        Severity.WARNING,
        Layer.RECIPIENT,
    )


def _summary(report: Report, plan: DepositPlan) -> str:
    what = f"as {plan.format.value}" + (" (the imported file itself)" if plan.from_source else "")
    if report.ok:
        warnings = f", {len(report.warnings)} warning(s)" if report.warnings else ""
        return f"Checked {what}: no blocking finding{warnings}."
    first = report.errors[0]
    return (
        f"Check failed {what}: {len(report.errors)} error(s), {len(report.warnings)} warning(s); first: "
        f"{first.rule_id} {first.path}: {first.message}"
    )
