"""The supporting document the demo sends when the buyer suspends an invoice: a one-page PDF named after
the missing piece the buyer's motif asks for."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# What the simulated buyers ask for (lifecycle.SUSPENSION_MOTIFS), and the file the supplier answers with.
_PIECES = (
    ("bon de livraison", "Bon de livraison", "bon-de-livraison.pdf"),
    ("proces-verbal de reception", "Procès-verbal de réception", "pv-de-reception.pdf"),
    ("attestation de service fait", "Attestation de service fait", "attestation-service-fait.pdf"),
)


@dataclass(frozen=True)
class SupportingDocument:
    title: str
    file_name: str
    content: bytes


def supporting_document(motif: str | None, invoice_number: str, supplier_name: str) -> SupportingDocument:
    """The piece the motif names (else a generic supporting document), as a small PDF."""
    plain = _ascii(motif or "").lower()
    title, file_name = "Pièce justificative", "piece-justificative.pdf"
    for words, piece_title, piece_file in _PIECES:
        if words in plain:
            title, file_name = piece_title, piece_file
            break
    lines = [
        f"Facture {invoice_number}",
        f"Fournisseur : {supplier_name}",
        "Document signé par les deux parties.",
    ]
    return SupportingDocument(title, file_name, one_page_pdf(title, lines))


def one_page_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A valid one-page PDF 1.4 with a title and a few lines of text (Helvetica, WinAnsi)."""
    text = ["BT", "/F1 16 Tf", "72 770 Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        text += ["0 -22 Td", f"({_pdf_text(line)}) Tj"]
    text.append("ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_text(value: str) -> str:
    # WinAnsi covers French accents; anything else becomes '?'. Parentheses and backslashes are escaped.
    encoded = value.encode("cp1252", errors="replace").decode("latin-1")
    return re.sub(r"([()\\])", r"\\\1", encoded)


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
