"""Input errors that name the file, the field and what to fix (never a traceback for bad input)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvoiceInputError(ValueError):
    """A file that cannot be read as an invoice."""

    def __init__(self, source: str, problems: list[FieldProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source}: cannot read the invoice\n{lines}")

    @classmethod
    def single(cls, source: str, field: str, message: str) -> InvoiceInputError:
        return cls(source, [FieldProblem(field, message)])


_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field (check its spelling against docs/invoices.md)",
    "decimal_parsing": "expected a number with a decimal point, e.g. 12.50",
    "date_from_datetime_parsing": "expected a date as YYYY-MM-DD",
    "date_parsing": "expected a date as YYYY-MM-DD",
    "enum": "value not allowed",
    "string_too_short": "must not be empty",
    "string_pattern_mismatch": "wrong format",
}


def field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith(("function-", "model-")) or part in ("str", "bytes"):
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


def text_fields(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) for every string in a JSON-like value, paths as `field_path` writes them."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from text_fields(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from text_fields(item, f"{path}[{index}]")


def from_validation_error(source: str, error: ValidationError, prefix: str = "") -> InvoiceInputError:
    problems = []
    for item in error.errors(include_url=False):
        message = _MESSAGES.get(item["type"], item["msg"])
        if item["type"] == "enum":
            message = f"{message}: {item['msg'].split('Input should be ', 1)[-1]}"
        elif item["type"] not in ("missing", "extra_forbidden"):
            message = f"{message} (got {item.get('input')!r})"
        problems.append(FieldProblem(prefix + field_path(item["loc"]), message))
    return InvoiceInputError(source, problems)
