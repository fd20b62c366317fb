"""Rules on the deposited file itself, not on the invoice it carries (layer `file`):

- CPRO-FILE-01: the file is over Chorus Pro's 10 MB (rejection cause #34), measured on the final bytes
  (the PDF with its embedded XML and attachments), before base64;
- CPRO-FILE-02: the declared `syntaxeFlux` or the file name's extension does not match the content: a PDF
  declared as E1 CII, a UBL document declared as CII, a Factur-X PDF named `.xml`… (#36);
- CPRO-FX-02: a PDF without a readable `factur-x.xml` attachment, or whose attachment is not the XML that
  was checked (#37);
- CPRO-FX-03: the PDF does not declare itself a Factur-X PDF/A-3 container: XMP `pdfaid:part` 3,
  `fx:DocumentFileName` factur-x.xml, `fx:ConformanceLevel` of the XML's profile, the catalog's
  associated files `/AF` (#37). Full PDF/A conformance (what veraPDF checks) is not verified.

They run on what `write_checked` writes and on the files `check_loaded` / `check_file` read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from lxml import etree

from chorus_connect.invoice.cii import ROOT_TAG as CII_ROOT_TAG
from chorus_connect.invoice.enums import OutputFormat, Profile
from chorus_connect.invoice.pdfa import FACTURX_NAMESPACE, XML_FILENAME, XMP_LEVELS
from chorus_connect.invoice.ubl import CREDIT_NOTE_NS, INVOICE_NS
from chorus_connect.validation.findings import Finding, Layer, Severity

MIB = 1024 * 1024
MAX_FILE_BYTES = 10 * MIB  # cause #34: one deposited file (AIFE; the simulator refuses more at once)
PDFA_ID_NS = "http://www.aiim.org/pdfa/ns/id/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_UBL_ROOTS = (f"{{{INVOICE_NS}}}Invoice", f"{{{CREDIT_NOTE_NS}}}CreditNote")
_KIND_LABELS = {
    OutputFormat.FACTURX: "un PDF Factur-X",
    OutputFormat.CII: "un XML CII",
    OutputFormat.UBL: "un XML UBL",
}


@dataclass(frozen=True)
class DepositedFile:
    """A file as it will be deposited: its bytes, and, when known, its name and declared syntaxeFlux."""

    data: bytes
    file_name: str | None = None
    syntax: str | None = None


def content_format(data: bytes) -> OutputFormat | None:
    """The deposit format the bytes are, from their content: a PDF, or an XML whose root is CII or UBL."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return OutputFormat.FACTURX
    if not head.startswith(b"<"):
        return None
    try:
        _, root = next(etree.iterparse(io.BytesIO(data), events=("start",), resolve_entities=False))
    except (etree.XMLSyntaxError, StopIteration):
        return None
    if root.tag == CII_ROOT_TAG:
        return OutputFormat.CII
    return OutputFormat.UBL if root.tag in _UBL_ROOTS else None


def file_findings(
    file: DepositedFile, profile: Profile | None = None, expected_xml: bytes | None = None
) -> list[Finding]:
    """The file-level findings; `expected_xml`: the XML a written Factur-X PDF must carry, byte for byte."""
    findings = _size(file.data)
    kind = content_format(file.data)
    if kind is not None:
        findings += _declared(kind, file)
    if kind is OutputFormat.FACTURX:
        findings += _facturx_container(file.data, profile, expected_xml)
    return findings


