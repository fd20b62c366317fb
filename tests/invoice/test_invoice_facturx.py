import shutil
from io import BytesIO

import facturx
import pikepdf
import pytest
from invoice_samples import example
from lxml import etree
from pikepdf import Name
from pypdf import PdfReader

from chorus_connect.invoice import OutputFormat, Profile, write_invoice
from chorus_connect.invoice import facturx as facturx_module
from chorus_connect.invoice.cii import write_cii
from chorus_connect.invoice.facturx import (
    FacturxError,
    attachment_names,
    embed_xml,
    extract_xml,
    render_pdf,
    write_facturx,
)


def _catalog(pdf: bytes):
    return PdfReader(BytesIO(pdf)).trailer["/Root"]


def _embedded_font_files(pdf: bytes) -> list[bool]:
    result = []
    for page in PdfReader(BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            holder = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = holder["/FontDescriptor"]
            result.append(any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")))
    return result


def test_rendered_facturx_is_a_pdfa3_with_the_xml_attached():
    invoice = example("goods.json")
    output = write_invoice(invoice, OutputFormat.FACTURX)
    assert output.syntaxe_flux == "IN_DP_E2_CII_FACTURX"
    catalog = _catalog(output.data)
    assert "/OutputIntents" in catalog and "/AF" in catalog
    metadata = catalog["/Metadata"].get_object().get_data().decode()
    assert (
        "<pdfaid:part>3</pdfaid:part>" in metadata
        and "<pdfaid:conformance>B</pdfaid:conformance>" in metadata
    )
    assert "fx:ConformanceLevel" in metadata and "EN 16931" in metadata
    assert _embedded_font_files(output.data) and all(_embedded_font_files(output.data))
    assert attachment_names(output.data) == ["factur-x.xml"]
    assert extract_xml(output.data) == write_cii(invoice, Profile.EN16931)


def test_the_page_shows_the_invoice():
    invoice = example("services.json")
    text = PdfReader(BytesIO(render_pdf(invoice))).pages[0].extract_text()
    for expected in ("FA-2026-0042", "21750001600019", "EJ-2026-001234", "Maintenance des postes"):
        assert expected in text


def test_users_own_pdf_gets_the_xml_embedded():
    own = render_pdf(example("credit-note.json"))
    invoice = example("services.json")
    pdf = write_facturx(invoice, Profile.EN16931, pdf=own)
    assert extract_xml(pdf) == write_cii(invoice)
    assert len(PdfReader(BytesIO(pdf)).pages) == 1


# ------------------------------------------------------------------------------ PDF/A-3 and Factur-X metadata

XMP_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}


def _xmp(document: pikepdf.Pdf) -> etree._Element:
    return etree.fromstring(document.Root.Metadata.read_bytes())


def _xmp_values(root: etree._Element) -> dict[str, str]:
    paths = {
        "title": "//dc:title//rdf:li",
        "creator": "//dc:creator//rdf:li",
        "description": "//dc:description//rdf:li",
        "producer": "//pdf:Producer",
        "keywords": "//pdf:Keywords",
        "creator_tool": "//xmp:CreatorTool",
        "create_date": "//xmp:CreateDate",
        "modify_date": "//xmp:ModifyDate",
        "pdfa_part": "//pdfaid:part",
        "pdfa_conformance": "//pdfaid:conformance",
        "fx_type": "//fx:DocumentType",
        "fx_file": "//fx:DocumentFileName",
        "fx_version": "//fx:Version",
        "fx_level": "//fx:ConformanceLevel",
        "extension_namespace": "//pdfaSchema:namespaceURI",
        "extension_prefix": "//pdfaSchema:prefix",
    }
    values = {}
    for key, path in paths.items():
        found = root.xpath(path, namespaces=XMP_NS)
        values[key] = found[0].text if found else None
    values["extension_properties"] = sorted(
        e.text for e in root.xpath("//pdfaProperty:name", namespaces=XMP_NS)
    )
    return values


def _facturx_reference(page: bytes, xml: bytes) -> bytes:
    """What factur-x writes for the same page and XML (its documented call)."""
    return facturx.generate_from_binary(page, xml, flavor="factur-x", level="en16931", check_xsd=False)


def test_embedding_writes_what_factur_x_writes():
    invoice = example("goods.json")
    page, xml = render_pdf(invoice), write_cii(invoice)
    with (
        pikepdf.open(BytesIO(embed_xml(page, xml, Profile.EN16931, invoice))) as ours,
        pikepdf.open(BytesIO(_facturx_reference(page, xml))) as reference,
    ):
        mine, theirs = _xmp_values(_xmp(ours)), _xmp_values(_xmp(reference))
        same = ("pdfa_part", "pdfa_conformance", "fx_type", "fx_file", "fx_version", "fx_level")
        assert {k: mine[k] for k in same} == {k: theirs[k] for k in same}
        for key in ("extension_namespace", "extension_prefix", "extension_properties"):
            assert mine[key] == theirs[key]
        (spec,), (reference_spec,) = list(ours.Root.AF), list(reference.Root.AF)
        assert set(spec.keys()) == set(reference_spec.keys())
        assert (spec.AFRelationship, str(spec.F), str(spec.UF)) == (Name.Data, "factur-x.xml", "factur-x.xml")
        assert set(spec.EF.keys()) == set(reference_spec.EF.keys()) == {"/F", "/UF"}
        stream, reference_stream = spec.EF.F, reference_spec.EF.F
        assert stream.Subtype == reference_stream.Subtype == Name("/text/xml")
        assert set(stream.Params.keys()) >= set(reference_stream.Params.keys())
        assert bytes(stream.Params.CheckSum) == bytes(reference_stream.Params.CheckSum)
        assert stream.read_bytes() == reference_stream.read_bytes() == xml
        assert ours.Root.PageMode == reference.Root.PageMode == Name.UseAttachments
        assert ours.Root.Names.EmbeddedFiles.Names[0] == "factur-x.xml"


def test_info_dictionary_and_xmp_agree_as_pdfa_requires():
    invoice = example("services.json")
    with pikepdf.open(BytesIO(write_facturx(invoice))) as document:
        info, xmp = document.trailer.Info, _xmp_values(_xmp(document))
        assert str(info.Title) == xmp["title"] and "FA-2026-0042" in xmp["title"]
        assert str(info.Author) == xmp["creator"] == invoice.seller.name
        assert str(info.Subject) == xmp["description"]
        assert str(info.Keywords) == xmp["keywords"]  # factur-x leaves pdf:Keywords out
        assert str(info.Creator) == xmp["creator_tool"] and str(info.Producer) == xmp["producer"]
        assert str(info.CreationDate).startswith("D:20261120") and xmp["create_date"].startswith("2026-11-20")
        assert "/Filter" not in document.Root.Metadata  # PDF/A: the XMP packet stays readable
        for description in _xmp(document).iter(f"{{{XMP_NS['rdf']}}}Description"):
            assert description.get(f"{{{XMP_NS['rdf']}}}about") == ""


def test_rendered_page_gets_an_incremental_update_that_every_reader_accepts():
    invoice = example("goods.json")
    page = render_pdf(invoice)
    pdf = embed_xml(page, write_cii(invoice), Profile.EN16931, invoice)
    assert pdf.startswith(page) and pdf.count(b"%%EOF") == 2  # the page's bytes are untouched
    with pikepdf.open(BytesIO(pdf)) as document:
        assert document.check_pdf_syntax() == []
        assert document.trailer.ID[0] == pikepdf.open(BytesIO(page)).trailer.ID[0]
        assert document.open_metadata(set_pikepdf_as_editor=False).pdfa_status == "3B"
    reader = PdfReader(BytesIO(pdf))
    assert list(reader.attachments) == ["factur-x.xml"]
    assert reader.attachments["factur-x.xml"][0] == write_cii(invoice)
    assert extract_xml(pdf) == write_cii(invoice)


def test_users_own_pdf_keeps_its_attachments_and_gets_a_single_invoice_xml():
    own = pikepdf.new()
    own.add_blank_page()
    own.attachments["bon-de-livraison.txt"] = pikepdf.AttachedFileSpec(own, b"BL 42", mime_type="text/plain")
    buffer = BytesIO()
    own.save(buffer)
    first = write_facturx(example("credit-note.json"), pdf=buffer.getvalue())
    pdf = write_facturx(example("services.json"), pdf=first)  # embedding again replaces factur-x.xml
    with pikepdf.open(BytesIO(pdf)) as document:
        assert sorted(document.attachments) == ["bon-de-livraison.txt", "factur-x.xml"]
        assert [str(spec.UF) for spec in document.Root.AF].count("factur-x.xml") == 1
        assert document.check_pdf_syntax() == []
    assert extract_xml(pdf) == write_cii(example("services.json"))


def test_each_rendered_page_shows_its_own_invoice():
    # The data file is rewritten in place for each page: Typst must read the new one every time.
    first, second = example("services.json"), example("goods.json")
    for invoice in (first, second, first, second):
        text = PdfReader(BytesIO(render_pdf(invoice))).pages[0].extract_text()
        assert invoice.number in text and invoice.buyer.name in text


def test_a_file_that_is_not_a_pdf_is_refused_with_a_clear_error():
    invoice = example("services.json")
    with pytest.raises(FacturxError, match="not a PDF"):
        embed_xml(b"hello", write_cii(invoice), Profile.EN16931, invoice)
    with pytest.raises(FacturxError, match="cannot embed"):
        embed_xml(b"%PDF-1.7 broken", write_cii(invoice), Profile.EN16931, invoice)


def test_rendering_survives_a_cleaned_temporary_directory():
    invoice = example("services.json")
    render_pdf(invoice)
    shutil.rmtree(facturx_module._page_renderer().directory)  # as a tmp cleaner would, in a long run
    assert invoice.number in PdfReader(BytesIO(render_pdf(invoice))).pages[0].extract_text()
