"""Admin routes outside /cpro: move the clock, inject faults, read counters. Loopback tooling only."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chorus_connect.simulator import gateway
from chorus_connect.simulator.config import FaultConfig
from chorus_connect.simulator.envelope import api_timestamp
from chorus_connect.simulator.platform import Platform

ADMIN_PREFIX = "/_simulator"
SCENARIO_NAMES = ("PAYE", "SUSPENDUE", "A_RECYCLER", "REJETEE", "SANS_SUITE")


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"error": detail}, status_code=status)


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def stats(platform: Platform) -> dict[str, Any]:
    state = platform.state
    with state.lock:
        by_status: dict[str, int] = {}
        numbers: dict[str, list[str]] = {}
        for invoice in state.invoices.values():
            by_status[invoice.status] = by_status.get(invoice.status, 0) + 1
            numbers.setdefault(invoice.supplier_identifier, []).append(invoice.number)
        flux_by_status: dict[str, int] = {}
        for flux in state.fluxes.values():
            flux_by_status[flux.status] = flux_by_status.get(flux.status, 0) + 1
        return {
            "now": api_timestamp(platform.now()),
            "deposits_by_supplier": dict(state.counters.deposits_by_supplier),
            "requests_by_operation": dict(state.counters.requests_by_operation),
            "fluxes": len(state.fluxes),
            "fluxes_by_status": flux_by_status,
            "invoices": len(state.invoices),
            "invoices_by_status": by_status,
            "invoice_numbers_by_supplier": {k: sorted(v) for k, v in numbers.items()},
            "attachments": len(state.attachments),
            "pending_events": state.pending_events(),
            "peak_requests_per_second_by_application": dict(platform.faults.peak_per_second),
        }


def admin_routes(platform: Platform) -> list[Route]:
    async def clock(request: Request) -> Response:
        return JSONResponse({"now": api_timestamp(platform.now()), "frozen": platform.clock.frozen})

    async def advance(request: Request) -> Response:
        try:
            body = await _json(request)
            seconds = float(body.get("seconds", 0)) + 3600 * float(body.get("hours", 0))
            seconds += 86400 * float(body.get("days", 0))
        except (ValueError, TypeError):
            return _problem(400, 'send {"seconds": N} (or hours / days) with a non-negative number')
        if seconds < 0:
            return _problem(400, "the simulated clock only moves forward: seconds must be >= 0")
        now = platform.advance_clock(seconds)
        return JSONResponse({"now": api_timestamp(now), "pending_events": platform.state.pending_events()})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            platform.faults.replace(FaultConfig())
        elif request.method == "POST":
            try:
                platform.faults.replace(FaultConfig.model_validate(await _json(request)))
            except (ValidationError, ValueError) as error:
                return _problem(400, f"invalid fault settings: {error}")
        return JSONResponse(platform.faults.config.model_dump())

    async def revoke(request: Request) -> Response:
        body = await _json(request)
        with platform.state.lock:
            count = gateway.revoke_tokens(platform.state, body.get("client_id"))
        return JSONResponse({"revoked": count})

    async def scenario(request: Request) -> Response:
        body = await _json(request)
        number, name = body.get("invoice_number"), body.get("scenario")
        if not number or name not in SCENARIO_NAMES:
            return _problem(400, f"send invoice_number and a scenario among {', '.join(SCENARIO_NAMES)}")
        with platform.state.lock:
            platform.scenario_overrides[str(number)] = str(name)
        return JSONResponse({"invoice_number": number, "scenario": name})

    async def stats_route(request: Request) -> Response:
        return JSONResponse(stats(platform))

    async def dataset(request: Request) -> Response:
        return Response(platform.state.dataset.model_dump_json(), media_type="application/json")

    return [
        Route(f"{ADMIN_PREFIX}/clock", clock, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/clock/advance", advance, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/tokens/revoke", revoke, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/scenarios", scenario, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/stats", stats_route, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/dataset", dataset, methods=["GET"]),
    ]