def _finding(rule_id: str, path: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(rule_id, path, message, severity, Layer.FILE)


def _size(data: bytes) -> list[Finding]:
    if len(data) <= MAX_FILE_BYTES:
        return []
    size = len(data) / MIB
    return [
        _finding(
            "CPRO-FILE-01",
            "file",
            f"Le fichier pèse {size:.1f} Mo : Chorus Pro refuse un fichier de plus de 10 Mo (pièces "
            "jointes comprises) : allégez ou retirez des pièces jointes (ajoutez-les après dépôt).",
        )
    ]


def _declared(kind: OutputFormat, file: DepositedFile) -> list[Finding]:
    findings = []
    label = _KIND_LABELS[kind]
    if file.syntax is not None and file.syntax != kind.syntaxe_flux:
        findings.append(
            _finding(
                "CPRO-FILE-02",
                "syntaxe_flux",
                f"Le fichier est {label} : déclarez-le en syntaxeFlux {kind.syntaxe_flux} "
                f"(et non {file.syntax}), sinon Chorus Pro rejette le flux.",
            )
        )
    if file.file_name is not None and not file.file_name.lower().endswith(kind.extension):
        findings.append(
            _finding(
                "CPRO-FILE-02",
                "file_name",
                f"Le fichier est {label} : son nom doit finir par {kind.extension} "
                f"({file.file_name!r}), Chorus Pro contrôle l'extension du nomFichier.",
            )
        )
    return findings


# ------------------------------------------------------------------------------------------ Factur-X


def _facturx_container(pdf: bytes, profile: Profile | None, expected_xml: bytes | None) -> list[Finding]:
    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            xml = _facturx_attachment(document)
            if xml is None:
                return [_no_facturx_xml()]
            if expected_xml is not None and xml != expected_xml:
                return [
                    _finding(
                        "CPRO-FX-02",
                        "file",
                        "Le factur-x.xml du PDF n'est pas le XML contrôlé : régénérez le PDF.",
                    )
                ]
            xmp = _xmp(document)
            problem = _container_problem(document, xmp)
            level = _level_problem(xmp, profile or _profile_of(xml)) if problem is None else None
    except pikepdf.PdfError:
        return [_no_facturx_xml("Le PDF est illisible")]
    if problem is not None:
        return [
            _finding(
                "CPRO-FX-03",
                "file",
                f"Le PDF n'est pas un conteneur Factur-X PDF/A-3 ({problem}) : Chorus Pro ne pourra pas "
                "l'intégrer. Régénérez-le avec chorus convert (ou votre outil Factur-X).",
            )
        ]
    if level is not None:
        # Not a recorded rejection (the catalogue names the check, no platform message): a warning.
        return [
            _finding(
                "CPRO-FX-03",
                "profile",
                f"Les métadonnées XMP du PDF annoncent un autre profil que le XML ({level}) : "
                "régénérez le PDF pour qu'ils concordent.",
                Severity.WARNING,
            )
        ]
    return []


def _no_facturx_xml(what: str = "Le PDF ne contient pas de fichier factur-x.xml lisible") -> Finding:
    return _finding(
        "CPRO-FX-02",
        "file",
        f"{what} : Chorus Pro ne peut pas en extraire la facture. Déposez un PDF Factur-X "
        "(chorus convert --to facturx) ou le XML CII / UBL.",
    )


def _facturx_attachment(document: pikepdf.Pdf) -> bytes | None:
    for name, spec in document.attachments.items():
        if name.lower() != XML_FILENAME:
            continue
        data = spec.get_file().read_bytes()
        try:
            etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            return None
        return data
    return None


def _profile_of(xml: bytes) -> Profile | None:
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
        guideline = root.findtext(".//{*}GuidelineSpecifiedDocumentContextParameter/{*}ID")
        return Profile.from_guideline(guideline or "")
    except (etree.XMLSyntaxError, ValueError):
        return None


def _xmp(document: pikepdf.Pdf) -> etree._Element | None:
    metadata = document.Root.get("/Metadata")
    if not isinstance(metadata, pikepdf.Stream):
        return None
    try:
        return etree.fromstring(
            metadata.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError:
        return None


def _container_problem(document: pikepdf.Pdf, xmp: etree._Element | None) -> str | None:
    if xmp is None:
        return "métadonnées XMP absentes ou illisibles"
    part = _xmp_property(xmp, PDFA_ID_NS, "part")
    if part != "3":
        return f"pdfaid:part = {part or 'absent'}, 3 attendu"
    if _xmp_property(xmp, FACTURX_NAMESPACE, "DocumentFileName") != XML_FILENAME:
        return "fx:DocumentFileName factur-x.xml absent des métadonnées XMP"
    if "/AF" not in document.Root:
        return "factur-x.xml n'est pas déclaré en fichier associé (/AF) du document"
    return None


def _level_problem(xmp: etree._Element | None, profile: Profile | None) -> str | None:
    level = _xmp_property(xmp, FACTURX_NAMESPACE, "ConformanceLevel") if xmp is not None else None
    if profile is None or (level or "").upper() == XMP_LEVELS[profile]:
        return None
    return f"fx:ConformanceLevel = {level or 'absent'}, {XMP_LEVELS[profile]} attendu"


def _xmp_property(root: etree._Element, namespace: str, name: str) -> str | None:
    """An XMP property, written as an element or as an attribute of rdf:Description."""
    for element in root.iter(f"{{{namespace}}}{name}"):
        return (element.text or "").strip()
    for description in root.iter(f"{{{RDF_NS}}}Description"):
        value = description.get(f"{{{namespace}}}{name}")
        if value is not None:
            return value.strip()
    return None
