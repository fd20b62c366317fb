"""The published JSON Schema of the invoice JSON format, generated from the model."""

from __future__ import annotations

import json
from pathlib import Path

from chorus_connect.invoice.model import Invoice

SCHEMA_ID = "https://chorus-connect.example/invoice.schema.json"


def invoice_json_schema() -> dict:
    schema = Invoice.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    return json.dumps(invoice_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schema(path: Path) -> None:
    """Regenerate the schema: `python -m chorus_connect.invoice.schema docs/invoice.schema.json`."""
    path.write_text(schema_text(), encoding="utf-8")


if __name__ == "__main__":
    import sys

    write_schema(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/invoice.schema.json"))
