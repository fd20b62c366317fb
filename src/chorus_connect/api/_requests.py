"""Turning what callers pass (a model, a mapping or nothing) into a validated request model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from chorus_connect.api._exceptions import InvalidRequestError
from chorus_connect.api.models._base import ChorusModel

ModelT = TypeVar("ModelT", bound=ChorusModel)


def build_request(
    request: ChorusModel | Mapping[str, Any] | None, model: type[ModelT], *, operation: str | None
) -> ModelT:
    """Accept the operation's model, or a mapping with Pythonic or wire (French) field names."""
    if isinstance(request, model):
        return request
    if isinstance(request, ChorusModel):
        raise InvalidRequestError(
            f"Expected a {model.__name__}, got a {type(request).__name__}.",
            fix=f"Build the request as {model.__name__}(...) or pass its fields as a dict.",
            operation=operation,
        )
    try:
        return model.model_validate(dict(request or {}))
    except ValidationError as error:
        raise InvalidRequestError(
            f"Invalid {model.__name__}: {describe_validation_error(error)}.", operation=operation
        ) from None


def describe_validation_error(error: ValidationError, *, limit: int = 5) -> str:
    """One short line per problem: which field, which rule (values are left out: they may be large)."""
    problems = []
    for item in error.errors(include_url=False, include_input=False)[:limit]:
        location = ".".join(str(part) for part in item["loc"]) or "(body)"
        problems.append(f"{location}: {item['msg']}")
    more = error.error_count() - len(problems)
    if more > 0:
        problems.append(f"and {more} more")
    return "; ".join(problems)
