"""Factur-X PDF/A-3: render a readable page with Typst (or take the user's PDF), embed the CII.

Typst compiles the shipped template (`templates/invoice.typ`) to PDF/A-3b: fonts embedded (Typst's own
bundled fonts, system fonts ignored so the output is the same on every machine), sRGB output intent, XMP.
`pdfa.embed_facturx` then attaches `factur-x.xml` (AFRelationship=Data) and writes the Factur-X XMP, as
factur-x's `generate_from_file` does (pikepdf instead of pypdf: ~1 ms instead of ~5–20). That step does
not make a PDF/A by itself (facturx-stack.md §6.4): a user's own PDF keeps whatever conformance it had,
which `chorus check` cannot verify (no veraPDF here).

Speed (bench/bench_invoice_pipeline.py): one Typst compiler per process, compiling the template from a
private directory where each invoice's data is written to `invoice.json`. Typst then re-reads only that
file; passing the data through `sys_inputs` rebuilds Typst's whole standard library on each compile
(~1.5 ms more per page), and a compiler given the template as bytes cannot reuse its caches at all.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import shutil
import tempfile
import threading
from decimal import Decimal
from importlib import resources
from io import BytesIO
from pathlib import Path

import facturx
import pikepdf
import typst

from chorus_connect.invoice.cii import write_cii
from chorus_connect.invoice.enums import BillingFrame, Profile
from chorus_connect.invoice.errors import text_fields
from chorus_connect.invoice.model import Invoice, Party
from chorus_connect.invoice.pdfa import DocumentInfo, PdfEmbedError, embed_facturx

TEMPLATE = "invoice.typ"
DATA_FILE = "invoice.json"  # what the template reads, next to it

# factur-x logs every step at INFO/WARNING when reading a PDF: keep ours quiet.
logging.getLogger("factur-x").setLevel(logging.ERROR)


class FacturxError(ValueError):
    """A PDF that cannot be turned into, or read as, a Factur-X invoice."""


class PageRenderError(FacturxError):
    """The readable page cannot be rendered (e.g. a character no bundled font can draw)."""


def timestamp(invoice: Invoice) -> dt.datetime:
    """The PDF's creation date: the invoice's issue date (reproducible output, unlike the clock)."""
    return dt.datetime.combine(invoice.issue_date, dt.time(), tzinfo=dt.UTC)


class _PageRenderer:
    """A Typst compiler over a private directory holding the template and the current invoice's data."""

    def __init__(self, template: bytes) -> None:
        self.pid = os.getpid()
        self.directory = Path(tempfile.mkdtemp(prefix="chorus-connect-typst-"))
        atexit.register(self._remove_directory, self.pid)
        self.template_path = self.directory / TEMPLATE
        self.template_path.write_bytes(template)
        # Kept open and rewritten in place: re-creating the file costs ~0.2 ms on a disk-backed /tmp.
        self.data_file = (self.directory / DATA_FILE).open("w+b")
        self.compiler = typst.Compiler(
            str(self.template_path), root=str(self.directory), ignore_system_fonts=True
        )
        self.lock = threading.Lock()  # one data file, one compiler: one page at a time

    def render(self, data: str, created: dt.datetime) -> bytes:
        with self.lock:
            self.data_file.seek(0)
            self.data_file.write(data.encode("utf-8"))
            self.data_file.truncate()
            self.data_file.flush()
            pdf = self.compiler.compile(
                format="pdf",
                pdf_standards="a-3b",
                # Tagged PDF (PDF/UA) is not required by PDF/A-3b and triples the objects to rewrite.
                pdf_tags=False,
                timestamp=created,
            )
        assert isinstance(pdf, bytes)
        return pdf

    def _remove_directory(self, owner: int) -> None:
        if os.getpid() == owner:  # a forked child must not remove its parent's directory
            self.data_file.close()
            shutil.rmtree(self.directory, ignore_errors=True)


_renderer: _PageRenderer | None = None


def _page_renderer() -> _PageRenderer:
    global _renderer
    # A new one after a fork, or when a temporary-files cleaner removed the directory of a long-running
    # process.
    if _renderer is None or _renderer.pid != os.getpid() or not _renderer.template_path.exists():
        template = resources.files("chorus_connect.invoice").joinpath("templates", TEMPLATE).read_bytes()
        _renderer = _PageRenderer(template)
    return _renderer


