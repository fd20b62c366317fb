"""`RecipientDirectory` read live through the Chorus Pro API client, each answer cached for a while.

What each question costs (Structures, Engagements juridiques and Factures families):

- `structure(siret)`: `structures/v1/rechercher` by identifier (all structures, not only the account's
  private ones), then `consulter` for the mandatory-data flags. Chorus Pro refuses to show a private
  structure the account is not attached to (`20004`): such a structure is taken as private, which is
  all the checks need to know about it.
- `service(siret, code)`: `rechercher/services` (every page) for the code and its `estActif`, then
  `consulter/service` for that one service's own EJ requirement (`parametres.numeroEngagement`).
- `engagement_exists(siret, number)`: `engagementsJuridiques/v1/rechercher` by number, as OCA calls it;
  a match issued by that buyer (or whose issuer the answer does not say) → True, unless it is closed
  (`CLOTURE`: the buyer cannot pay against it, rejection cause #44) → False. No match → False only
  when the account sees at least one EJ issued by that buyer, else None: a buyer that publishes no EJ
  cannot be told apart from an unknown number.
- `invoice_number_used(siret, number, year)`: `factures/v1/rechercher/fournisseur` by number (never
  cached: a deposit can change the answer at any time).

Answers are cached per process for `ttl` seconds (default one hour; reference rejection cause #7
suggests refreshing the directory weekly at most — an hour keeps a batch fast and a change visible
the same morning). A failing call raises `DirectoryUnavailableError`, with the reason when it is the
connection's (PISTE credentials, technical account, API subscription); the checks then report that the
recipient layer could not run, as a warning, never as a pass or a traceback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from chorus_connect.api import (
    ApiNotSubscribedError,
    ChorusClient,
    ChorusError,
    InvalidClientCredentialsError,
    NotAttachedToStructureError,
    TechnicalAccountError,
)
from chorus_connect.api.models.enums import CommitmentState, StructureKind, StructureStatus
from chorus_connect.api.models.structures import StructureSummary
from chorus_connect.validation.chorus_rules import MAX_ENGAGEMENT  # the search refuses longer numbers
from chorus_connect.validation.recipient import (
    DirectoryUnavailableError,
    RecipientService,
    RecipientStructure,
)

DEFAULT_TTL = 3600.0
_T = TypeVar("_T")


class _TtlCache:
    """A thread-safe memo whose entries expire `ttl` seconds after they were computed."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self.clock = clock
        self.entries: dict[Hashable, tuple[float, Any]] = {}
        self.lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        now = self.clock()
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and entry[0] > now:
                return entry[1]
        value = compute()  # outside the lock: one slow call must not block other keys
        with self.lock:
            self.entries[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


class ApiRecipientDirectory:
    """The Chorus Pro directory as the account of `client` sees it."""

    def __init__(
        self, client: ChorusClient, *, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self.cache = _TtlCache(ttl, clock)

    # ------------------------------------------------------------------------------------ structures

    def structure(self, siret: str) -> RecipientStructure | None:
        return self.cache.get(("structure", siret), lambda: self._read_structure(siret))

    def _read_structure(self, siret: str) -> RecipientStructure | None:
        summary = self._summary(siret)
        if summary is None or summary.structure_id is None:
            return None
        active = summary.status != StructureStatus.INACTIVE
        try:
            consulted = self._call(lambda: self.client.structures.consult(summary.structure_id))
        except DirectoryUnavailableError as error:
            if isinstance(error.__cause__, NotAttachedToStructureError):  # a stranger's private structure
                return RecipientStructure(siret, summary.name or "", active=active, public=False)
            raise
        general, settings = consulted.general_info, consulted.settings
        return RecipientStructure(
            siret=siret,
            name=(general and (general.company_name or general.label)) or summary.name or "",
            active=active,
            public=general is None or general.kind != StructureKind.PRIVATE,
            engagement_required=bool(settings and settings.engagement_required),
            service_required=bool(settings and settings.service_required),
            engagement_or_service=bool(settings and settings.engagement_or_service_required),
        )

    def _summary(self, siret: str) -> StructureSummary | None:
        return self.cache.get(("summary", siret), lambda: self._search_structure(siret))

    def _search_structure(self, siret: str) -> StructureSummary | None:
        request = {
            "structure": {"identifier": siret, "identifier_type": "SIRET"},
            "restrict_private_structures": False,
        }
        found = self._call(lambda: self.client.structures.search(request)).structures
        return next((s for s in found if s.identifier == siret), None)

    # ------------------------------------------------------------------------------------ services

    def service(self, siret: str, code: str) -> RecipientService | None:
        return self.cache.get(("service", siret, code), lambda: self._read_service(siret, code))

    def _read_service(self, siret: str, code: str) -> RecipientService | None:
        summary = self._summary(siret)
        if summary is None or summary.structure_id is None:
            return None
        structure_id = summary.structure_id
        services = self._call(lambda: list(self.client.structures.iter_services(structure_id)))
        found = next((s for s in services if s.code == code), None)
        if found is None or found.service_id is None:
            return None
        service_id = found.service_id
        consulted = self._call(lambda: self.client.structures.consult_service(structure_id, service_id))
        settings = consulted.settings
        return RecipientService(
            code=code,
            name=found.label or "",
            active=found.active is not False,
            engagement_required=bool(settings and settings.engagement_required),
        )

    # ------------------------------------------------------------------------------------ engagements

    def engagement_exists(self, siret: str, number: str) -> bool | None:
        return self.cache.get(("engagement", siret, number), lambda: self._read_engagement(siret, number))

    def _read_engagement(self, siret: str, number: str) -> bool | None:
        if len(number) > MAX_ENGAGEMENT:
            return None  # the search refuses it; CPRO-EJ-01 already reports the length
        found = self._call(lambda: self.client.engagements.search({"number": number})).commitments
        mine = [c for c in found if c.number == number and c.issuing_structure_identifier in (None, siret)]
        if mine:
            return any(c.state != CommitmentState.CLOSED for c in mine)
        return False if self._publishes_engagements(siret) else None

    def _publishes_engagements(self, siret: str) -> bool:
        summary = self._summary(siret)
        if summary is None or summary.structure_id is None:
            return False
        request = {"issuing_structure": str(summary.structure_id)}
        return bool(self._call(lambda: self.client.engagements.search(request)).commitments)

    # ------------------------------------------------------------------------------------ invoice numbers

    def invoice_number_used(self, supplier_siret: str, number: str, year: int) -> bool | None:
        request = {"invoice_number": number}
        found = self._call(lambda: self.client.factures.search_supplier_invoices(request)).invoices
        return any(
            invoice.invoice_number == number
            and invoice.invoice_date is not None
            and invoice.invoice_date.year == year
            and invoice.supplier_code in (None, supplier_siret)
            for invoice in found
        )

    # ------------------------------------------------------------------------------------ errors

    @staticmethod
    def _call(action: Callable[[], _T]) -> _T:
        try:
            return action()
        except ChorusError as error:
            raise DirectoryUnavailableError(
                f"annuaire Chorus Pro injoignable : {error.message}",
                reason=_reason(error),
                family=error.family if isinstance(error, ApiNotSubscribedError) else None,
            ) from error


def _reason(error: ChorusError) -> str | None:
    if isinstance(error, InvalidClientCredentialsError):
        return "credentials"
    if isinstance(error, TechnicalAccountError):
        return "account"
    if isinstance(error, ApiNotSubscribedError):
        return "subscription"
    return None
