"""The demo's bundled sample invoices, and how they are addressed to the simulator's data set at run time.

Each file of ``sample_invoices/`` holds a complete invoice in the JSON input format (``invoice``) and what the
demo does with it (``demo``): which kind of public buyer receives it, whether it carries a service code
and an engagement number (valid, missing, or a wrong one), whether it is billed on a recorded market, and
what the buyer does with it on the simulator (``buyer``: a scenario of ``sim.admin.set_scenario``; null
for an invoice the checks stop before deposit).

At run time the parties' identities (names, SIRET, VAT number, addresses, bank account), the routing
(service code, engagement number) and the dates are replaced by the data set's and the simulated day's,
and each invoice gets the number ``DEMO-<year>-<nn>``: the samples work with any data set seed.

The works situation is billed under cadre A1 on its market: the works circuit (cadres A4–A25, validated
by the maîtrise d'œuvre) is not simulated, and the checks rightly warn (CPRO-CAD-02) that an A4 invoice
must go through it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chorus_connect.simulator.dataset import Dataset, EngagementState, Structure
from chorus_connect.store import NewMarket

RecipientKind = Literal[
    "plain", "service_required", "engagement_required", "engagement_or_service", "payment_not_reported"
]
EngagementChoice = Literal["valid", "none", "wrong"]
BuyerScenario = Literal["PAYE", "SUSPENDUE", "A_RECYCLER", "REJETEE"]

# The recipient's Chorus Pro settings each kind stands for (Dataset.recipient_with's flags).
RECIPIENT_FLAGS: dict[str, dict[str, bool]] = {
    "plain": {},
    "service_required": {"service_required": True},
    "engagement_required": {"engagement_required": True},
    "engagement_or_service": {"engagement_or_service": True},
    "payment_not_reported": {"payment_status_not_reported": True},
}
PUBLIC_TO_PUBLIC_SERVICE = "FACTURES_PUBLIQUES"  # for public suppliers only: never on a private invoice
PAYMENT_DAYS = 30


class MarketPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    number: str
    label: str


class SamplePlan(BaseModel):
    """The ``demo`` section of a sample file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    recipient: RecipientKind
    service: bool
    engagement: EngagementChoice
    buyer: BuyerScenario | None
    market: MarketPlan | None = None


@dataclass(frozen=True)
class Sample:
    key: str  # the file name without .json, e.g. "06-suspended"
    plan: SamplePlan
    invoice: dict[str, Any]


@dataclass(frozen=True)
class AddressedSample:
    """A sample made ready for this run: its invoice addressed to the data set's structures."""

    sample: Sample
    number: str
    document: dict[str, Any]
    recipient: Structure
    market: NewMarket | None
    right_engagement: str | None  # the buyer's real engagement number (what a recycling must give)

    @property
    def key(self) -> str:
        return self.sample.key


def load_samples() -> list[Sample]:
    """Every bundled sample, in file-name order."""
    folder = resources.files("chorus_connect.demo.sample_invoices")
    samples = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".json"):
            continue
        data = json.loads(entry.read_text(encoding="utf-8"))
        samples.append(
            Sample(entry.name.removesuffix(".json"), SamplePlan.model_validate(data["demo"]), data["invoice"])
        )
    return samples


def invoice_number(index: int, today: dt.date) -> str:
    """``DEMO-2026-01``: unique per run (the simulator is new each run), ≤ 20 characters as Chorus wants."""
    return f"DEMO-{today.year}-{index:02d}"


def address_samples(samples: list[Sample], dataset: Dataset, today: dt.date) -> list[AddressedSample]:
    """The samples addressed from the data set's main supplier to its public buyers, dated ``today``."""
    return [_address(sample, index, dataset, today) for index, sample in enumerate(samples, start=1)]


