"""The Chorus Pro directory as the engine uses it.

- For the pre-flight checks: ``chorus_connect.validation.recipient_api.ApiRecipientDirectory`` (the
  recipient's requirements, services, engagements and used invoice numbers, read through the API with a
  TTL cache), one per Chorus client — so per PISTE application and technical account — shared by every
  structure using that client.
- For tracking: :class:`PaymentFlags`, whether a recipient reports payment at all
  (``statutMiseEnPaiementNestPasRemonte``): ``structures/v1/rechercher`` by SIRET, then ``consulter``,
  cached; tracking stops at MANDATEE for recipients that never report MISE_EN_PAIEMENT.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chorus_connect.api import ChorusClient
from chorus_connect.validation.recipient_api import ApiRecipientDirectory

if TYPE_CHECKING:
    from chorus_connect.engine.connection import Connection

_Clock = Callable[[], float]


class PaymentFlags:
    """``statutMiseEnPaiementNestPasRemonte`` per recipient SIRET, cached for ``ttl`` seconds."""

    def __init__(self, client: ChorusClient, *, ttl: float = 3600.0, clock: _Clock = time.monotonic) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()
        self.calls = 0  # API calls made, for the sync reports

    def payment_status_not_reported(self, siret: str) -> bool:
        now = self._clock()
        with self._lock:
            hit = self._cache.get(siret)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        value = self._read(siret)
        with self._lock:
            self._cache[siret] = (now, value)
        return value

    def _read(self, siret: str) -> bool:
        self.calls += 1
        found = self._client.structures.search(
            {
                "structure": {"identifier": siret, "identifier_type": "SIRET"},
                "restrict_private_structures": False,
            }
        )
        match = next((s for s in found.page_items() if (s.identifier or "") == siret), None)
        if match is None or match.structure_id is None:
            return False
        self.calls += 1
        settings = self._client.structures.consult(match.structure_id).settings
        return bool(settings and settings.payment_status_not_reported)


class Directories:
    """The directories of each Chorus client, built on first use."""

    def __init__(self, ttl: float = 3600.0) -> None:
        self._ttl = ttl
        self._checks: dict[int, ApiRecipientDirectory] = {}
        self._flags: dict[int, PaymentFlags] = {}
        self._lock = threading.Lock()

    def get(self, connection: Connection) -> ApiRecipientDirectory:
        """The directory for the pre-flight checks."""
        key = id(connection.client)
        with self._lock:
            directory = self._checks.get(key)
            if directory is None:
                directory = self._checks[key] = ApiRecipientDirectory(connection.client, ttl=self._ttl)
            return directory

    def payment_flags(self, connection: Connection) -> PaymentFlags:
        key = id(connection.client)
        with self._lock:
            flags = self._flags.get(key)
            if flags is None:
                flags = self._flags[key] = PaymentFlags(connection.client, ttl=self._ttl)
            return flags
