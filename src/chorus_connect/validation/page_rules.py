"""Rule on the readable page chorus-connect renders for a Factur-X (layer `file`):

- CPRO-FX-04: a text of the invoice holds a character that none of the renderer's embedded fonts can draw
  (Chinese, emoji…). PDF/A requires every character to have its glyph embedded, so the page cannot be
  written: found before rendering, so that the invoice is held back at check time rather than failing
  when it is queued.

It applies when the project renders the page (Factur-X from JSON, CSV or another format), not to a
user's own PDF, which is deposited as it is.
"""

from __future__ import annotations

from chorus_connect.invoice.errors import text_fields
from chorus_connect.invoice.facturx import display_texts, unprintable_characters
from chorus_connect.invoice.model import Invoice
from chorus_connect.validation.findings import Finding, Layer, Severity

RULE_ID = "CPRO-FX-04"


def page_findings(invoice: Invoice) -> list[Finding]:
    characters = unprintable_characters(display_texts(invoice))
    if not characters:
        return []
    fields = list(text_fields(invoice.model_dump(mode="json", exclude_none=True)))
    return [_finding(char, _field_holding(fields, char)) for char in characters]


def _finding(char: str, path: str) -> Finding:
    return Finding(
        RULE_ID,
        path,
        f"Le caractère « {char} » (U+{ord(char):04X}) ne peut pas figurer sur la page PDF/A de la facture : "
        "aucune police embarquée ne le contient. Remplacez-le (caractères latins), ou déposez la facture "
        "avec votre propre PDF ou au format CII ou UBL.",
        Severity.ERROR,
        Layer.FILE,
    )


def _field_holding(fields: list[tuple[str, str]], char: str) -> str:
    """The path of the first field whose text holds `char` (`lines[0].name`), or `invoice` when only the
    page's own wording has it."""
    return next((path for path, text in fields if char in text), "invoice")
