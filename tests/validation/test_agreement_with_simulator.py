"""The project's checks against the simulator's verdict, over real HTTP.

Invoices built with the project's model from the simulator's data set are written as Factur-X, CII and
UBL and deposited with `deposer/flux`; after the simulated integration delay, `consulterCRDetaille` gives
the platform's verdict. Valid invoices must be integrated (`IN_INTEGRE`) in every format, and an invoice
must be flagged by the project's checks (an error, with the directory built from the same data set) exactly
when the simulator rejects it (`IN_REJETE`). Disagreements are settled by rejection-causes.md: a wrong
check is fixed in `chorus_connect.validation`, a wrong simulator is reported, never worked around.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from simulator_cases import CASES, FORMATS, Case, ChorusDesk, base_invoice, directory_of

from chorus_connect.invoice import Invoice, OutputFormat, write_invoice
from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.validation import CheckOptions, InMemoryRecipientDirectory, Report, check_invoice

_numbers = itertools.count(1)


# --------------------------------------------------------------------------------------------- run


@dataclass
class Outcome:
    case: Case
    invoices: dict[OutputFormat, Invoice] = field(default_factory=dict)
    reports: dict[OutputFormat, Report] = field(default_factory=dict)
    verdicts: dict[OutputFormat, tuple[str, list[str]]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as server:
        yield server


@pytest.fixture(scope="module")
def directory(sim: SimulatorServer) -> InMemoryRecipientDirectory:
    return directory_of(sim.dataset)


@pytest.fixture(scope="module")
def outcomes(sim: SimulatorServer, directory: InMemoryRecipientDirectory) -> dict[str, Outcome]:
    """Every case checked by the project and deposited on the simulator, then judged after one clock jump."""
    dataset = sim.dataset
    desks: dict[int, ChorusDesk] = {}
    pending: list[tuple[Outcome, OutputFormat, ChorusDesk, str]] = []
    results = {}
    for case in CASES:
        data = base_invoice(dataset)
        case.change(data, dataset)
        supplier = case.supplier(dataset)
        if supplier.structure_id not in desks:
            desks[supplier.structure_id] = ChorusDesk(sim, dataset.supplier_account(supplier.structure_id))
        desk = desks[supplier.structure_id]
        for target in case.formats:
            numbered = copy.deepcopy(data)
            numbered["number"] = numbered["number"] or f"AG-{next(_numbers)}-{target.name[:3]}"
            invoice = Invoice.model_validate(numbered)
            outcome = results.setdefault(case.name, Outcome(case))
            outcome.invoices[target] = invoice
            outcome.reports[target] = check_invoice(invoice, CheckOptions(target=target, directory=directory))
            output = write_invoice(invoice, target)
            name = f"{invoice.number}.{'pdf' if target is OutputFormat.FACTURX else 'xml'}"
            pending.append((outcome, target, desk, desk.deposit(output.data, name, output.syntaxe_flux)))
    sim.admin.advance_clock(10)
    for outcome, target, desk, flux in pending:
        outcome.verdicts[target] = desk.verdict(flux)
    for desk in desks.values():
        desk.close()
    return results


def _describe(outcome: Outcome, target: OutputFormat) -> str:
    state, messages = outcome.verdicts[target]
    errors = [f"{f.rule_id} {f.path}" for f in outcome.reports[target].errors]
    return f"{outcome.case.name} [{target.name}]: simulator {state} {messages}; our errors {errors}"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c.name, marks=pytest.mark.xfail(strict=True, reason=c.simulator_gap))
        if c.simulator_gap
        else c.name
        for c in CASES
    ],
)
def test_checks_flag_exactly_what_the_simulator_rejects(outcomes: dict[str, Outcome], case: str):
    outcome = outcomes[case]
    for target in outcome.case.formats:
        state, _ = outcome.verdicts[target]
        report = outcome.reports[target]
        assert state in ("IN_INTEGRE", "IN_REJETE"), _describe(outcome, target)
        assert (state == "IN_REJETE") == (not report.ok), _describe(outcome, target)
        if case.startswith(("valid", "warning")):
            assert state == "IN_INTEGRE", _describe(outcome, target)
        if case.startswith("warning"):
            assert report.warnings, _describe(outcome, target)


def test_every_rejection_is_flagged_with_a_rule_and_a_field(outcomes: dict[str, Outcome]):
    rejected = [o for o in outcomes.values() if not o.case.name.startswith(("valid", "warning"))]
    assert len(rejected) >= 30
    for outcome in rejected:
        for report in outcome.reports.values():
            assert all(f.rule_id and f.path and f.message for f in report.errors)


def test_a_number_already_integrated_is_flagged_and_rejected(
    sim: SimulatorServer, directory: InMemoryRecipientDirectory, outcomes: dict[str, Outcome]
):
    # What the API directory reads from the supplier's invoices (rechercher/fournisseur): the numbers of
    # the invoices integrated above. Depositing one of them again must be flagged, and rejected.
    for outcome in outcomes.values():
        for target, (state, _) in outcome.verdicts.items():
            if state == "IN_INTEGRE":
                invoice = outcome.invoices[target]
                directory.record_invoice_number(invoice.seller.siret, invoice.number, invoice.issue_date.year)
    desk = ChorusDesk(sim, sim.dataset.supplier_account(sim.dataset.main_supplier().structure_id))
    try:
        for target in FORMATS:
            again = outcomes["valid"].invoices[target]
            report = check_invoice(again, CheckOptions(target=target, directory=directory))
            assert [(f.rule_id, f.path) for f in report.errors] == [("CPRO-NUM-02", "number")]
            output = write_invoice(again, target)
            extension = "pdf" if target is OutputFormat.FACTURX else "xml"
            flux = desk.deposit(output.data, f"again-{again.number}.{extension}", output.syntaxe_flux)
            sim.admin.advance_clock(10)
            state, messages = desk.verdict(flux)
            assert state == "IN_REJETE" and "existe deja" in messages[0], messages
    finally:
        desk.close()
