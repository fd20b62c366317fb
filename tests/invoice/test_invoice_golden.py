"""Golden files: the exact XML written per format and profile. Regenerate with UPDATE_GOLDEN=1 after a
deliberate change, and review the diff."""

import os
from pathlib import Path

import pytest
from invoice_samples import example
from lxml import etree

from chorus_connect.invoice import Profile
from chorus_connect.invoice.cii import write_cii
from chorus_connect.invoice.ubl import write_ubl
from chorus_connect.validation import xsd

GOLDEN = Path(__file__).parent / "golden"
CASES = [(f"services-cii-{p.level}.xml", "services.json", p) for p in Profile] + [
    ("goods-cii-en16931.xml", "goods.json", Profile.EN16931),
    ("credit-note-cii-en16931.xml", "credit-note.json", Profile.EN16931),
    ("services-ubl.xml", "services.json", None),
    ("credit-note-ubl.xml", "credit-note.json", None),
    ("works-situation-ubl.xml", "works-situation.json", None),
]


def _pretty(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml), pretty_print=True, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize(("golden", "name", "profile"), CASES, ids=[c[0] for c in CASES])
def test_written_xml_matches_the_golden_file(golden, name, profile):
    invoice = example(name)
    xml = write_ubl(invoice) if profile is None else write_cii(invoice, profile)
    schema = xsd.ubl_schema(invoice.is_credit_note) if profile is None else xsd.cii_schema(profile)
    assert xsd.check_tree(etree.fromstring(xml), schema) == []
    path = GOLDEN / golden
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(_pretty(xml))
    assert _pretty(xml).decode() == path.read_text(encoding="utf-8")
