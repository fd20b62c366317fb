"""The ``/api/v1`` router: every API route, and the catalogue of problem types (public)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chorus_connect.web.api import invoices, received, structures
from chorus_connect.web.problems import PROBLEM_TYPES, Problem, problem_catalogue

router = APIRouter(prefix="/api/v1")
router.include_router(structures.router)
router.include_router(invoices.router)
router.include_router(received.router)


@router.get("/problems", tags=["problems"], summary="The problem types the API answers with")
def problem_types() -> list[dict[str, Any]]:
    return problem_catalogue()


@router.get("/problems/{slug}", tags=["problems"], summary="One problem type: what it means")
def problem_type(slug: str) -> dict[str, Any]:
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise Problem("not-found", f"No problem type {slug!r}.", fix="See /api/v1/problems for the list.")
    return {"type": kind.uri, "title": kind.title, "status": kind.status, "description": kind.description}
