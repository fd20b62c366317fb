"""Credentials, token cache, environments, redaction, pagination: the parts that need no server."""

import base64
import logging
import threading
import time

import pytest

from chorus_connect.api import ConfigurationError, Credentials, Environment
from chorus_connect.api._auth import IssuedToken, TokenCache
from chorus_connect.api._logging import EventLogger, Redactor
from chorus_connect.api._pagination import paginate
from chorus_connect.api.models.factures import SearchSupplierInvoicesRequest, SearchSupplierInvoicesResponse

CREDS = Credentials("client-id", "very-secret-client", "TECH_1_abc@cpro.fr", "p@ss:word")


def test_cpro_account_is_base64_of_login_and_password():
    assert base64.b64decode(CREDS.cpro_account).decode() == "TECH_1_abc@cpro.fr:p@ss:word"


def test_printing_credentials_never_shows_the_secrets():
    shown = repr(CREDS) + str(CREDS)
    assert "client-id" in shown
    for secret in CREDS.secret_values():
        assert secret not in shown


def test_credentials_come_from_the_environment_variables():
    env = {
        "CHORUS_CLIENT_ID": "a",
        "CHORUS_CLIENT_SECRET": "b",
        "CHORUS_TECH_LOGIN": "c",
        "CHORUS_TECH_PASSWORD": "d",
    }
    assert Credentials.from_env(env) == Credentials("a", "b", "c", "d")


def test_missing_credentials_are_named_with_their_variable():
    with pytest.raises(ConfigurationError, match=r"client_secret \(CHORUS_CLIENT_SECRET\)") as caught:
        Credentials.from_env({"CHORUS_CLIENT_ID": "a", "CHORUS_TECH_LOGIN": "c", "CHORUS_TECH_PASSWORD": "d"})
    assert "technical_password" not in str(caught.value)


# --- token cache --------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_token_is_fetched_lazily_and_reused_until_shortly_before_expiry():
    clock = Clock()
    issued = iter(["t1", "t2"])
    cache = TokenCache(lambda: IssuedToken(next(issued), 3600), clock=clock)
    assert cache.fetch_count == 0
    assert cache.get() == "t1"
    clock.now += 3600 - 241  # still more than the 240 s margin left
    assert cache.get() == "t1"
    clock.now += 2
    assert cache.get() == "t2"
    assert cache.fetch_count == 2


def test_short_lived_tokens_are_refreshed_a_tenth_of_their_life_early():
    clock = Clock()
    issued = iter(["t1", "t2"])
    cache = TokenCache(lambda: IssuedToken(next(issued), 10), clock=clock)
    cache.get()
    clock.now += 8.9
    assert cache.get() == "t1"
    clock.now += 0.2
    assert cache.get() == "t2"


def test_invalidate_drops_only_the_token_that_was_rejected():
    issued = iter(["t1", "t2", "t3"])
    cache = TokenCache(lambda: IssuedToken(next(issued), 3600))
    cache.get()
    cache.invalidate("t1")
    assert cache.get() == "t2"
    cache.invalidate("t1")  # another thread's late report about the old token
    assert cache.get() == "t2"


def test_threads_starting_together_fetch_a_single_token():
    fetches = []

    def slow_fetch() -> IssuedToken:
        fetches.append(1)
        time.sleep(0.05)
        return IssuedToken(f"t{len(fetches)}", 3600)

    cache = TokenCache(slow_fetch)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get())) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["t1"] * 12
    assert len(fetches) == 1


# --- environments -------------------------------------------------------------------------------------


def test_presets_point_at_the_real_piste_hosts():
    assert Environment.production().token_url == "https://oauth.piste.gouv.fr/api/oauth/token"
    assert Environment.production().api_url == "https://api.piste.gouv.fr"
    assert Environment.sandbox().token_url == "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"
    assert Environment.sandbox().api_url == "https://sandbox-api.piste.gouv.fr"


def test_every_url_can_be_overridden():
    env = Environment.named("sandbox", api_url="https://proxy.example/piste/")
    assert env.api_url == "https://proxy.example/piste"
    assert env.token_url == "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"
    local = Environment.named("local", api_url="http://127.0.0.1:9999")
    assert local.token_url == "http://127.0.0.1:9999/api/oauth/token"


def test_a_bad_environment_name_or_url_is_a_clear_error():
    with pytest.raises(ConfigurationError, match="production, sandbox"):
        Environment.named("prod")
    with pytest.raises(ConfigurationError, match="not an absolute http"):
        Environment.named("sandbox", token_url="oauth.piste.gouv.fr")


# --- redaction ----------------------------------------------------------------------------------------


def test_logged_values_are_redacted_and_sensitive_fields_masked(caplog):
    redactor = Redactor(CREDS.secret_values())
    redactor.add_token("bearer-token-123")
    log = EventLogger(redactor)
    with caplog.at_level(logging.DEBUG, logger="chorus_connect.api"):
        log.debug(
            "event",
            note=f"pw={CREDS.technical_password} tok=bearer-token-123 acc={CREDS.cpro_account}",
            password="anything",
            attempt=2,
        )
    record = caplog.records[-1]
    text = record.getMessage()
    for secret in (*CREDS.secret_values(), "bearer-token-123", "anything"):
        assert secret not in text
        assert secret not in str(record.chorus_fields)
    assert record.chorus_event == "event"
    assert record.chorus_fields["attempt"] == 2


# --- pagination ---------------------------------------------------------------------------------------


def _pages(total: int, *, size_cap: int | None = None, info: str = "pages"):
    requests = []

    def fetch(request: SearchSupplierInvoicesRequest) -> SearchSupplierInvoicesResponse:
        requests.append(request)
        size = min(request.paging.page_size, size_cap or 10**9)
        start = (request.paging.page - 1) * size
        items = [{"numeroFacture": f"F{i}"} for i in range(start, min(start + size, total))]
        paging = {"pageCourante": request.paging.page, "nbResultatsParPage": size}
        if info == "pages":
            paging.update(pages=max(1, -(-total // size)), total=total)
        elif info == "total":
            paging["total"] = total
        body = {"listeFactures": items}
        if info != "none":
            body["parametresRetour"] = paging
        return SearchSupplierInvoicesResponse.model_validate(body)

    return fetch, requests


@pytest.mark.parametrize("info", ["pages", "total", "none"])
def test_pagination_yields_every_item_exactly_once(info):
    fetch, requests = _pages(23, info=info)
    numbers = [item.invoice_number for item in paginate(fetch, SearchSupplierInvoicesRequest(), page_size=5)]
    assert numbers == [f"F{i}" for i in range(23)]
    assert [r.paging.page for r in requests] == [1, 2, 3, 4, 5]


def test_pagination_follows_a_server_that_caps_the_page_size():
    fetch, _ = _pages(23, size_cap=4, info="size_only")
    items = list(paginate(fetch, SearchSupplierInvoicesRequest(), page_size=10))
    assert len(items) == 23


def test_pagination_is_lazy():
    fetch, requests = _pages(100)
    iterator = paginate(fetch, SearchSupplierInvoicesRequest(), page_size=10)
    next(iterator)
    assert len(requests) == 1