def render_pdf(invoice: Invoice) -> bytes:
    """The readable invoice as a PDF/A-3b page (no XML attached yet)."""
    data = json.dumps(display_data(invoice), ensure_ascii=False)
    try:
        return _page_renderer().render(data, timestamp(invoice))
    except typst.TypstError as exc:
        # PDF/A forbids a character without a glyph: `unprintable_characters` says which (CPRO-FX-04).
        raise PageRenderError(f"the invoice page cannot be rendered ({exc})") from exc


# ---------------------------------------------------------------------------------------- glyph coverage
#
# PDF/A requires every character to be drawn with an embedded glyph: Typst refuses to write a page with a
# character that none of its bundled fonts has (CJK, Thai, emoji…). That is known before rendering by
# asking Typst itself, with the template's text settings, about each character once per process: the
# answer is exactly the renderer's, whatever fonts a future Typst bundles.

_FONT_SETTINGS = '#set text(font: "Libertinus Serif", lang: "fr")\n'  # as in templates/invoice.typ
_printable: dict[str, bool] = {}
_printable_lock = threading.Lock()


def unprintable_characters(texts: list[str]) -> list[str]:
    """The characters of `texts` that the rendered page cannot draw, in order of first appearance."""
    unknown = sorted({char for text in texts for char in text if ord(char) > 0x7E} - _printable.keys())
    if unknown:
        with _printable_lock:
            if _probe(unknown):  # the usual case: all of them in one compilation
                _printable.update(dict.fromkeys(unknown, True))
            else:
                _printable.update({char: _probe([char]) for char in unknown})
    seen: dict[str, None] = {}
    for text in texts:
        for char in text:
            if ord(char) > 0x7E and not _printable[char]:
                seen.setdefault(char)
    return list(seen)


def _probe(chars: list[str]) -> bool:
    escaped = "".join(f"\\u{{{ord(char):x}}}" for char in chars)
    source = f'{_FONT_SETTINGS}#"{escaped}"'.encode()
    try:
        typst.compile(source, format="pdf", pdf_standards="a-3b", ignore_system_fonts=True)
    except typst.TypstError:
        return False
    return True


def display_texts(invoice: Invoice) -> list[str]:
    """Every text the rendered page prints (the display data's strings)."""
    return [text for _, text in text_fields(display_data(invoice))]


def embed_xml(pdf: bytes, xml: bytes, profile: Profile, invoice: Invoice) -> bytes:
    """Attach the CII to the PDF as a Factur-X document (the XML has already been checked by the caller)."""
    if not pdf.startswith(b"%PDF"):
        raise FacturxError("the PDF to embed the invoice into is not a PDF file")
    info = DocumentInfo(
        title=f"{invoice.seller.name}: {_kind(invoice)} {invoice.number}",
        author=invoice.seller.name,
        subject=f"Factur-X {_kind(invoice).lower()} {invoice.number} du {invoice.issue_date.isoformat()}",
    )
    try:
        return embed_facturx(pdf, xml, profile, info, timestamp(invoice))
    except PdfEmbedError as exc:
        raise FacturxError(f"cannot embed the XML into the PDF: {exc}") from exc


def write_facturx(invoice: Invoice, profile: Profile = Profile.EN16931, pdf: bytes | None = None) -> bytes:
    """The invoice as a Factur-X PDF: the given PDF, or the rendered page, with the CII embedded."""
    xml = write_cii(invoice, profile)
    return embed_xml(pdf if pdf is not None else render_pdf(invoice), xml, profile, invoice)


def extract_xml(pdf: bytes, source: str = "PDF") -> bytes:
    """The Factur-X / ZUGFeRD XML embedded in a PDF."""
    try:
        _filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    except Exception as exc:
        raise FacturxError(f"{source}: not a readable PDF ({exc})") from exc
    if not xml:
        raise FacturxError(f"{source}: the PDF carries no Factur-X XML (factur-x.xml attachment)")
    return xml


def attachment_names(pdf: bytes) -> list[str]:
    with pikepdf.open(BytesIO(pdf)) as document:
        return list(document.attachments)


# --------------------------------------------------------------------------------------------- display


def _kind(invoice: Invoice) -> str:
    return "Avoir" if invoice.is_credit_note else "Facture"


def money(value: Decimal | None, currency: str = "EUR") -> str:
    """French formatting: 1 234,56 €."""
    if value is None:
        return ""
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} €" if currency == "EUR" else f"{text} {currency}"


