"""What a check reports: a finding (rule id, field path, French message saying what to fix, severity)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # Chorus Pro would reject the invoice (or the file is not a valid invoice)
    WARNING = "warning"  # accepted, but likely to be sent back by the recipient or rejected under the reform
    INFO = "info"


class Layer(StrEnum):
    INPUT = "input"  # the file could not be read as an invoice
    XSD = "xsd"
    EN16931 = "en16931"  # CEN business rules (BR-*, CII-SR-*, UBL-*)
    FACTURX = "facturx"  # Factur-X profile rules (FX-SCH-*)
    ARITHMETIC = "arithmetic"  # totals and VAT breakdown recomputed by the model
    CHORUS = "chorus"  # Chorus Pro rules that no schematron carries
    RECIPIENT = "recipient"  # the recipient's settings in the Chorus Pro directory
    FILE = "file"  # the deposited file itself: size, syntaxeFlux and name, Factur-X container


@dataclass(frozen=True)
class Finding:
    rule_id: str
    path: str
    message: str
    severity: Severity = Severity.ERROR
    layer: Layer = Layer.CHORUS
    detail: str | None = None  # the original (English) schematron or XSD text, when there is one
    location: str | None = None  # the XML element at fault (XPath), for XML-level findings

    def as_dict(self) -> dict[str, str | None]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        data["layer"] = str(self.layer)
        return data


@dataclass
class Report:
    """The findings for one invoice, and which layers were actually run."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    layers_run: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def extend(self, layer: str, findings: list[Finding]) -> None:
        self.layers_run.append(layer)
        self.findings.extend(findings)

    def rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings}

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "layers_run": self.layers_run,
            "findings": [f.as_dict() for f in self.findings],
        }