def _address(sample: Sample, index: int, dataset: Dataset, today: dt.date) -> AddressedSample:
    supplier = dataset.main_supplier()
    recipient = dataset.recipient_with(**RECIPIENT_FLAGS[sample.plan.recipient])
    service = _service_code(recipient) if sample.plan.service else None
    right_engagement = _open_engagement(dataset, supplier, recipient)
    document = json.loads(json.dumps(sample.invoice))  # a deep copy: the loaded sample stays as shipped
    document["number"] = invoice_number(index, today)
    document["seller"] = _seller(document.get("seller", {}), supplier, dataset)
    document["buyer"] = _party(document.get("buyer", {}), recipient)
    _set_payment(document, dataset)
    _set_dates(document, today)
    engagement = {"valid": right_engagement, "none": None, "wrong": document.get("engagement_number")}[
        sample.plan.engagement
    ]
    market = None
    if sample.plan.market is not None:
        # The routing lives on the market; the invoice only names it and inherits it at import.
        market = NewMarket(
            number=sample.plan.market.number,
            recipient_siret=recipient.siret,
            service_code=service,
            engagement_number=engagement,
            billing_frame=str(document.get("billing_frame") or "A1"),
            label=sample.plan.market.label,
        )
        document["market_number"] = market.number
        service = engagement = None
    _set_optional(document, "service_code", service)
    _set_optional(document, "engagement_number", engagement)
    return AddressedSample(sample, document["number"], document, recipient, market, right_engagement)


def _service_code(recipient: Structure) -> str:
    """An active service of the recipient that needs no engagement of its own."""
    for service in recipient.active_services():
        if service.code != PUBLIC_TO_PUBLIC_SERVICE and not service.engagement_required:
            return service.code
    raise LookupError(f"recipient {recipient.siret} has no active service without an engagement requirement")


def _open_engagement(dataset: Dataset, supplier: Structure, recipient: Structure) -> str:
    commitments = dataset.commitments_between(
        supplier.structure_id, recipient.structure_id, EngagementState.ORDERED
    )
    if not commitments:
        raise LookupError(f"no open engagement from recipient {recipient.siret} to the demo's supplier")
    return commitments[0].number


def _seller(original: dict[str, Any], supplier: Structure, dataset: Dataset) -> dict[str, Any]:
    seller = _party(original, supplier)
    seller["vat_id"] = supplier.vat_number or None
    seller.pop("legal_info", None)  # the sample company's capital and RCS are not the data set's
    if "contact" in seller and supplier.email:
        seller["contact"] = {**seller["contact"], "email": supplier.email}
    return {k: v for k, v in seller.items() if v is not None}


def _party(original: dict[str, Any], structure: Structure) -> dict[str, Any]:
    address = structure.address
    return {
        **original,
        "name": structure.name,
        "siret": structure.siret,
        "address": {
            "line1": address.line or "1 rue de la République",
            "city": address.city or "Paris",
            "postcode": address.postal_code or "75001",
            "country_code": address.country or "FR",
        },
    }


def _set_payment(document: dict[str, Any], dataset: Dataset) -> None:
    means = document.get("payment_means")
    if means is None:
        return
    bank = dataset.main_bank_account()
    means["iban"] = bank.iban
    if bank.bic:
        means["bic"] = bank.bic
    else:
        means.pop("bic", None)
    if "account_name" in means:
        means["account_name"] = dataset.main_supplier().name


def _set_dates(document: dict[str, Any], today: dt.date) -> None:
    document["issue_date"] = today.isoformat()
    if "due_date" in document:
        document["due_date"] = (today + dt.timedelta(days=PAYMENT_DAYS)).isoformat()
    if "invoicing_period_start" in document or "invoicing_period_end" in document:
        last = today.replace(day=1) - dt.timedelta(days=1)  # the month before
        document["invoicing_period_start"] = last.replace(day=1).isoformat()
        document["invoicing_period_end"] = last.isoformat()
    delivery = document.get("delivery")
    if isinstance(delivery, dict) and "date" in delivery:
        delivery["date"] = (today - dt.timedelta(days=3)).isoformat()


def _set_optional(document: dict[str, Any], name: str, value: str | None) -> None:
    if value:
        document[name] = value
    else:
        document.pop(name, None)
