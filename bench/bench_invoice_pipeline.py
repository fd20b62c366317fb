"""Invoices/s on one core: JSON → fully checked Factur-X PDF/A-3, and JSON → checked CII.

Ours (the path of `chorus_connect.validation.write_checked`): pydantic model → lxml CII writer → cached
XSD on the tree just built → Factur-X EN16931 schematron (CEN BR-* rules + Factur-X FX-* rules, official
XSLT adapted in memory, SaxonC, compiled once) → Chorus Pro rules → Typst PDF/A-3b page (a page rendered
proves the page rule CPRO-FX-04, which then runs only on a refusal) → XML and Factur-X XMP appended as an
incremental update (pikepdf reads, serialises the objects). Also measured:
the batch API `write_checked_many` (stage by stage, batches of 50), which `chorus convert --out-dir` uses,
against the baseline run stage by stage over the same blocks (like for like: both get the warm caches).

Baseline, built straight from the libraries as their documentation shows: factur-x `generate_cii_xml`
from its BT-keyed dict, a reportlab canvas page with the same content (`drawString`; note: not a PDF/A —
Helvetica is not embedded and there is no output intent — so the comparison favours the baseline),
`generate_from_binary`, `xml_check_xsd`, and the same official schematron run with saxonche, compiled once
from the wheel's file (it reads its codedb through `document()` on every run).

One process, sequential, pinned to one core, no multiprocessing. Each invoice differs (number, buyer, EJ,
items, quantities), as in a supplier's batch: Typst reuses the layout of what did not change, nothing more.
Rates are wall-clock over the whole run; per-step times are medians. The pipelines alternate in blocks of
50 invoices so that the load of a shared machine hits them alike.

Usage: .venv/bin/python bench/bench_invoice_pipeline.py [N]   (default 300 invoices per pipeline)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import facturx
from lxml import etree
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from chorus_connect.invoice import Invoice, OutputFormat, Profile
from chorus_connect.invoice.cii import build_cii
from chorus_connect.invoice.facturx import embed_xml, render_pdf
from chorus_connect.validation import (
    CheckOptions,
    artefacts,
    schematron,
    write_checked,
    write_checked_many,
    xsd,
)
from chorus_connect.validation.chorus_rules import check_chorus
from chorus_connect.validation.findings import Severity
from chorus_connect.validation.schematron import Schematron, parse_svrl

ROOT = Path(__file__).resolve().parents[1]
SOURCE = json.loads((ROOT / "examples" / "goods.json").read_text(encoding="utf-8"))


TOWNS = (("Angers", "49000"), ("Nantes", "44000"), ("Le Mans", "72000"), ("Laval", "53000"))
ITEMS = (
    ("Ramette papier A4 80 g", "3.90"),
    ("Classeurs à levier", "2.15"),
    ("Cartouches d'encre noire", "18.40"),
    ("Stylos bille (boîte de 50)", "9.90"),
    ("Enveloppes C4", "0.32"),
)


def invoice_json(index: int) -> str:
    """A different invoice each time, as in a supplier's batch: same seller; number, buyer, engagement,
    items and quantities vary (Typst reuses the layout of what did not change, so this matters)."""
    data = json.loads(json.dumps(SOURCE))
    data["number"] = f"FA-{index:08d}"
    data["engagement_number"] = f"EJ-2026-{index:06d}"
    town, postcode = TOWNS[index % len(TOWNS)]
    data["buyer"]["name"] = f"Lycée public n° {index % 97}"
    street = f"{1 + index % 40} rue de l'École"
    data["buyer"]["address"] = {"line1": street, "city": town, "postcode": postcode}
    name, price = ITEMS[index % len(ITEMS)]
    data["lines"][0].update(name=name, net_price=price, quantity=str(10 + index % 90))
    del data["lines"][0]["gross_price"]
    data["lines"][1]["quantity"] = str(1 + index % 45)
    data["lines"][2]["quantity"] = str(1 + index % 13)
    return json.dumps(data)


class Timer:
    def __init__(self) -> None:
        self.steps: dict[str, list[float]] = defaultdict(list)

    def __call__(self, step: str, action: Callable[[], object]) -> object:
        start = time.perf_counter()
        result = action()
        self.steps[step].append((time.perf_counter() - start) * 1000)
        return result


# --------------------------------------------------------------------------------------------- ours

FACTURX_EN16931 = Schematron.FACTURX_EN16931


def ours(payload: str, timer: Timer, with_pdf: bool) -> bytes:
    """The steps of `write_checked`, one by one (the test below checks they give the same bytes)."""
    invoice = timer("parse JSON → model", lambda: Invoice.model_validate_json(payload))
    tree = timer("build CII tree (lxml)", lambda: build_cii(invoice, Profile.EN16931))
    xml = timer("serialise CII", lambda: etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    schema = xsd.cii_schema(Profile.EN16931)
    assert timer("XSD (cached, on the tree)", lambda: xsd.check_tree(tree, schema)) == []
    findings = timer("schematron FX+CEN EN16931", lambda: schematron.check(FACTURX_EN16931, xml))
    assert not [f for f in findings if f.severity is Severity.ERROR], findings
    assert timer("Chorus Pro rules", lambda: check_chorus(invoice)) == []
    if not with_pdf:
        return xml
    pdf = timer("render page PDF/A-3b (Typst)", lambda: render_pdf(invoice))
    return timer("embed XML + XMP (incremental)", lambda: embed_xml(pdf, xml, Profile.EN16931, invoice))


def check_ours_is_the_product_path() -> None:
    payload = invoice_json(42)
    for target, with_pdf in ((OutputFormat.FACTURX, True), (OutputFormat.CII, False)):
        product = write_checked(Invoice.model_validate_json(payload), CheckOptions(target=target))
        assert product.output is not None and product.output.data == ours(payload, Timer(), with_pdf)


# --------------------------------------------------------------------------------------------- baseline


def facturx_dict(data: dict) -> dict:
    """The factur-x 7.8 dict for the invoice, with amounts computed the simple way."""
    lines, bases = [], defaultdict(Decimal)
    for line in data["lines"]:
        amount = (Decimal(line["quantity"]) * Decimal(line["net_price"])).quantize(Decimal("0.01"))
        bases[Decimal(line["vat_rate"])] += amount
        lines.append(
            {
                "BT-126": line["id"],
                "BT-153": line["name"],
                "BT-129": line["quantity"],
                "BT-130": line["unit_code"],
                "BT-146": line["net_price"],
                "BT-131": str(amount),
                "BT-151": "S",
                "BT-152": line["vat_rate"],
            }
        )
    charge = Decimal(data["charges"][0]["amount"])
    bases[Decimal("20")] += charge
    vat = {rate: (base * rate / 100).quantize(Decimal("0.01")) for rate, base in bases.items()}
    line_total = sum(Decimal(line["BT-131"]) for line in lines)
    tax_exclusive, tax_total = line_total + charge, sum(vat.values())
    seller, buyer = data["seller"], data["buyer"]
    return {
        "BT-1": data["number"],
        "BT-2": data["issue_date"],
        "BT-3": "380",
        "BT-5": "EUR",
        "BT-10": data["service_code"],
        "BT-12": data["market_number"],
        "BT-13": data["engagement_number"],
        "BT-20": data["payment_terms"],
        "BT-23": "A1",
        "BT-9": data["due_date"],
        "BT-72": data["delivery"]["date"],  # without it factur-x emits a non-nillable xsi:nil delivery
        "BT-81": "30",
        "BT-84": data["payment_means"]["iban"],
        "BG-4": {
            "name": seller["name"],
            "identifiers": {"0009": seller["siret"]},
            "legal_identifier": seller["siret"][:9],
            "legal_identifier_schemeid": "0002",
            "vat_identifier": seller["vat_id"],
            "addr_l1": seller["address"]["line1"],
            "city": seller["address"]["city"],
            "postcode": seller["address"]["postcode"],
            "country_code": "FR",
        },
        "BG-7": {
            "name": buyer["name"],
            "identifiers": {"0009": buyer["siret"]},
            "legal_identifier": buyer["siret"][:9],
            "legal_identifier_schemeid": "0002",
            "addr_l1": buyer["address"]["line1"],
            "city": buyer["address"]["city"],
            "postcode": buyer["address"]["postcode"],
            "country_code": "FR",
        },
        "BG-21": [
            {
                "amount": str(charge),
                "reason": "Frais de livraison",
                "vat_category_code": "S",
                "vat_rate": "20",
            }
        ],
        "BG-25": lines,
        "BG-23": [
            {"BT-116": str(base), "BT-117": str(vat[rate]), "BT-118": "S", "BT-119": str(rate)}
            for rate, base in bases.items()
        ],
        "BT-106": str(line_total),
        "BT-108": str(charge),
        "BT-109": str(tax_exclusive),
        "BT-110": str(tax_total),
        "BT-112": str(tax_exclusive + tax_total),
        "BT-115": str(tax_exclusive + tax_total),
    }


def reportlab_page(data: dict, fx: dict) -> bytes:
    """The same content as our page, drawn on a reportlab canvas as its user guide shows."""
    buffer = BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    left, right, y = 45, width - 45, height - 50
    for x, title, party in ((left, "FOURNISSEUR", data["seller"]), (300, "DESTINATAIRE", data["buyer"])):
        address = party["address"]
        page.setFont("Helvetica", 7.5)
        page.drawString(x, y, title)
        page.setFont("Helvetica-Bold", 9.5)
        page.drawString(x, y - 12, party["name"])
        page.setFont("Helvetica", 9.5)
        rows = [address["line1"], f"{address['postcode']} {address['city']}", f"SIRET {party['siret']}"]
        for offset, text in enumerate(rows + ([f"TVA {party['vat_id']}"] if "vat_id" in party else [])):
            page.drawString(x, y - 24 - 12 * offset, text)
    y -= 100
    page.setFont("Helvetica-Bold", 15)
    page.drawString(left, y, f"Facture n° {fx['BT-1']}")
    page.setFont("Helvetica", 9.5)
    page.drawRightString(right, y, f"Date : {fx['BT-2']}")
    y -= 14
    references = f"Code service : {fx['BT-10']} · Engagement : {fx['BT-13']} · Marché : {fx['BT-12']}"
    page.drawString(left, y, f"{references} · Échéance : {fx['BT-9']}")
    y -= 24
    columns = ((left, "N°"), (70, "Désignation"), (330, "Qté"), (345, "Unité"), (430, "PU HT"))
    page.setFont("Helvetica-Bold", 9.5)
    for x, title in columns:
        page.drawString(x, y, title)
    page.drawRightString(480, y, "TVA")
    page.drawRightString(right, y, "Total HT")
    page.line(left, y - 4, right, y - 4)
    page.setFont("Helvetica", 9.5)
    for line in fx["BG-25"]:
        y -= 14
        page.drawString(left, y, line["BT-126"])
        page.drawString(70, y, line["BT-153"])
        page.drawRightString(340, y, line["BT-129"])
        page.drawString(345, y, line["BT-130"])
        page.drawRightString(460, y, f"{line['BT-146']} €")
        page.drawRightString(480, y, f"{line['BT-152']} %")
        page.drawRightString(right, y, f"{line['BT-131']} €")
    page.line(left, y - 6, right, y - 6)
    y -= 24
    totals = [("Total HT", "BT-109"), ("TVA", "BT-110"), ("Total TTC", "BT-112"), ("Net à payer", "BT-115")]
    for offset, vat in enumerate(fx["BG-23"]):
        page.drawString(left, y - 12 * offset, f"S {vat['BT-119']} %")
        page.drawRightString(200, y - 12 * offset, f"{vat['BT-116']} €")
        page.drawRightString(260, y - 12 * offset, f"{vat['BT-117']} €")
    for offset, (label, key) in enumerate(totals):
        page.drawString(400, y - 12 * offset, label)
        page.drawRightString(right, y - 12 * offset, f"{fx[key]} €")
    y -= 70
    page.drawString(left, y, f"Règlement : virement (code 30) — IBAN {fx['BT-84']}")
    page.drawString(left, y - 12, fx["BT-20"])
    page.setFont("Helvetica", 7.5)
    page.drawString(left, 30, f"{data['seller']['name']} · Factur-X {fx['BT-1']}")
    page.showPage()
    page.save()
    return buffer.getvalue()


class Baseline:
    def __init__(self) -> None:
        engine = schematron.engine()
        xslt, _ = artefacts.facturx_schematron(Profile.EN16931)
        self.processor = engine.processor
        self.executable = engine.compiler.compile_stylesheet(stylesheet_file=str(xslt))

    def run(self, payload: str, timer: Timer, with_pdf: bool) -> bytes:
        data = timer("parse JSON → dict", lambda: json.loads(payload))
        fx_dict = timer("build factur-x dict", lambda: facturx_dict(data))
        # generate_cii_xml mutates its dict: the page reads the BT values from a copy.
        page_dict = json.loads(json.dumps(fx_dict)) if with_pdf else fx_dict
        xml = timer(
            "generate_cii_xml",
            lambda: facturx.generate_cii_xml(
                fx_dict, level="en16931", check_xsd=False, check_schematron=False
            ),
        )
        assert timer("xml_check_xsd", lambda: facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931"))
        report = timer("schematron FX+CEN EN16931 (document())", lambda: self._schematron(xml))
        assert not [f for f in parse_svrl(report, FACTURX_EN16931) if f.flag != "warning"]
        if not with_pdf:
            return xml
        pdf = timer("reportlab page", lambda: reportlab_page(data, page_dict))
        return timer(
            "generate_from_binary",
            lambda: facturx.generate_from_binary(
                pdf, xml, flavor="factur-x", level="en16931", check_xsd=False
            ),
        )

    def run_batch(self, payloads: list[str], with_pdf: bool) -> list[bytes]:
        """The same steps stage by stage over the block, as `write_checked_many` does: same cache warmth."""
        datas = [json.loads(payload) for payload in payloads]
        fx_dicts = [facturx_dict(data) for data in datas]
        page_dicts = [json.loads(json.dumps(fx_dict)) for fx_dict in fx_dicts] if with_pdf else fx_dicts
        xmls = [
            facturx.generate_cii_xml(fx_dict, level="en16931", check_xsd=False, check_schematron=False)
            for fx_dict in fx_dicts
        ]
        assert all(facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") for xml in xmls)
        for report in [self._schematron(xml) for xml in xmls]:
            assert not [f for f in parse_svrl(report, FACTURX_EN16931) if f.flag != "warning"]
        if not with_pdf:
            return xmls
        pages = [reportlab_page(data, page_dict) for data, page_dict in zip(datas, page_dicts, strict=True)]
        return [
            facturx.generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=False)
            for pdf, xml in zip(pages, xmls, strict=True)
        ]

    def _schematron(self, xml: bytes) -> str:
        text = xml.decode()
        document = self.processor.parse_xml(xml_text=text[text.index("?>") + 2 :])
        self.executable.set_global_context_item(xdm_item=document)
        return self.executable.transform_to_string(xdm_node=document)


# --------------------------------------------------------------------------------------------- run


Pipeline = Callable[[list[str], Timer], object]  # runs a block of JSON payloads


def one_by_one(run: Callable[[str, Timer], object]) -> Pipeline:
    def pipeline(payloads: list[str], timer: Timer) -> None:
        for payload in payloads:
            run(payload, timer)

    return pipeline


def ours_batched(with_pdf: bool) -> Pipeline:
    """The product's batch API: the whole block stage by stage (`write_checked_many`)."""
    options = CheckOptions(target=OutputFormat.FACTURX if with_pdf else OutputFormat.CII)

    def pipeline(payloads: list[str], timer: Timer) -> None:
        invoices = [Invoice.model_validate_json(payload) for payload in payloads]
        assert all(result.output is not None for result in write_checked_many(invoices, options))

    return pipeline


