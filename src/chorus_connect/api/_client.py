"""The synchronous Chorus Pro client: authentication, rate limiting, retries and error reading."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, TypeVar

import httpx
from pydantic import ValidationError

from chorus_connect import __version__
from chorus_connect.api._auth import Credentials, IssuedToken, TokenCache
from chorus_connect.api._environments import Environment
from chorus_connect.api._exceptions import (
    ChorusError,
    ChorusTimeoutError,
    InvalidClientCredentialsError,
    OutcomeUnknownError,
    RateLimitedError,
    ServiceUnavailableError,
    TokenError,
    UnexpectedResponseError,
)
from chorus_connect.api._logging import EventLogger, Redactor
from chorus_connect.api._operations import Operation
from chorus_connect.api._ratelimit import TokenBucket, shared_bucket
from chorus_connect.api._requests import build_request, describe_validation_error
from chorus_connect.api._responses import (
    AuthFailure,
    auth_error,
    auth_failure,
    business_error,
    http_error,
    read_json,
)
from chorus_connect.api._retry import RETRYABLE_STATUSES, FailureKind, RetryPolicy, parse_retry_after
from chorus_connect.api.engagements import Engagements
from chorus_connect.api.factures import Factures
from chorus_connect.api.models._base import ChorusModel, ChorusRequest, ChorusResponse
from chorus_connect.api.structures import Structures
from chorus_connect.api.transverses import Transverses
from chorus_connect.api.travaux import Travaux
from chorus_connect.api.utilisateurs import Utilisateurs

ResponseT = TypeVar("ResponseT", bound=ChorusResponse)

# Connect fast, wait up to a minute for an answer (deposits of 10 MB files over slow links included).
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_TOKEN_LIFETIME = 3600.0
_JSON = "application/json;charset=utf-8"
_SUCCESS = frozenset({200, 201, 202})


@dataclass(frozen=True, slots=True)
class _Exchange:
    """The last answer to a call, after the retries that were safe."""

    response: httpx.Response
    sent_at: dt.datetime
    attempts: int


class _UseEnvironmentDefault:
    """Marker: take the rate limit of the environment preset."""


ENVIRONMENT_DEFAULT: Final = _UseEnvironmentDefault()


class ChorusClient:
    """Client of the Chorus Pro API behind the PISTE gateway.

    One instance can be shared by threads. API families are attributes, named after Chorus Pro's own:
    ``factures``, ``transverses``, ``structures``, ``utilisateurs``, ``engagements``, ``travaux``.

    >>> client = ChorusClient(Credentials.from_env(), Environment.sandbox())   # doctest: +SKIP
    >>> for invoice in client.factures.iter_supplier_invoices(): ...           # doctest: +SKIP
    """

    def __init__(
        self,
        credentials: Credentials,
        environment: Environment | str,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        rate_limit: float | _UseEnvironmentDefault | None = ENVIRONMENT_DEFAULT,
        burst: int = 1,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = credentials
        self.environment = Environment.named(environment) if isinstance(environment, str) else environment
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=timeout, transport=transport, headers={"User-Agent": f"chorus-connect/{__version__}"}
        )
        limit = (
            self.environment.default_rate_limit
            if isinstance(rate_limit, _UseEnvironmentDefault)
            else rate_limit
        )
        self._limiter: TokenBucket | None = (
            shared_bucket(self.environment.token_url, credentials.client_id, limit, burst) if limit else None
        )
        self._redactor = Redactor(credentials.secret_values())
        self._log = EventLogger(self._redactor)
        self._cpro_account = credentials.cpro_account
        self._tokens = TokenCache(self._fetch_token, on_new_token=self._redactor.add_token)

        self.factures = Factures(self)
        self.transverses = Transverses(self)
        self.structures = Structures(self)
        self.utilisateurs = Utilisateurs(self)
        self.engagements = Engagements(self)
        self.travaux = Travaux(self)

    # --- lifecycle ------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> ChorusClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"ChorusClient(environment={self.environment.name!r}, client_id={self.credentials.client_id!r})"
        )

    @property
    def rate_limiter(self) -> TokenBucket | None:
        return self._limiter

    @property
    def token_fetch_count(self) -> int:
        """How many tokens this client fetched (the cache makes it one per token lifetime)."""
        return self._tokens.fetch_count

    def ensure_token(self) -> None:
        """Fetch a token now if none is cached (raises the authentication error if PISTE refuses)."""
        self._tokens.get()

    # --- calls ----------------------------------------------------------------------------------------

    def call(
        self,
        operation: Operation,
        request: ChorusModel | Mapping[str, Any] | None,
        response_model: type[ResponseT],
        *,
        request_model: type[ChorusModel] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> ResponseT:
        """Send one operation and read its answer. ``context`` adds identifying fields (e.g. invoice numbers
        of a flux) to the :class:`OutcomeUnknownError` a state-changing call may raise."""
        body: bytes | None = None
        model: ChorusModel | None = None
        if operation.method == "POST":
            model = build_request(request, request_model or ChorusRequest, operation=operation.name)
            body = model.model_dump_json(by_alias=True, exclude_none=True).encode()

        def identify() -> dict[str, Any]:
            fields = model.identifying_fields() if model is not None else {}
            return {key: value for key, value in {**fields, **(context or {})}.items() if value is not None}

        exchange = self._send(operation, body, identify)
        result = self._read(operation, exchange, response_model, identify)
        if not operation.idempotent:
            # An audit line for every change made on Chorus Pro (identifying fields only, never the body).
            self._log.info("chorus.api.change", operation=operation.name, identifiers=identify())
        return result

    def _send(
        self, operation: Operation, body: bytes | None, identify: Callable[[], dict[str, Any]]
    ) -> _Exchange:
        """Send with retries where safe; returns the last answer, which may still be a failure."""
        url = f"{self.environment.api_url}{operation.url_path}"
        attempt = 0
        renewed_token = False
        while True:
            attempt += 1
            if self._limiter is not None:
                self._limiter.acquire()
            token = self._tokens.get()
            sent_at = dt.datetime.now(dt.UTC)
            started = time.perf_counter()
            try:
                response = self._http.request(
                    operation.method, url, content=body, headers=self._headers(token, body is not None)
                )
            except httpx.TransportError as error:
                kind = _failure_kind(error)
                if self.retry.may_retry(kind, idempotent=operation.idempotent, attempt=attempt):
                    self._wait_before_retry(operation, attempt, type(error).__name__, None)
                    continue
                raise self._transport_error(operation, error, kind, sent_at, identify) from None
            status = response.status_code
            self._log.debug(
                "chorus.api.response",
                operation=operation.name,
                status=status,
                attempt=attempt,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            if status == 401 and not renewed_token and auth_failure(response) in _RENEWABLE:
                # Expired or revoked token (or an unexplained 401): renew once and resend; the gateway
                # refused the call before Chorus Pro saw it, so this is safe for every operation.
                self._tokens.invalidate(token)
                renewed_token = True
                attempt -= 1
                self._log.info("chorus.api.token.renew", operation=operation.name, reason="HTTP 401")
                continue
            if status in RETRYABLE_STATUSES and self._retry_status(operation, response, attempt):
                continue
            return _Exchange(response, sent_at, attempt)

    def _retry_status(self, operation: Operation, response: httpx.Response, attempt: int) -> bool:
        """Wait and return True when a 429/502/503/504 may be retried for this operation."""
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429 and retry_after and self._limiter is not None:
            # The quota belongs to the application: hold every client of it back, not just this call.
            self._limiter.hold_off(min(retry_after, self.retry.max_retry_after))
        if retry_after is not None and retry_after > self.retry.max_retry_after:
            return False
        kind = FailureKind.REFUSED if status == 429 else FailureKind.AFTER_SEND
        if not self.retry.may_retry(kind, idempotent=operation.idempotent, attempt=attempt):
            return False
        self._wait_before_retry(operation, attempt, f"HTTP {status}", retry_after)
        return True

    def _wait_before_retry(
        self, operation: Operation, attempt: int, reason: str, retry_after: float | None
    ) -> None:
        delay = self.retry.delay(attempt, retry_after=retry_after)
        self._log.warning(
            "chorus.api.retry",
            operation=operation.name,
            attempt=attempt,
            reason=reason,
            delay_s=round(delay, 3),
        )
        self._sleep(delay)

    def _headers(self, token: str, has_body: bool) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}", "cpro-account": self._cpro_account, "Accept": _JSON}
        if has_body:
            headers["Content-Type"] = _JSON
        return headers

    def _read(
        self,
        operation: Operation,
        exchange: _Exchange,
        response_model: type[ResponseT],
        identify: Callable[[], dict[str, Any]],
    ) -> ResponseT:
        response = exchange.response
        status = response.status_code
        if status in _SUCCESS:
            parsed = self._parse(operation, response, response_model)
            code = parsed.return_code
            if code == 0 or operation.is_no_result(code):
                return parsed
            raise business_error(operation, code, parsed.label, status)
        if status == 400:
            body = read_json(response)
            if body is not None and isinstance(body.get("codeRetour"), int):
                if operation.is_no_result(body["codeRetour"]):
                    return self._parse(operation, response, response_model)
                raise business_error(operation, body["codeRetour"], str(body.get("libelle", "")), status)
        if status == 401:
            raise auth_error(auth_failure(response), operation, response)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimitedError(
                retry_after=retry_after, operation=operation.name, attempts=exchange.attempts
            )
        if status >= 500:
            if not operation.idempotent:
                cause = f"HTTP {status} after the request was sent"
                raise self._outcome_unknown(operation, cause, exchange.sent_at, identify, status)
            raise ServiceUnavailableError(
                f"Chorus Pro or PISTE answered HTTP {status} (after {exchange.attempts} attempt(s)).",
                operation=operation.name,
                status_code=status,
            )
        raise http_error(operation, response)

    def _parse(self, operation: Operation, response: httpx.Response, model: type[ResponseT]) -> ResponseT:
        try:
            return model.model_validate_json(response.content or b"{}")
        except ValidationError as error:
            raise UnexpectedResponseError(
                f"The answer (HTTP {response.status_code}) cannot be read as {model.__name__}: "
                f"{describe_validation_error(error)}.",
                operation=operation.name,
                status_code=response.status_code,
            ) from None

    def _transport_error(
        self,
        operation: Operation,
        error: httpx.TransportError,
        kind: FailureKind,
        sent_at: dt.datetime,
        identify: Callable[[], dict[str, Any]],
    ) -> ChorusError:
        what = f"{type(error).__name__}: {self._redactor.redact(str(error)) or 'no detail'}"
        if kind is FailureKind.AFTER_SEND and not operation.idempotent:
            cause = "no answer in time" if isinstance(error, httpx.TimeoutException) else "connection lost"
            return self._outcome_unknown(operation, f"{cause}, {what}", sent_at, identify, None)
        if isinstance(error, httpx.TimeoutException):
            return ChorusTimeoutError(
                f"No answer from {self.environment.api_url} in time ({what}).", operation=operation.name
            )
        return ServiceUnavailableError(
            f"Could not reach {self.environment.api_url} ({what}).",
            fix="Check the network and the API URL; if right, Chorus Pro or PISTE is down: retry later.",
            operation=operation.name,
        )

    def _outcome_unknown(
        self,
        operation: Operation,
        cause: str,
        sent_at: dt.datetime,
        identify: Callable[[], dict[str, Any]],
        status: int | None,
    ) -> OutcomeUnknownError:
        error = OutcomeUnknownError(
            operation=operation.name, identifiers=identify(), sent_at=sent_at, cause=cause, status_code=status
        )
        self._log.warning(
            "chorus.api.outcome_unknown", operation=operation.name, cause=cause, sent_at=sent_at.isoformat()
        )
        return error

    # --- token ----------------------------------------------------------------------------------------

    def _fetch_token(self) -> IssuedToken:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
            "scope": "openid",
        }
        url = self.environment.token_url
        attempt = 0
        while True:
            attempt += 1
            self._log.debug("chorus.api.token.request", url=url, attempt=attempt)
            try:
                response = self._http.post(url, data=form, headers={"Accept": "application/json"})
            except httpx.TransportError as error:
                if self.retry.may_retry(_failure_kind(error), idempotent=True, attempt=attempt):
                    self._sleep(self.retry.delay(attempt))
                    continue
                raise self._token_unreachable(error) from None
            if response.status_code in RETRYABLE_STATUSES and self.retry.may_retry(
                FailureKind.AFTER_SEND, idempotent=True, attempt=attempt
            ):
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                self._sleep(self.retry.delay(attempt, retry_after=retry_after))
                continue
            issued = self._read_token(response)
            self._log.info("chorus.api.token.issued", expires_in_s=issued.expires_in)
            return issued

    def _read_token(self, response: httpx.Response) -> IssuedToken:
        status = response.status_code
        body = read_json(response) or {}
        if status == 200:
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise TokenError(
                    "The PISTE token endpoint answered without an access_token.", status_code=status
                )
            return IssuedToken(token, _lifetime(body.get("expires_in")))
        error = self._redactor.redact(str(body.get("error", "")))
        description = self._redactor.redact(str(body.get("error_description", "")))
        detail = f"{error}: {description}" if description else error or "no detail"
        if error in ("invalid_client", "unauthorized_client") or status == 401:
            raise InvalidClientCredentialsError(
                f"PISTE refused the OAuth2 client id {self.credentials.client_id!r} or its secret "
                f"(HTTP {status}, {detail}).",
                status_code=status,
            )
        if status in RETRYABLE_STATUSES:
            raise ServiceUnavailableError(
                f"The PISTE token endpoint is unavailable (HTTP {status}).", status_code=status
            )
        raise TokenError(f"The PISTE token endpoint answered HTTP {status} ({detail}).", status_code=status)

    def _token_unreachable(self, error: httpx.TransportError) -> ChorusError:
        what = f"{type(error).__name__}: {self._redactor.redact(str(error)) or 'no detail'}"
        url = self.environment.token_url
        if isinstance(error, httpx.TimeoutException):
            return ChorusTimeoutError(f"The PISTE token endpoint {url} did not answer in time ({what}).")
        return ServiceUnavailableError(
            f"Could not reach the PISTE token endpoint {url} ({what}).",
            fix="Check the network and the token URL of the environment; if they are right, retry later.",
        )


_RENEWABLE = frozenset({AuthFailure.INVALID_TOKEN, AuthFailure.UNSPECIFIED})
# Failures raised before any byte of the request could reach the server.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def _failure_kind(error: httpx.TransportError) -> FailureKind:
    return FailureKind.NOT_SENT if isinstance(error, _NOT_SENT_ERRORS) else FailureKind.AFTER_SEND


def _lifetime(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TOKEN_LIFETIME
    return seconds if seconds > 0 else DEFAULT_TOKEN_LIFETIME
