import json
from pathlib import Path

from chorus_connect.invoice import Invoice

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
JSON_EXAMPLES = sorted(p.name for p in EXAMPLES.glob("*.json"))


def example_data(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def example(name: str) -> Invoice:
    return Invoice.model_validate(example_data(name))
