"""Fixtures of the API client tests: the simulator over real HTTP, clients on it, a scripted loopback server.

The scripted server answers what a test tells it to (status, headers, body) for gateway behaviours the
simulator does not produce (an empty 401, a 413, an HTML error page...). Both are real HTTP servers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_helpers import RequestLog, ScriptedServer, credentials_for

from chorus_connect.api import ChorusClient, Credentials, Environment, RetryPolicy
from chorus_connect.simulator import SimulatorConfig, SimulatorServer

# Retries fast enough for tests; the policy logic itself is tested in test_retry.py.
FAST_RETRY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, max_retry_after=5)


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as server:
        yield server


@pytest.fixture
def supplier_credentials(sim: SimulatorServer) -> Credentials:
    return credentials_for(sim, sim.dataset.supplier_account(sim.dataset.main_supplier().structure_id).login)


@pytest.fixture
def recipient_credentials(sim: SimulatorServer) -> Credentials:
    recipient = sim.dataset.recipient_with()
    return credentials_for(sim, sim.dataset.recipient_account(recipient.structure_id).login)


@pytest.fixture
def make_client(sim: SimulatorServer) -> Iterator[Callable[..., ChorusClient]]:
    clients: list[ChorusClient] = []

    def make(credentials: Credentials, **options: Any) -> ChorusClient:
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("rate_limit", None)
        client = ChorusClient(credentials, Environment.local(sim.base_url), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def supplier(make_client: Callable[..., ChorusClient], supplier_credentials: Credentials) -> ChorusClient:
    return make_client(supplier_credentials)


@pytest.fixture
def recipient(make_client: Callable[..., ChorusClient], recipient_credentials: Credentials) -> ChorusClient:
    return make_client(recipient_credentials)


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def scripted_client(scripted: ScriptedServer) -> Iterator[ChorusClient]:
    credentials = Credentials("app-id", "app-secret-value", "TECH_1_x@cpro.fr", "tech-password-value")
    client = ChorusClient(
        credentials, Environment.local(scripted.base_url), retry=FAST_RETRY, rate_limit=None
    )
    yield client
    client.close()