def measure(pipelines: dict[str, Pipeline], count: int, block: int = 50) -> dict[str, tuple[float, Timer]]:
    """Run the pipelines in alternating blocks, so that the load of the shared machine hits them alike
    (blocks long enough that each pipeline's caches are warm again after the other's)."""
    payloads = [invoice_json(index) for index in range(count)]
    for run in pipelines.values():  # warm-up: compile stylesheets, load fonts and schemas
        run([invoice_json(10_000_000 + index) for index in range(10)], Timer())
    timers = {name: Timer() for name in pipelines}
    walls = dict.fromkeys(pipelines, 0.0)
    for first in range(0, count, block):
        for name, run in pipelines.items():
            start = time.perf_counter()
            run(payloads[first : first + block], timers[name])
            walls[name] += time.perf_counter() - start
    return {name: (count / walls[name], timers[name]) for name in pipelines}


def report(title: str, rate: float, timer: Timer) -> None:
    print(f"\n{title}: {rate:.1f} invoices/s ({1000 / rate:.2f} ms per invoice, wall)")
    medians = {step: statistics.median(values) for step, values in timer.steps.items()}
    total = sum(medians.values())
    for step, values in timer.steps.items():
        median, p95 = medians[step], statistics.quantiles(values, n=20)[-1]
        share = 100 * median / total
        print(f"  {step:<42} median {median:6.2f} ms  p95 {p95:6.2f} ms  {share:5.1f} %")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    check_ours_is_the_product_path()
    baseline = Baseline()
    summary = []
    for label, with_pdf in (("Factur-X PDF/A-3, fully checked", True), ("CII XML, checked", False)):
        measured = measure(
            {
                "ours": one_by_one(lambda p, t, w=with_pdf: ours(p, t, w)),
                "ours, batches of 50": ours_batched(with_pdf),
                "baseline": one_by_one(lambda p, t, w=with_pdf: baseline.run(p, t, w)),
                "baseline, batches of 50": lambda p, t, w=with_pdf: baseline.run_batch(p, w),
            },
            count,
        )
        for name, (rate, timer) in measured.items():
            report(f"{name.upper()}: JSON → {label}", rate, timer)
        for mode in ("", ", batches of 50"):
            rate, base_rate = measured[f"ours{mode}"][0], measured[f"baseline{mode}"][0]
            ratio = rate / base_rate
            line = f"{label}, ours{mode}: {rate:.1f}/s vs baseline{mode} {base_rate:.1f}/s, ×{ratio:.2f}"
            summary.append(line)
    print("\n" + "\n".join(summary))


if __name__ == "__main__":
    main()
