"""The ASGI application: PISTE token endpoint, the /cpro gateway, and the simulator's admin routes."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from chorus_connect.simulator import gateway
from chorus_connect.simulator.admin import admin_routes
from chorus_connect.simulator.envelope import BusinessError, NoResult
from chorus_connect.simulator.faults import FaultDecision
from chorus_connect.simulator.gateway import GatewayRefusal
from chorus_connect.simulator.platform import Platform
from chorus_connect.simulator.registry import CallContext, Operation, load_all_operations

log = logging.getLogger("chorus_connect.simulator")

JSON_TYPE = "application/json;charset=utf-8"
MALFORMED_REQUEST = 20900  # the real code for an unreadable body is unknown (reference §2.0.1)


class ApiResponse(JSONResponse):
    media_type = JSON_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class DroppedResponse(Response):
    """Announces a body, sends one byte of it, then breaks the connection: the call took effect but
    the client never reads the answer (the 'outcome unknown' case a connector must survive)."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", JSON_TYPE.encode()), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        raise ConnectionAbortedError("simulated dropped connection")


def _refusal_response(refusal: GatewayRefusal) -> Response:
    if refusal.body is None:
        return Response(status_code=refusal.status, headers=refusal.headers)
    return ApiResponse(refusal.body, status_code=refusal.status, headers=refusal.headers)


def build_app(platform: Platform) -> Starlette:
    operations = load_all_operations()

    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        with platform.state.lock:
            try:
                body = gateway.issue_token(
                    platform.state, form, platform.now(), platform.config.token_ttl_seconds
                )
            except GatewayRefusal as refusal:
                return _refusal_response(refusal)
        return ApiResponse(body, headers={"Cache-Control": "no-store"})

    async def cpro(request: Request) -> Response:
        try:
            return await _dispatch(platform, operations, request)
        except GatewayRefusal as refusal:
            return _refusal_response(refusal)

    routes = [
        Route("/api/oauth/token", token, methods=["POST"]),
        Route("/cpro/{rest:path}", cpro, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        *admin_routes(platform),
    ]
    app = Starlette(routes=routes)
    app.state.platform = platform
    return app


async def _dispatch(
    platform: Platform, operations: dict[tuple[str, str], Operation], request: Request
) -> Response:
    state = platform.state
    with state.lock:
        application = gateway.check_bearer(state, request.headers.get("authorization"), platform.now())
    op = operations.get((request.method, request.url.path))
    if op is None:
        raise GatewayRefusal(403)  # the gateway answers 403 for routes it does not expose
    gateway.check_subscription(application, op.family)
    decision = platform.faults.decide(application.client_id, op.name)
    if decision.retry_after is not None:
        return ApiResponse(
            {"error": "too_many_requests", "error_description": "Quota exceeded"},
            status_code=429,
            headers={"Retry-After": str(decision.retry_after)},
        )
    if decision.latency_seconds and not decision.latency_after:
        await asyncio.sleep(decision.latency_seconds)
    if decision.status_before:
        return _server_error(decision.status_before)
    body = await _read_body(request, op)
    with state.lock:
        now = platform.now()
        account = gateway.check_account(state, request.headers.get("cpro-account"), now.date())
        platform.catch_up(now)
        counts = state.counters.requests_by_operation
        counts[op.name] = counts.get(op.name, 0) + 1
        context = CallContext(platform=platform, now=now, application=application, account=account)
        try:
            result = op.handler(context, body)
            response: Response = ApiResponse(result)
        except BusinessError as error:
            response = ApiResponse(error.body(), status_code=error.http_status)
        except NoResult as empty:
            response = ApiResponse(empty.body())
    if decision.latency_seconds and decision.latency_after:
        await asyncio.sleep(decision.latency_seconds)
    return _after_processing(decision, response)


def _after_processing(decision: FaultDecision, response: Response) -> Response:
    if decision.drop_after:
        return DroppedResponse()
    if decision.status_after:
        return _server_error(decision.status_after)
    return response


def _server_error(status: int) -> Response:
    headers = {"Retry-After": "1"} if status in (429, 503) else {}
    body = {"error": "server_error", "error_description": f"Simulated HTTP {status}"}
    return ApiResponse(body, status_code=status, headers=headers)


async def _read_body(request: Request, op: Operation) -> dict[str, Any]:
    if op.method == "GET":
        return {}
    content_type = request.headers.get("content-type", "")
    if not content_type.split(";")[0].strip().lower() == "application/json":
        raise GatewayRefusal(
            415, {"error": "unsupported_media_type", "error_description": f"Expected {JSON_TYPE}"}
        )
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise GatewayRefusal(
            400,
            {
                "codeRetour": MALFORMED_REQUEST,
                "libelle": "TRA_MSG_00.900 Le corps de la requete n'est pas un JSON valide",
            },
        ) from None
    if not isinstance(body, dict):
        raise GatewayRefusal(
            400,
            {
                "codeRetour": MALFORMED_REQUEST,
                "libelle": "TRA_MSG_00.900 Le corps de la requete doit etre un objet JSON",
            },
        )
    return body
