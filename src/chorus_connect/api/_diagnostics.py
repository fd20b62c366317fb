"""The connection check (the "refresh token" button of other connectors), step by step, each with its fix.

Steps: get a PISTE token; call the health check; read the technical account's active supplier
structures; probe each other API family for its subscription; warn when the technical password expires
soon. A step that cannot run because an earlier one failed is reported as skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chorus_connect.api._client import ChorusClient
from chorus_connect.api._exceptions import BusinessError, ChorusError, TechnicalAccountError

PASSWORD_WARNING_DAYS = 30


class StepStatus(StrEnum):
    PASSED = "passed"
    WARNING = "warning"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class CheckStep:
    name: str
    status: StepStatus
    detail: str
    fix: str = ""


@dataclass(slots=True)
class ConnectionReport:
    environment: str
    api_url: str
    steps: list[CheckStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.status in (StepStatus.PASSED, StepStatus.WARNING) for step in self.steps)


def check_connection(client: ChorusClient, *, today: dt.date | None = None) -> ConnectionReport:
    report = ConnectionReport(client.environment.name, client.environment.api_url)
    steps = report.steps

    token = _run("PISTE OAuth2 token", lambda: _token(client))
    steps.append(token)
    if token.status is StepStatus.FAILED:
        steps.extend(_skipped(["Chorus Pro health check", "Technical account", "API subscriptions"]))
        return report
    steps.append(_run("Chorus Pro health check", lambda: _health(client)))
    structures: list[Any] = []
    try:
        steps.append(_supplier_structures(client, structures))
    except TechnicalAccountError as error:
        # Every other call would be refused the same way: stop here with the one fix that matters.
        steps.append(CheckStep("Technical account", StepStatus.FAILED, error.message, error.fix))
        steps.extend(_skipped(["API subscriptions"]))
        return report
    except ChorusError as error:
        steps.append(CheckStep("Technical account", StepStatus.FAILED, error.message, error.fix))
    steps.extend(_subscriptions(client, structures))
    if structures:
        steps.append(
            _run("Technical password expiry", lambda: _password_expiry(client, structures[0], today))
        )
    return report


def _run(name: str, action: Callable[[], CheckStep | str]) -> CheckStep:
    try:
        outcome = action()
    except ChorusError as error:
        return CheckStep(name, StepStatus.FAILED, error.message, error.fix)
    return outcome if isinstance(outcome, CheckStep) else CheckStep(name, StepStatus.PASSED, outcome)


def _skipped(names: list[str]) -> list[CheckStep]:
    return [CheckStep(name, StepStatus.SKIPPED, "not run: an earlier step failed") for name in names]


def _token(client: ChorusClient) -> str:
    client.ensure_token()
    return f"obtained from {client.environment.token_url} for client id {client.credentials.client_id}"


def _health(client: ChorusClient) -> str:
    answer = client.transverses.health_check()
    return f"the Chorus Pro API answers at {client.environment.api_url} (status {answer.status_code or 'OK'})"


def _supplier_structures(client: ChorusClient, found: list[Any]) -> CheckStep:
    structures = client.transverses.active_supplier_structures({"paging": {"page": 1, "page_size": 100}})
    found.extend(structures.structures)
    login = client.credentials.technical_login
    if not found:
        return CheckStep(
            "Technical account",
            StepStatus.FAILED,
            f"{login} is accepted but acts for no active supplier structure.",
            "On the Chorus Pro portal, the structure's main manager attaches the technical user to the "
            "supplier structure (and activates the structure's API connection).",
        )
    listed = ", ".join(f"{s.identifier} {s.name} (id {s.structure_id})" for s in found)
    return CheckStep("Technical account", StepStatus.PASSED, f"{login} acts for: {listed}")


def _subscriptions(client: ChorusClient, structures: list[Any]) -> list[CheckStep]:
    probes: list[tuple[str, Callable[[], object]]] = [
        ("Factures", lambda: client.factures.search_supplier_invoices({"paging": {"page_size": 1}})),
        ("Structures", lambda: client.structures.search({"paging": {"page_size": 1}})),
        ("Utilisateurs", lambda: client.utilisateurs.my_attachments({"paging": {"page_size": 1}})),
        ("Engagements juridiques", lambda: client.engagements.search({"paging": {"page_size": 1}})),
        ("Factures travaux", lambda: client.travaux.search({"paging": {"page_size": 1}})),
    ]
    return [_probe(family, probe) for family, probe in probes]


def _probe(family: str, probe: Callable[[], object]) -> CheckStep:
    name = f"API {family}"
    try:
        probe()
    except BusinessError as error:
        # The route answered with a business refusal: the subscription itself is fine.
        return CheckStep(name, StepStatus.PASSED, f"subscribed (answered codeRetour {error.code})")
    except ChorusError as error:  # ApiNotSubscribedError (403) above all
        return CheckStep(name, StepStatus.FAILED, error.message, error.fix)
    return CheckStep(name, StepStatus.PASSED, "subscribed")


def _password_expiry(client: ChorusClient, structure: Any, today: dt.date | None) -> CheckStep:
    name = "Technical password expiry"
    info = client.structures.consult(structure.structure_id).general_info
    expires = info.technical_password_expires_at if info else None
    if expires is None:
        return CheckStep(name, StepStatus.PASSED, "no expiry date published for this structure")
    day = expires.date() if isinstance(expires, dt.datetime) else expires
    left = (day - (today or dt.date.today())).days
    if left <= PASSWORD_WARNING_DAYS:
        return CheckStep(
            name,
            StepStatus.WARNING,
            f"the technical password expires on {day.isoformat()} ({left} days left).",
            "Have the structure's main manager set a new technical password on the Chorus Pro portal "
            "before that date, then update CHORUS_TECH_PASSWORD.",
        )
    return CheckStep(name, StepStatus.PASSED, f"valid until {day.isoformat()} ({left} days left)")
