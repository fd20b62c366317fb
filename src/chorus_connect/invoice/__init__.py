"""The EN 16931 invoice model with Chorus Pro data, and its formats (Factur-X, CII, UBL, JSON, CSV)."""

from chorus_connect.invoice.enums import BillingFrame, DocumentType, OutputFormat, Profile, VatCategory
from chorus_connect.invoice.errors import InvoiceInputError
from chorus_connect.invoice.io import LoadedInvoice, Output, load_documents, load_invoice, write_invoice
from chorus_connect.invoice.model import Invoice

__all__ = [
    "BillingFrame",
    "DocumentType",
    "Invoice",
    "InvoiceInputError",
    "LoadedInvoice",
    "Output",
    "OutputFormat",
    "Profile",
    "VatCategory",
    "load_documents",
    "load_invoice",
    "write_invoice",
]
