"""``Idempotency-Key`` on every POST of the REST API.

The first response to (principal, method, path, key) is stored and replayed to every retry carrying the
same key (header ``Idempotent-Replayed: true``), so a client that lost the answer to "deposit" can ask
again without depositing twice. The request is fingerprinted — query string, media type and body (JSON
canonicalised, multipart forms by field and file digest, so a new multipart boundary is the same
request) — and a retry whose fingerprint differs is refused with 422. A retry that arrives while the
first request is still running gets 409. Server errors (5xx) and unexpected exceptions are not kept: the
retry runs again. Records are kept 24 hours.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from chorus_connect.store import Store
from chorus_connect.store.models import IdempotencyRecord
from chorus_connect.store.repositories.web import IdempotencyInProgressError
from chorus_connect.web.auth import LoginRequired, Principal, resolve_principal, settings_of, store_of
from chorus_connect.web.problems import Problem

KEY_HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("content-type", "location")
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
STALE_AFTER = dt.timedelta(minutes=5)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class IdempotentRoute(APIRoute):
    """The route class of the REST API: POSTs with an ``Idempotency-Key`` go through :func:`_idempotent`."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            key = request.headers.get(KEY_HEADER)
            if request.method != "POST" or key is None:
                return await handler(request)
            return await _idempotent(request, key, handler)

        return route_handler


async def _idempotent(request: Request, key: str, handler: Handler) -> Response:
    instance = request.url.path
    if not _VALID_KEY.match(key):
        return Problem(
            "idempotency-key-invalid",
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters.",
            fix="Send a fresh random value per operation, e.g. a UUID, and the same value on retries.",
        ).response(instance)
    try:
        principal = await run_in_threadpool(resolve_principal, request)
    except (Problem, LoginRequired):
        return await handler(request)  # the handler answers 401 as for any unauthenticated call
    fingerprint = await _fingerprint(request)
    store = store_of(request)
    try:
        record, first = await run_in_threadpool(
            _begin,
            store,
            principal,
            request.url.path,
            key,
            fingerprint,
            settings_of(request).idempotency_retention,
        )
    except IdempotencyInProgressError:
        return _in_progress(instance)
    if not first:
        return _answer_retry(record, fingerprint, instance, store.now())
    try:
        response = await handler(request)
    except Exception as error:
        # An error the app answers (problem details): keep that answer like any other; anything else
        # (a bug, a crash) is forgotten so that the retry runs again.
        answer = _handled(request, error)
        if answer is None:
            await run_in_threadpool(_discard, store, record.id)
            raise
        response = await answer
    except BaseException:
        await run_in_threadpool(_discard, store, record.id)
        raise
    body = getattr(response, "body", None)
    if response.status_code >= 500 or not isinstance(body, bytes | bytearray):
        await run_in_threadpool(_discard, store, record.id)
        return response
    headers = {name: value for name, value in response.headers.items() if name.lower() in KEPT_HEADERS}
    await run_in_threadpool(_complete, store, record.id, response.status_code, headers, bytes(body))
    return response


def _handled(request: Request, error: Exception) -> Coroutine[Any, Any, Response] | None:
    """The app's own answer to ``error`` (its exception handler), if it has one other than the catch-all."""
    handlers = request.app.exception_handlers
    for kind in type(error).__mro__:
        if kind is Exception:
            return None
        handler = handlers.get(kind)
        if handler is not None:
            return handler(request, error)
    return None


def _answer_retry(record: IdempotencyRecord, fingerprint: str, instance: str, now: dt.datetime) -> Response:
    if record.status_code is None:
        stale = now - record.created_at > STALE_AFTER
        return _in_progress(instance, stale=stale)
    if record.request_hash != fingerprint:
        return Problem(
            "idempotency-key-reused",
            "This Idempotency-Key was first used with a different request (body, query or media type).",
            fix="Use a new Idempotency-Key for a new request; send exactly the same request to retry.",
        ).response(instance)
    headers = dict(record.response_headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(content=record.response_body or b"", status_code=record.status_code, headers=headers)


def _in_progress(instance: str, *, stale: bool = False) -> Response:
    fix = (
        "The first request with this key never finished (the server may have restarted): read the object "
        "to see whether it was done, then use a new key if it was not."
        if stale
        else "Wait a moment, then retry with the same key to get its answer."
    )
    return Problem(
        "request-in-progress", "The first request with this Idempotency-Key is still running.", fix=fix
    ).response(instance)


async def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    digest.update(f"{request.url.query}\n{media_type}\n".encode())
    if media_type == "multipart/form-data":
        form = await request.form()  # cached on the request: the handler reads the same form
        for name, value in form.multi_items():
            digest.update(name.encode() + b"\0")
            if isinstance(value, UploadFile):
                content = await value.read()
                await value.seek(0)
                digest.update(f"{value.filename}\0".encode() + hashlib.sha256(content).digest())
            else:
                digest.update(value.encode() + b"\0")
        return digest.hexdigest()
    body = await request.body()  # cached on the request as well
    if media_type.endswith("json"):
        # Not JSON after all: fingerprint the bytes as they are; the handler will refuse them.
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest.update(body)
    return digest.hexdigest()


def _begin(
    store: Store, principal: Principal, path: str, key: str, fingerprint: str, retention: dt.timedelta
) -> tuple[IdempotencyRecord, bool]:
    with store.transaction(actor=principal.key) as tx:
        tx.idempotency.purge(store.now() - retention)
        return tx.idempotency.begin(principal.key, "POST", path, key, fingerprint)


def _complete(store: Store, record_id: int, status: int, headers: dict[str, str], body: bytes) -> None:
    with store.transaction() as tx:
        tx.idempotency.complete(record_id, status_code=status, headers=headers, body=body)


def _discard(store: Store, record_id: int) -> None:
    with store.transaction() as tx:
        tx.idempotency.discard(record_id)
