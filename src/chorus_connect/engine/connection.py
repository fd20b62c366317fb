"""Chorus Pro clients built from a structure's stored settings, and the platform's clock.

- production / sandbox: the PISTE presets (URLs overridable per PISTE application in the store);
- local: the simulator at the application's ``api_url``, else the embedded default (``chorus simulator
  serve``'s http://127.0.0.1:8700).

Clients are cached per (PISTE application, technical account): structures sharing a technical account
share a client, and every client of one PISTE application shares its rate limiter (the client's
``shared_bucket`` is keyed by token URL and client id), because PISTE counts per application.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from chorus_connect.api import ChorusClient, RetryPolicy
from chorus_connect.engine.errors import EngineError
from chorus_connect.engine.settings import DEFAULT_SETTINGS, EngineSettings
from chorus_connect.engine.storage import snapshot
from chorus_connect.store import ConnectionSettings, EnvironmentName, Store

log = logging.getLogger("chorus_connect.engine")

ClientFactory = Callable[[ConnectionSettings], ChorusClient]


class PlatformClock(Protocol):
    """Chorus Pro's own time. Deciding that a deposit did not happen is a matter of *platform* time (the
    integration delay runs there), which differs from ours on the simulator's simulated clock."""

    def now(self) -> dt.datetime: ...


class WallClock:
    """Real platforms: their time is real time (UTC)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class SimulatorClock:
    """The local simulator's (possibly frozen) simulated time, read from its admin route."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self._url = f"{base_url.rstrip('/')}/_simulator/clock"
        self._http = httpx.Client(timeout=timeout)

    def now(self) -> dt.datetime:
        try:
            response = self._http.get(self._url)
            response.raise_for_status()
            return dt.datetime.fromisoformat(response.json()["now"]).astimezone(dt.UTC)
        except (httpx.HTTPError, KeyError, ValueError) as error:
            # A "local" URL that is not our simulator: its time is real time.
            log.debug("engine.clock.fallback url=%s error=%s", self._url, type(error).__name__)
            return dt.datetime.now(dt.UTC)

    def close(self) -> None:
        self._http.close()


@dataclass(frozen=True)
class Connection:
    """What the engine needs to talk to Chorus Pro for one structure."""

    structure_id: int
    environment: EnvironmentName
    siret: str
    client: ChorusClient
    clock: PlatformClock


class Connections:
    """Clients for the structures of one store, built on demand and cached; close() closes them all."""

    def __init__(
        self,
        store: Store,
        settings: EngineSettings = DEFAULT_SETTINGS,
        *,
        client_factory: ClientFactory | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._retry = retry
        self._factory = client_factory or self._new_client
        self._clients: dict[tuple[int | str, ...], ChorusClient] = {}
        self._clocks: dict[str, PlatformClock] = {}
        self._lock = threading.Lock()

    def get(self, structure_id: int) -> Connection:
        with snapshot(self._store) as tx:
            settings = tx.structures.connection_settings(structure_id)
            application_id = tx.structures.get(structure_id).piste_application_id
        key = (application_id, settings.technical_login, _fingerprint(settings))
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._factory(settings)
                self._clients[key] = client
        return Connection(
            structure_id=structure_id,
            environment=settings.environment,
            siret=settings.siret,
            client=client,
            clock=self._clock_for(settings, client),
        )

    def _clock_for(self, settings: ConnectionSettings, client: ChorusClient) -> PlatformClock:
        if settings.environment != EnvironmentName.LOCAL:
            return WallClock()
        base = client.environment.api_url
        with self._lock:
            clock = self._clocks.get(base)
            if clock is None:
                clock = self._clocks[base] = SimulatorClock(base)
            return clock

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            for clock in self._clocks.values():
                if isinstance(clock, SimulatorClock):
                    clock.close()
            self._clients.clear()
            self._clocks.clear()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _new_client(self, settings: ConnectionSettings) -> ChorusClient:
        return ChorusClient(
            settings.api_credentials(),
            settings.api_environment(),
            timeout=httpx.Timeout(
                self._settings.client_timeout, connect=min(10.0, self._settings.client_timeout)
            ),
            retry=self._retry,
        )


def _fingerprint(settings: ConnectionSettings) -> str:
    # A changed password or secret must give a new client; the cache key keeps no secret in clear.
    secret = f"{settings.client_secret.get_secret_value()}\0{settings.technical_password.get_secret_value()}"
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def resolve_chorus_structure_id(store: Store, connection: Connection) -> int:
    """The structure's ``idStructureCPP``: stored, or looked up once among the technical account's
    structures (``recuperer/structures/actives/fournisseur``) and stored."""
    with snapshot(store) as tx:
        known = tx.structures.get(connection.structure_id).chorus_structure_id
    if known:
        return known
    answer = connection.client.transverses.active_supplier_structures()
    found = [s for s in answer.structures if (s.identifier or "").strip() == connection.siret]
    if not found or found[0].structure_id is None:
        listed = ", ".join(f"{s.identifier} ({s.name})" for s in answer.structures) or "none"
        raise EngineError(
            f"The technical account does not act for SIRET {connection.siret} on Chorus Pro (it acts for: "
            f"{listed}).",
            fix="Check the structure's SIRET and technical account (`chorus structures edit`); on Chorus Pro "
            "the account must be attached to that structure.",
        )
    with store.transaction(actor="engine") as tx:
        tx.structures.update(connection.structure_id, {"chorus_structure_id": found[0].structure_id})
    return int(found[0].structure_id)
