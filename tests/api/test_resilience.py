"""Fault modes against the simulator: 429 storms, token renewal, dropped deposits, 5xx, timeouts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from api_helpers import RequestLog, max_in_window, one_invoice

from chorus_connect.api import (
    ChorusClient,
    ChorusTimeoutError,
    Credentials,
    Environment,
    OutcomeUnknownError,
    RateLimitedError,
    RetryPolicy,
    ServiceUnavailableError,
)
from chorus_connect.api.models.factures import DepositFluxRequest

CII = "IN_DP_E1_CII_16B"


def logged_http(log: RequestLog, timeout: float = 10.0) -> httpx.Client:
    return httpx.Client(timeout=timeout, event_hooks={"request": [log.hook]})


def deposit_request(sim, number: str) -> DepositFluxRequest:
    return DepositFluxRequest.from_bytes(one_invoice(sim, number), file_name=f"{number}.xml", syntax=CII)


# --- 429 ----------------------------------------------------------------------------------------------


def test_a_429_storm_ends_with_every_call_done_and_the_configured_rate_respected(
    sim, make_client, supplier_credentials, request_log
):
    # The gateway allows 5 requests/s for the application; two clients of that application, used by six
    # threads, are configured at 4/s: they share one limiter, so the quota is never exceeded.
    sim.admin.set_faults(rate_limit_per_second=5, retry_after_seconds=1)
    http = logged_http(request_log)
    clients = [make_client(supplier_credentials, rate_limit=4, http_client=http) for _ in range(2)]
    assert clients[0].rate_limiter is clients[1].rate_limiter

    def work(i: int) -> int:
        return len(clients[i % 2].transverses.active_supplier_structures().structures)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(work, range(14)))
    assert results == [1] * 14
    sent = request_log.times("/cpro/")
    assert len(sent) == 14  # no 429, so no retry
    # A token bucket of rate r and burst b lets at most b + r*T requests through in any T seconds,
    # and r per second on average.
    assert max_in_window(sent, 1.0) <= 4 + 1
    assert (len(sent) - 1) / (max(sent) - min(sent)) <= 4 * 1.02
    assert sim.admin.stats()["requests_by_operation"]["recupererStructuresActivesPourFournisseur"] == 14
    http.close()


def test_without_a_client_limit_429s_are_retried_until_every_call_is_done(
    sim, make_client, supplier_credentials, request_log
):
    sim.admin.set_faults(rate_limit_per_second=3, retry_after_seconds=1)
    client = make_client(
        supplier_credentials,
        http_client=logged_http(request_log),
        retry=RetryPolicy(max_attempts=8, backoff_base=0.05, backoff_max=0.2),
    )
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: client.transverses.health_check().status_code_value, range(9)))
    assert results == [200] * 9
    assert len(request_log.times("/cpro/")) > 9  # some were refused with 429 and sent again


def test_a_deposit_refused_with_429_is_sent_again_and_made_once(sim, supplier, supplier_credentials):
    # 429 means the gateway refused the call before Chorus Pro saw it: resending cannot duplicate it.
    sim.admin.set_faults(error_burst_status=429, error_burst_count=2)
    response = supplier.factures.deposit_flux(deposit_request(sim, "R429-1"))
    assert response.flux_number
    siret = sim.dataset.main_supplier().siret
    assert sim.admin.stats()["deposits_by_supplier"] == {siret: 1}


def test_retry_after_longer_than_the_policy_allows_gives_a_rate_limited_error(
    sim, make_client, supplier_credentials
):
    sim.admin.set_faults(rate_limit_per_second=1, retry_after_seconds=60)
    client = make_client(supplier_credentials, retry=RetryPolicy(max_attempts=3, max_retry_after=5))
    client.transverses.health_check()
    with pytest.raises(RateLimitedError) as caught:
        client.transverses.health_check()
    assert caught.value.retry_after == 60
    assert "429" in str(caught.value) and "rate limit" in str(caught.value)


# --- token renewal ------------------------------------------------------------------------------------


def test_a_token_that_expires_midway_is_renewed_transparently(make_client, supplier_credentials):
    from chorus_connect.simulator import SimulatorConfig, SimulatorServer

    with SimulatorServer(SimulatorConfig(frozen_clock=True, token_ttl_seconds=60)) as short:
        client = ChorusClient(supplier_credentials, Environment.local(short.base_url), rate_limit=None)
        assert client.transverses.health_check().status_code_value == 200
        short.admin.advance_clock(120)  # the token expires on the server; the client's clock did not move
        assert client.transverses.active_supplier_structures().structures
        assert client.token_fetch_count == 2
        client.close()


def test_revoked_tokens_are_renewed_once_for_all_threads(sim, supplier):
    supplier.transverses.health_check()
    sim.admin.revoke_tokens()
    barrier = threading.Barrier(8)

    def call(_: int) -> int:
        barrier.wait()
        return supplier.transverses.health_check().status_code_value

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(call, range(8))) == [200] * 8
    assert supplier.token_fetch_count == 2


# --- state-changing calls whose outcome is unknown ----------------------------------------------------


def test_a_deposit_whose_connection_drops_after_processing_is_never_sent_twice(
    sim, make_client, supplier_credentials, request_log
):
    sim.admin.set_faults(
        drop_after_processing_operations=["deposerFluxFacture"], drop_after_processing_count=1
    )
    client = make_client(supplier_credentials, http_client=logged_http(request_log))
    context = {"invoice_numbers": ["DROP-1"], "supplier_siret": sim.dataset.main_supplier().siret}
    with pytest.raises(OutcomeUnknownError) as caught:
        client.factures.deposit_flux(deposit_request(sim, "DROP-1"), context=context)
    error = caught.value
    assert error.operation == "deposerFluxFacture"
    assert error.identifiers["file_name"] == "DROP-1.xml"
    assert error.identifiers["invoice_numbers"] == ["DROP-1"]
    assert len(error.identifiers["file_sha256"]) == 64
    assert error.sent_at.tzinfo is not None
    assert "Do not simply send it again" in str(error)
    assert error.to_dict()["sent_at"] == error.sent_at.isoformat()

    # The simulator's deposit count proves the deposit happened exactly once...
    siret = sim.dataset.main_supplier().siret
    assert sim.admin.stats()["deposits_by_supplier"] == {siret: 1}
    assert request_log.count("/deposer/flux") == 1
    # ...and what the error carries is enough to find it before deciding to resend.
    sim.admin.advance_clock(10)
    found = list(
        client.factures.iter_supplier_invoices(
            {"invoice_number": "DROP-1", "deposit_date_from": error.sent_at.date().isoformat()}
        )
    )
    assert [invoice.invoice_number for invoice in found] == ["DROP-1"]


@pytest.mark.parametrize("after_processing", [False, True])
def test_a_5xx_on_a_deposit_is_outcome_unknown_and_not_resent(
    sim, make_client, supplier_credentials, request_log, after_processing
):
    sim.admin.set_faults(
        error_burst_status=503, error_burst_count=1, error_burst_after_processing=after_processing
    )
    client = make_client(supplier_credentials, http_client=logged_http(request_log))
    with pytest.raises(OutcomeUnknownError) as caught:
        client.factures.deposit_flux(deposit_request(sim, "B503-1"))
    assert caught.value.status_code == 503
    assert request_log.count("/deposer/flux") == 1
    deposits = sim.admin.stats()["deposits_by_supplier"]
    assert sum(deposits.values()) == (1 if after_processing else 0)


def test_idempotent_calls_are_retried_through_a_burst_of_5xx(sim, supplier):
    sim.admin.set_faults(error_burst_status=502, error_burst_count=3)
    assert supplier.transverses.health_check().status_code_value == 200


def test_idempotent_calls_give_up_with_service_unavailable_after_the_retries(
    sim, make_client, supplier_credentials
):
    sim.admin.set_faults(error_burst_status=504, error_burst_count=10)
    client = make_client(supplier_credentials, retry=RetryPolicy(max_attempts=2, backoff_base=0.01))
    with pytest.raises(ServiceUnavailableError, match="HTTP 504"):
        client.transverses.health_check()


def test_a_timeout_on_a_deposit_is_outcome_unknown_and_not_resent(
    sim, make_client, supplier_credentials, request_log
):
    sim.admin.set_faults(latency_ms=800)
    client = make_client(supplier_credentials, http_client=logged_http(request_log, timeout=0.3))
    with pytest.raises(OutcomeUnknownError, match="no answer in time"):
        client.factures.deposit_flux(deposit_request(sim, "SLOW-1"))
    assert request_log.count("/deposer/flux") == 1
    with pytest.raises(ChorusTimeoutError):
        client.transverses.health_check()  # a read is retried, then reported as a timeout
    assert request_log.count("/health-check") == 4


def test_a_server_that_cannot_be_reached_is_unavailable_even_for_a_deposit(sim, supplier_credentials):
    # Nothing listens on the port: nothing was sent, so this is not "outcome unknown".
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = Environment(
        "local", f"{sim.token_url}", f"http://127.0.0.1:{port}"
    )  # a valid token, an API nobody serves
    client = ChorusClient(
        supplier_credentials, env, rate_limit=None, retry=RetryPolicy(max_attempts=2, backoff_base=0.01)
    )
    with pytest.raises(ServiceUnavailableError, match="Could not reach"):
        client.factures.deposit_flux(deposit_request(sim, "DOWN-1"))
    client.close()


def test_credentials_object_is_reusable_across_clients(supplier_credentials: Credentials):
    assert supplier_credentials.cpro_account == Credentials(*_fields(supplier_credentials)).cpro_account


def _fields(credentials: Credentials) -> tuple[str, str, str, str]:
    return (
        credentials.client_id,
        credentials.client_secret,
        credentials.technical_login,
        credentials.technical_password,
    )
