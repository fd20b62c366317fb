"""One entry point to read invoices (JSON, CSV, Factur-X PDF, CII, UBL) and one to write them.

`load_documents(path)` detects the format from the content (and `.csv` from the name) and keeps, for
XML and PDF inputs, the original bytes: the checks then validate exactly what would be deposited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from chorus_connect.invoice import cii, csvformat, facturx, ubl
from chorus_connect.invoice.enums import OutputFormat, Profile
from chorus_connect.invoice.errors import InvoiceInputError, from_validation_error
from chorus_connect.invoice.model import Invoice
from chorus_connect.invoice.xmlutil import XmlReadError, parse_xml


class SourceFormat:
    JSON = "json"
    CSV = "csv"
    FACTURX = "facturx"
    CII = "cii"
    UBL = "ubl"


@dataclass(frozen=True)
class LoadedInvoice:
    """An invoice as read, with the XML it came in (for CII, UBL and Factur-X inputs)."""

    invoice: Invoice
    source: str
    source_format: str
    xml: bytes | None = None
    profile: Profile | None = None  # for CII / Factur-X inputs
    pdf: bytes | None = None

    @property
    def output_format(self) -> OutputFormat | None:
        """The deposit format the original file already is, if any."""
        return {
            SourceFormat.FACTURX: OutputFormat.FACTURX,
            SourceFormat.CII: OutputFormat.CII,
            SourceFormat.UBL: OutputFormat.UBL,
        }.get(self.source_format)


@dataclass(frozen=True)
class Output:
    """A written invoice and how Chorus Pro must be told what it is."""

    data: bytes
    format: OutputFormat
    profile: Profile | None

    @property
    def syntaxe_flux(self) -> str:
        return self.format.syntaxe_flux


def load_invoice(path: str | Path) -> Invoice:
    """The single invoice in a file; `InvoiceInputError` (file, field, what to fix) on bad input."""
    documents = load_documents(path)
    if len(documents) != 1:
        raise InvoiceInputError.single(
            str(path), "", f"the file holds {len(documents)} invoices, expected one"
        )
    return documents[0].invoice


def load_documents(path: str | Path) -> list[LoadedInvoice]:
    path = Path(path)
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvoiceInputError.single(source, "", f"cannot read the file ({exc.strerror})") from exc
    return parse_documents(data, source, is_csv=path.suffix.lower() == ".csv")


def parse_documents(data: bytes, source: str, is_csv: bool = False) -> list[LoadedInvoice]:
    head = data.lstrip()[:10]
    if head.startswith(b"%PDF"):
        return [_from_pdf(data, source)]
    if head.startswith(b"<"):
        return [_from_xml(data, source)]
    text = _decode(data, source)
    if is_csv:
        return [
            LoadedInvoice(inv, source, SourceFormat.CSV) for inv in csvformat.read_csv_invoices(text, source)
        ]
    if head.startswith((b"{", b"[")):
        return [LoadedInvoice(inv, source, SourceFormat.JSON) for inv in _from_json(text, source)]
    raise InvoiceInputError.single(
        source, "", "unknown format: expected JSON, CSV (.csv), a Factur-X PDF, CII or UBL XML"
    )


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")  # spreadsheets saved by Excel on Windows
        except UnicodeDecodeError as exc:
            raise InvoiceInputError.single(
                source, "", "the file is neither UTF-8 nor Windows-1252 text"
            ) from exc


def _from_json(text: str, source: str) -> list[Invoice]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvoiceInputError.single(
            source, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from exc
    items = payload if isinstance(payload, list) else [payload]
    invoices = []
    for index, item in enumerate(items):
        prefix = f"[{index}]." if isinstance(payload, list) else ""
        try:
            invoices.append(Invoice.model_validate(item))
        except ValidationError as exc:
            raise from_validation_error(source, exc, prefix) from exc
    return invoices


def _from_xml(data: bytes, source: str, pdf: bytes | None = None) -> LoadedInvoice:
    try:
        root = parse_xml(data, source)
        if ubl.is_ubl(root):
            return LoadedInvoice(
                Invoice.model_validate(ubl.ubl_to_dict(root)), source, SourceFormat.UBL, xml=data
            )
        invoice = Invoice.model_validate(cii.cii_to_dict(root))
        profile = cii.profile_of(root)
    except XmlReadError as exc:
        raise InvoiceInputError.single(source, exc.path, exc.message) from exc
    except ValidationError as exc:
        raise from_validation_error(source, exc) from exc
    except ValueError as exc:  # unknown guideline identifier
        raise InvoiceInputError.single(
            source, "GuidelineSpecifiedDocumentContextParameter", str(exc)
        ) from exc
    kind = SourceFormat.FACTURX if pdf is not None else SourceFormat.CII
    return LoadedInvoice(invoice, source, kind, xml=data, profile=profile, pdf=pdf)


def _from_pdf(data: bytes, source: str) -> LoadedInvoice:
    try:
        xml = facturx.extract_xml(data, source)
    except facturx.FacturxError as exc:
        raise InvoiceInputError.single(source, "factur-x.xml", str(exc)) from exc
    return _from_xml(xml, f"{source} (factur-x.xml)", pdf=data)


def write_invoice(
    invoice: Invoice, to: OutputFormat, profile: Profile = Profile.EN16931, pdf: bytes | None = None
) -> Output:
    """The invoice in a deposit format; `pdf` is the user's own PDF for Factur-X (else one is rendered)."""
    if to is OutputFormat.UBL:
        return Output(ubl.write_ubl(invoice), to, None)
    if to is OutputFormat.CII:
        return Output(cii.write_cii(invoice, profile), to, profile)
    return Output(facturx.write_facturx(invoice, profile, pdf), to, profile)