def number(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def _party_lines(party: Party) -> list[str]:
    address = party.address
    lines = [value for value in (address.line1, address.line2, address.line3) if value]
    city = " ".join(value for value in (address.postcode, address.city) if value)
    lines.extend(
        value for value in (city, address.country_code if address.country_code != "FR" else "") if value
    )
    if party.siret:
        lines.append(f"SIRET {party.siret}")
    if party.vat_id:
        lines.append(f"TVA {party.vat_id}")
    return lines


def display_data(invoice: Invoice) -> dict:
    currency = invoice.currency
    references = [
        (label, value)
        for label, value in (
            ("Cadre de facturation", _frame_label(invoice)),
            ("Code service", invoice.service_code),
            ("Engagement juridique", invoice.engagement_number),
            ("Marché", invoice.market_number),
            ("Échéance", invoice.due_date.strftime("%d/%m/%Y") if invoice.due_date else None),
            ("Période", _period(invoice.invoicing_period_start, invoice.invoicing_period_end)),
            *(("Facture d'origine", p.number) for p in invoice.preceding_invoices),
        )
        if value
    ]
    return {
        "title": f"{_kind(invoice)} {invoice.number}",
        "kind": _kind(invoice),
        "number": invoice.number,
        "issue_date": invoice.issue_date.strftime("%d/%m/%Y"),
        "seller": {"name": invoice.seller.name, "lines": _party_lines(invoice.seller)},
        "buyer": {"name": invoice.buyer.name, "lines": _party_lines(invoice.buyer)},
        "references": references,
        "lines": [
            {
                "id": line.id,
                "name": line.name,
                "detail": line.description or "",
                "quantity": number(line.quantity),
                "unit": line.unit_code,
                "price": money(line.net_price, currency),
                "vat": f"{number(line.vat_rate)} %" if line.vat_rate is not None else line.vat_category.value,
                "total": money(line.net_amount, currency),
            }
            for line in invoice.lines
        ],
        "vat": [
            {
                "label": f"{entry.category.value} {number(entry.rate)} %"
                if entry.rate is not None
                else entry.category.value,
                "base": money(entry.taxable_amount, currency),
                "amount": money(entry.tax_amount, currency),
            }
            for entry in invoice.vat_breakdown
        ],
        "exemptions": [
            f"{entry.category.value} : {entry.exemption_reason or entry.exemption_reason_code}"
            for entry in invoice.vat_breakdown
            if entry.exemption_reason or entry.exemption_reason_code
        ],
        "totals": _totals(invoice),
        "payment": _payment(invoice),
        "notes": [note.text for note in invoice.notes]
        + ([invoice.payment_terms] if invoice.payment_terms else []),
        # The same on every invoice of a supplier: Typst reuses the page layout (see the template).
        "supplier_footer": " · ".join(
            value
            for value in (invoice.seller.name, invoice.seller.legal_info, "Facture électronique Factur-X")
            if value
        ),
    }


def _frame_label(invoice: Invoice) -> str:
    frame = invoice.billing_frame
    return frame.api_code if isinstance(frame, BillingFrame) else str(frame)


def _period(start: dt.date | None, end: dt.date | None) -> str | None:
    if not start and not end:
        return None
    return " – ".join(d.strftime("%d/%m/%Y") for d in (start, end) if d)


def _totals(invoice: Invoice) -> list[tuple[str, str]]:
    totals, currency = invoice.totals, invoice.currency
    rows = [("Total HT des lignes", totals.line_total)]
    if totals.allowance_total:
        rows.append(("Remises", totals.allowance_total))
    if totals.charge_total:
        rows.append(("Frais", totals.charge_total))
    rows += [
        ("Total HT", totals.tax_exclusive),
        ("TVA", totals.tax_total),
        ("Total TTC", totals.tax_inclusive),
    ]
    if totals.prepaid:
        rows.append(("Déjà payé", totals.prepaid))
    rows.append(("Net à payer", totals.payable))
    return [(label, money(value, currency)) for label, value in rows]


def _payment(invoice: Invoice) -> list[str]:
    means = invoice.payment_means
    if means is None:
        return []
    lines = [f"Règlement : {means.chorus_mode.value.lower()} (code {means.code.value})"]
    if means.iban:
        lines.append(f"IBAN {means.iban}" + (f" – BIC {means.bic}" if means.bic else ""))
    return lines
