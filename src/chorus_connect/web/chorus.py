"""Chorus Pro look-ups the settings page needs, and the connection check shown step by step.

Both go through the API client with the structure's stored credentials; the connection check reuses the
client's diagnostics (``chorus_connect.api._diagnostics``) and adds one step: is the structure's SIRET
among those the technical account acts for. Look-ups use a short timeout and no retries: a person is
waiting for the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from chorus_connect.api import ChorusClient, ChorusError, RetryPolicy
from chorus_connect.api._diagnostics import CheckStep, StepStatus, check_connection
from chorus_connect.store import ConnectionSettings, Store, StructureRole

ClientFactory = Callable[[ConnectionSettings], ChorusClient]

# The client's step names, as the French pages show them.
STEP_NAMES = {
    "PISTE OAuth2 token": "Jeton PISTE (identifiant et secret client)",
    "Chorus Pro health check": "Accès à l'API Chorus Pro",
    "Technical account": "Compte technique",
    "Technical password expiry": "Expiration du mot de passe technique",
    "Structure": "Structure (SIRET)",
}
STATUS_LABELS = {
    StepStatus.PASSED: "réussi",
    StepStatus.WARNING: "attention",
    StepStatus.FAILED: "échec",
    StepStatus.SKIPPED: "non exécuté",
}
# What to do, in French, when a step fails; the client's own (English) detail and fix are shown beside.
FRENCH_FIXES = {
    "PISTE OAuth2 token": "Recopiez l'identifiant client et le secret client de l'application PISTE "
    "(ceux de la sandbox et de la production sont différents).",
    "Chorus Pro health check": "Vérifiez l'environnement choisi et l'URL de l'API ; réessayez plus tard si "
    "Chorus Pro est indisponible.",
    "Technical account": "Vérifiez l'identifiant (TECH_…@cpro.fr) et le mot de passe du compte technique ; "
    "le gestionnaire principal de la structure peut le réinitialiser sur le portail Chorus Pro.",
    "Technical password expiry": "Faites renouveler le mot de passe technique par le gestionnaire principal "
    "sur le portail Chorus Pro, puis saisissez-le ici.",
    "Structure": "Choisissez le SIRET dans la liste des structures du compte technique, ou faites rattacher "
    "le compte technique à cette structure sur Chorus Pro.",
    "API": "Abonnez l'application PISTE à cette API et acceptez ses conditions d'utilisation ; en "
    "production, déclarez aussi l'application sur Chorus Pro (espace Raccordements).",
}


@dataclass(frozen=True, slots=True)
class ConnectionStep:
    name: str  # as the client names it
    label: str  # in French
    status: str  # passed / warning / failed / skipped
    status_label: str
    detail: str
    fix: str
    french_fix: str

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "label": self.label,
            "status": self.status,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    structure_id: int
    environment: str
    api_url: str
    steps: list[ConnectionStep]

    @property
    def ok(self) -> bool:
        return all(step.status in ("passed", "warning") for step in self.steps)


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    chorus_id: int | None = None


@dataclass(slots=True)
class ChorusChoices:
    """The lists the settings page offers: SIRETs of the technical account, services, bank details."""

    sirets: list[Choice] = field(default_factory=list)
    services: list[Choice] = field(default_factory=list)
    bank_accounts: list[Choice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        def items(choices: list[Choice]) -> list[dict[str, object]]:
            return [{"value": c.value, "label": c.label, "chorus_id": c.chorus_id} for c in choices]

        return {
            "sirets": items(self.sirets),
            "services": items(self.services),
            "bank_accounts": items(self.bank_accounts),
            "errors": list(self.errors),
        }


class ChorusLookups:
    def __init__(self, store: Store, *, timeout: float, client_factory: ClientFactory | None = None) -> None:
        self.store = store
        self.timeout = timeout
        self.client_factory = client_factory or self._client

    def _client(self, settings: ConnectionSettings) -> ChorusClient:
        return ChorusClient(
            settings.api_credentials(),
            settings.api_environment(),
            timeout=httpx.Timeout(self.timeout, connect=min(5.0, self.timeout)),
            retry=RetryPolicy.disabled(),
        )

    @contextmanager
    def client_for(self, structure_id: int) -> Iterator[ChorusClient]:
        with self.store.read() as tx:
            settings = tx.structures.connection_settings(structure_id)
        client = self.client_factory(settings)
        try:
            yield client
        finally:
            client.close()

    # --- connection check ---------------------------------------------------------------------------

    def check_connection(self, structure_id: int) -> ConnectionCheck:
        with self.store.read() as tx:
            structure = tx.structures.get(structure_id)
            siret, role = structure.siret, structure.role
        with self.client_for(structure_id) as client:
            report = check_connection(client, today=self.store.now().date())
            steps = list(report.steps)
            if _passed(steps, "Technical account") or role == StructureRole.PUBLIC_BUYER:
                steps.append(self._structure_step(client, structure_id, siret, role))
        return ConnectionCheck(structure_id, report.environment, report.api_url, [_french(s) for s in steps])

    def _structure_step(self, client: ChorusClient, structure_id: int, siret: str, role: str) -> CheckStep:
        name = "Structure"
        try:
            active = _active_structures(client, role)
        except ChorusError as error:
            return CheckStep(name, StepStatus.FAILED, error.message, error.fix)
        match = next((s for s in active if (s.identifier or "").replace(" ", "") == siret), None)
        if match is None or match.structure_id is None:
            listed = ", ".join(f"{s.identifier} ({s.name})" for s in active) or "none"
            return CheckStep(
                name,
                StepStatus.FAILED,
                f"SIRET {siret} is not among the structures the technical account acts for: {listed}.",
                "Choose the SIRET from that list in the settings, or have the technical account attached to "
                "the structure on Chorus Pro.",
            )
        with self.store.transaction(actor="web") as tx:
            if tx.structures.get(structure_id).chorus_structure_id != match.structure_id:
                tx.structures.update(structure_id, {"chorus_structure_id": match.structure_id})
        return CheckStep(
            name,
            StepStatus.PASSED,
            f"{siret} {match.name or ''} (idStructureCPP {match.structure_id})".strip(),
        )

    # --- lists for the settings page ----------------------------------------------------------------

    def choices(self, structure_id: int, siret: str | None = None) -> ChorusChoices:
        """SIRETs the technical account acts for; services and valid bank details of ``siret`` (default:
        the structure's). Failures are reported in ``errors`` (the page then offers plain inputs)."""
        found = ChorusChoices()
        with self.store.read() as tx:
            structure = tx.structures.get(structure_id)
            role, current = structure.role, siret or structure.siret
        try:
            with self.client_for(structure_id) as client:
                active = _active_structures(client, role)
                found.sirets = [
                    Choice(
                        (s.identifier or "").replace(" ", ""),
                        f"{s.identifier} — {s.name or ''}",
                        s.structure_id,
                    )
                    for s in active
                    if s.identifier
                ]
                chosen = next((c for c in found.sirets if c.value == current), None)
                if chosen is not None and chosen.chorus_id is not None:
                    found.services = _services(client, chosen.chorus_id, found.errors)
                    if role == StructureRole.SUPPLIER:
                        found.bank_accounts = _bank_accounts(client, chosen.chorus_id, found.errors)
        except ChorusError as error:
            found.errors.append(f"{error.message} {error.fix}".strip())
        return found


def _active_structures(client: ChorusClient, role: str) -> list:
    paging = {"paging": {"page": 1, "page_size": 100}}
    if role == StructureRole.PUBLIC_BUYER:
        return list(client.transverses.active_recipient_structures(paging).structures)
    return list(client.transverses.active_supplier_structures(paging).structures)


def _services(client: ChorusClient, chorus_structure_id: int, errors: list[str]) -> list[Choice]:
    try:
        services = list(client.structures.iter_services(chorus_structure_id))
    except ChorusError as error:
        errors.append(f"Services : {error.message}")
        return []
    return [
        Choice(s.code or "", f"{s.code} — {s.label or ''}", s.service_id)
        for s in services
        if s.code and s.active is not False
    ]


def _bank_accounts(client: ChorusClient, chorus_structure_id: int, errors: list[str]) -> list[Choice]:
    try:
        accounts = client.transverses.valid_bank_accounts(chorus_structure_id).bank_accounts
    except ChorusError as error:
        errors.append(f"Coordonnées bancaires : {error.message}")
        return []
    return [
        Choice(str(a.bank_account_id), a.name or f"Compte {a.bank_account_id}", a.bank_account_id)
        for a in accounts
        if a.bank_account_id is not None
    ]


def _passed(steps: list[CheckStep], name: str) -> bool:
    return any(step.name == name and step.status is StepStatus.PASSED for step in steps)


def _french(step: CheckStep) -> ConnectionStep:
    if step.name.startswith("API "):
        label, french_fix = f"Abonnement {step.name}", FRENCH_FIXES["API"]
    else:
        label, french_fix = STEP_NAMES.get(step.name, step.name), FRENCH_FIXES.get(step.name, "")
    return ConnectionStep(
        name=step.name,
        label=label,
        status=step.status.value,
        status_label=STATUS_LABELS[step.status],
        detail=step.detail,
        fix=step.fix,
        french_fix=french_fix if step.status in (StepStatus.FAILED, StepStatus.WARNING) else "",
    )
