"""CSV input for spreadsheet users: one row per invoice line, the invoice's own columns repeated on each row.

Columns are the JSON field paths with dots (`number`, `seller.siret`, `buyer.address.city`,
`payment_means.mode`, …); line columns start with `line.` (`line.name`, `line.quantity`, `line.net_price`,
`line.vat_rate`, `line.allowance_amount`, `line.allowance_reason`, `line.vat_exemption_reason`, …).
Rows with the same `number` form one invoice. `;` or `,` separators; French decimal commas (`12,50`) and
dates as `DD/MM/YYYY` are accepted. See docs/invoices.md.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from pydantic import ValidationError

from chorus_connect.invoice.errors import FieldProblem, InvoiceInputError, from_validation_error
from chorus_connect.invoice.model import Invoice

LINE_PREFIX = "line."
_FRENCH_DECIMAL = re.compile(r"^-?\d[\d\u202f\u00a0 ]*,\d+$")
_FRENCH_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_LINE_ALLOWANCE = ("allowance_", "charge_")
_LINE_EXEMPTION = ("vat_exemption_reason", "vat_exemption_reason_code")


def read_csv_invoices(text: str, source: str) -> list[Invoice]:
    rows = _rows(text, source)
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for row_number, row in rows:
        number = row.get("number", "")
        if not number:
            raise InvoiceInputError.single(
                source, f"row {row_number}: number", "every row needs the invoice number"
            )
        groups.setdefault(number, []).append((row_number, row))
    return [_invoice(group, source) for group in groups.values()]


def _rows(text: str, source: str) -> list[tuple[int, dict[str, str]]]:
    if text.startswith("\ufeff"):
        text = text[1:]
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or "number" not in reader.fieldnames:
        raise InvoiceInputError.single(
            source, "header", "the first row must name the columns, including 'number'"
        )
    rows = []
    for index, row in enumerate(reader, start=2):
        if None in row:
            raise InvoiceInputError.single(source, f"row {index}", "more cells than columns in the header")
        cleaned = {key.strip(): (value or "").strip() for key, value in row.items()}
        if any(cleaned.values()):
            rows.append((index, cleaned))
    if not rows:
        raise InvoiceInputError.single(source, "rows", "no invoice line found under the header")
    return rows


def _value(text: str) -> str:
    if _FRENCH_DECIMAL.match(text):
        return re.sub(r"[\u202f\u00a0 ]", "", text).replace(",", ".")
    date = _FRENCH_DATE.match(text)
    if date:
        return f"{date.group(3)}-{date.group(2)}-{date.group(1)}"
    return text


def _set(target: dict[str, Any], dotted: str, value: str) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _invoice(group: list[tuple[int, dict[str, str]]], source: str) -> Invoice:
    header: dict[str, str] = {}
    problems: list[FieldProblem] = []
    lines: list[dict[str, Any]] = []
    exemptions: dict[str, dict[str, str]] = {}
    for row_number, row in group:
        line: dict[str, Any] = {}
        for column, raw in row.items():
            if not raw:
                continue
            value = _value(raw)
            if column.startswith(LINE_PREFIX):
                _line_cell(line, column[len(LINE_PREFIX) :], value, exemptions)
            elif column in header and header[column] != value:
                problems.append(
                    FieldProblem(
                        f"row {row_number}: {column}",
                        f"differs from the invoice's first row ({header[column]!r})",
                    )
                )
            else:
                header[column] = value
        line.setdefault("id", str(len(lines) + 1))
        lines.append(line)
    if problems:
        raise InvoiceInputError(source, problems)
    data: dict[str, Any] = {}
    for column, value in header.items():
        _set(data, column, value)
    data["lines"] = lines
    if exemptions:
        data["vat_exemptions"] = [
            {"category": category, **reasons} for category, reasons in exemptions.items()
        ]
    try:
        return Invoice.model_validate(data)
    except ValidationError as exc:
        raise _with_rows(from_validation_error(source, exc), group) from exc


def _line_cell(line: dict[str, Any], name: str, value: str, exemptions: dict[str, dict[str, str]]) -> None:
    if name in _LINE_EXEMPTION:
        category = line.get("vat_category", "E")
        key = "reason" if name == "vat_exemption_reason" else "reason_code"
        exemptions.setdefault(category, {})[key] = value
        return
    for prefix in _LINE_ALLOWANCE:
        if name.startswith(prefix):
            kind = "allowances" if prefix == "allowance_" else "charges"
            items = line.setdefault(kind, [{}])
            items[0][name[len(prefix) :]] = value
            return
    _set(line, name, value)


def _with_rows(error: InvoiceInputError, group: list[tuple[int, dict[str, str]]]) -> InvoiceInputError:
    """Name the spreadsheet row and column instead of the model's `lines[i].field`."""
    problems = []
    for problem in error.problems:
        match = re.match(r"^lines\[(\d+)\]\.?(.*)$", problem.field)
        if match and int(match.group(1)) < len(group):
            row_number = group[int(match.group(1))][0]
            problems.append(FieldProblem(f"row {row_number}: {LINE_PREFIX}{match.group(2)}", problem.message))
        else:
            problems.append(problem)
    return InvoiceInputError(error.source, problems)
