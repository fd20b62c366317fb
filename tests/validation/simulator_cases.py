"""The simulator side of the validation tests: a plain-httpx desk, the directory the simulator's data
set gives, and the corpus of invoices (valid ones, and ones that break one rule each) built from it."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from chorus_connect.invoice import Invoice, OutputFormat
from chorus_connect.simulator import SimulatorServer
from chorus_connect.simulator.dataset import (
    Dataset,
    EngagementState,
    Structure,
    StructureKind,
    TechnicalAccount,
)
from chorus_connect.validation import (
    InMemoryRecipientDirectory,
    RecipientService,
    RecipientStructure,
)

DEPOSIT = "/cpro/factures/v1/deposer/flux"
REPORT = "/cpro/transverses/v1/consulterCRDetaille"
FORMATS = (OutputFormat.FACTURX, OutputFormat.CII, OutputFormat.UBL)


# --------------------------------------------------------------------------------------------- platform


class ChorusDesk:
    """Plain httpx calls to the simulator as one technical account (token + cpro-account headers)."""

    def __init__(self, sim: SimulatorServer, account: TechnicalAccount) -> None:
        application = sim.dataset.main_application()
        token = httpx.post(
            sim.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": application.client_id,
                "client_secret": application.client_secret,
                "scope": "openid",
            },
        ).json()["access_token"]
        login = base64.b64encode(f"{account.login}:{account.password}".encode()).decode()
        self.http = httpx.Client(
            base_url=sim.base_url,
            timeout=30,
            headers={"Authorization": f"Bearer {token}", "cpro-account": login},
        )

    def deposit(self, data: bytes, name: str, syntax: str) -> str:
        body = {"fichierFlux": base64.b64encode(data).decode(), "nomFichier": name, "syntaxeFlux": syntax}
        answer = self.http.post(DEPOSIT, json=body)
        assert answer.status_code == 200 and answer.json()["codeRetour"] == 0, answer.text
        return answer.json()["numeroFluxDepot"]

    def verdict(self, flux: str) -> tuple[str, list[str]]:
        """The flux's state and the platform's messages (listeErreurDP, listeErreurTechnique)."""
        answer = self.http.post(REPORT, json={"numeroFluxDepot": flux})
        assert answer.status_code == 200, answer.text
        report = answer.json()
        messages = [e["libelleErreurDP"] for e in report.get("listeErreurDP", [])]
        messages += [e["libelleErreur"] for e in report.get("listeErreurTechnique", [])]
        return report["etatCourantDepotFlux"], messages

    def close(self) -> None:
        self.http.close()


def directory_of(dataset: Dataset) -> InMemoryRecipientDirectory:
    """What the API-backed directory would read from the same platform: every structure with its
    services, and the engagements juridiques each public buyer published."""
    directory = InMemoryRecipientDirectory(used_numbers=set())
    for structure in dataset.structures:
        directory.add(
            RecipientStructure(
                siret=structure.siret,
                name=structure.name,
                active=structure.active,
                public=structure.kind is StructureKind.PUBLIC,
                engagement_required=structure.engagement_required,
                service_required=structure.service_required,
                engagement_or_service=structure.engagement_or_service,
            ),
            [RecipientService(s.code, s.label, s.active, s.engagement_required) for s in structure.services],
            engagements=_commitments_to(dataset, structure)
            if structure.kind is StructureKind.PUBLIC
            else None,
        )
    return directory


def _commitments_to(dataset: Dataset, structure: Structure) -> list[str]:
    # A closed EJ (CLOTURE) cannot be invoiced against: the buyer sends the invoice back (cause #44).
    return [
        c.number
        for c in dataset.commitments
        if c.recipient_structure_id == structure.structure_id and c.state is not EngagementState.CLOSED
    ]


# --------------------------------------------------------------------------------------------- invoices


def party(structure: Structure) -> dict[str, Any]:
    address = structure.address
    data = {
        "name": structure.name,
        "siret": structure.siret,
        "address": {"line1": address.line, "city": address.city, "postcode": address.postal_code},
    }
    if structure.vat_number and structure.kind is StructureKind.PRIVATE:
        data["vat_id"] = structure.vat_number  # BR-S-02: a seller charging VAT gives its VAT number
    return data


def base_invoice(dataset: Dataset) -> dict[str, Any]:
    """A plain, valid invoice of the main supplier to a recipient with no mandatory data."""
    supplier = dataset.main_supplier()
    return {
        "number": "",
        "issue_date": dataset.generated_on.isoformat(),
        "seller": party(supplier),
        "buyer": party(dataset.recipient_with()),
        "payment_means": {"mode": "VIREMENT", "iban": dataset.main_bank_account().iban},
        "due_date": (dataset.generated_on + dt.timedelta(days=30)).isoformat(),
        "lines": [
            {
                "id": "1",
                "name": "Maintenance",
                "quantity": "12",
                "unit_code": "HUR",
                "net_price": "65.00",
                "vat_rate": "20",
            },
            {"id": "2", "name": "Licence annuelle", "quantity": "1", "net_price": "480.00", "vat_rate": "20"},
        ],
    }


Change = Callable[[dict[str, Any], Dataset], None]


@dataclass(frozen=True)
class Case:
    name: str
    change: Change
    formats: tuple[OutputFormat, ...] = FORMATS
    supplier: Callable[[Dataset], Structure] = field(default=lambda dataset: dataset.main_supplier())
    simulator_gap: str | None = None  # a known disagreement where the reference says the simulator is wrong


def _buyer(data: dict[str, Any], structure: Structure) -> None:
    data["buyer"] = party(structure)


def _service(structure: Structure, active: bool = True, engagement: bool = False) -> str:
    return next(
        s.code
        for s in structure.services
        if s.active is active and s.engagement_required is engagement and s.code != "FACTURES_PUBLIQUES"
    )


def _with(**flags: bool) -> Callable[[Dataset], Structure]:
    return lambda dataset: dataset.recipient_with(**flags)


def _set(path: str, value: Any) -> Change:
    def change(data: dict[str, Any], dataset: Dataset) -> None:
        *parents, last = path.split(".")
        target = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
        target[last] = value

    return change


def _to(pick: Callable[[Dataset], Structure], service: str | None = None, ej: str | None = None) -> Change:
    """Address the invoice to a structure, with a service code and an EJ (`"active"`, `"inactive"`,
    `"engagement"` pick one of its services)."""

    def change(data: dict[str, Any], dataset: Dataset) -> None:
        structure = pick(dataset)
        _buyer(data, structure)
        if service == "active":
            data["service_code"] = _service(structure)
        elif service == "inactive":
            data["service_code"] = _service(structure, active=False)
        elif service == "engagement":
            data["service_code"] = _service(structure, engagement=True)
        elif service is not None:
            data["service_code"] = service
        if ej is not None:
            data["engagement_number"] = ej

    return change


def _both(*changes: Change) -> Change:
    def change(data: dict[str, Any], dataset: Dataset) -> None:
        for each in changes:
            each(data, dataset)

    return change


def _credit_note(with_payment_means: bool) -> Change:
    def change(data: dict[str, Any], dataset: Dataset) -> None:
        data["type_code"] = "381"
        data["preceding_invoices"] = [{"number": "AG-ORIGIN-1"}]
        data.pop("due_date")
        if not with_payment_means:
            data.pop("payment_means")

    return change


def _drop(key: str) -> Change:
    return lambda data, dataset: data.pop(key)


REQUIRES_SERVICE = _with(service_required=True)
REQUIRES_EJ = _with(engagement_required=True)
EJ_OR_SERVICE = _with(engagement_or_service=True)


def _commitment(data: dict[str, Any], dataset: Dataset) -> None:
    recipient = dataset.recipient_with()
    supplier = dataset.main_supplier().structure_id
    data["engagement_number"] = dataset.commitments_between(supplier, recipient.structure_id)[0].number


def _attachment(filename: str) -> Change:
    content = base64.b64encode(b"%PDF-1.7 bon de livraison").decode()
    return _set(
        "attachments",
        [{"id": "BL-1", "filename": filename, "mime_code": "application/pdf", "content": content}],
    )


def _prepaid(data: dict[str, Any], dataset: Dataset) -> None:
    data["billing_frame"] = "A2"
    total = Invoice.model_validate({**data, "number": "X"}).totals.tax_inclusive
    data["totals"] = {"prepaid": str(total)}
    data.pop("due_date")


def _foreign_supplier(other_ids: bool) -> Change:
    def change(data: dict[str, Any], dataset: Dataset) -> None:
        address = {"line1": "Hauptstr. 1", "city": "Berlin", "postcode": "10115", "country_code": "DE"}
        data["seller"] = {"name": "Beratung GmbH", "vat_id": "DE123456789", "address": address}
        if other_ids:
            data["seller"]["other_ids"] = [{"value": "DE123456789", "scheme": "0223"}]

    return change


def _gross_price(data: dict[str, Any], dataset: Dataset) -> None:
    data["lines"][0].update(gross_price="70.00", price_discount="5.00")


CASES = [
    # valid invoices: integrated in every format
    Case("valid", lambda data, dataset: None),
    Case("valid: service and EJ", _to(_with(), "active", "EJ-2026-000123")),
    Case("valid: EJ from the buyer's published commitments", _commitment),
    Case("valid: required service given", _to(REQUIRES_SERVICE, "active")),
    Case("valid: required EJ given", _to(REQUIRES_EJ, ej="EJ-2026-000124")),
    Case("valid: EJ or service, service given", _to(EJ_OR_SERVICE, "active")),
    Case("valid: EJ or service, EJ given", _to(EJ_OR_SERVICE, ej="EJ-2026-000125")),
    Case("valid: service requiring an EJ, EJ given", _to(_with(), "engagement", "EJ-2026-000126")),
    Case("valid: credit note without payment means", _credit_note(with_payment_means=False)),
    Case("valid: EJ of 50 characters", _set("engagement_number", "E" * 50)),
    Case("valid: frame A2, fully prepaid", _prepaid),
    Case("valid: gross price with its discount", _gross_price),
    Case("valid: PDF attachment", _attachment("bon-de-livraison.pdf")),
    Case("valid: buyer name of 99 characters", _set("buyer.name", "B" * 99)),
    Case("valid: payment by cheque", _set("payment_means", {"mode": "CHEQUE"})),
    Case("valid: prepayment invoice (386)", _set("type_code", "386")),
    # accepted with a warning only: the buyer may send it back, the platform integrates it
    Case("warning: EJ unknown to the buyer's commitments", _set("engagement_number", "EJ-INCONNU-1")),
    Case("warning: works frame A4", _set("billing_frame", "A4")),
    # the directory: recipient's settings and structures (rejection causes 7-10, 24)
    Case("unknown recipient", _set("buyer.siret", "00000000099999")),
    Case("inactive recipient", _to(_with(active=False))),
    Case("recipient is a private structure", _to(lambda dataset: dataset.suppliers()[1])),
    Case("required service code missing", _to(REQUIRES_SERVICE)),
    Case("unknown service code", _to(_with(), "INCONNU")),
    Case("inactive service", _to(_with(), "inactive")),
    Case("required EJ missing", _to(REQUIRES_EJ)),
    Case("EJ required by the service, missing", _to(_with(), "engagement")),
    Case("EJ or service, neither given", _to(EJ_OR_SERVICE)),
    Case("required service and EJ missing", _to(_with(engagement_required=True, service_required=True))),
    Case(
        "inactive supplier",
        lambda data, dataset: data.update(seller=party(dataset.inactive_supplier())),
        supplier=lambda dataset: dataset.inactive_supplier(),
    ),
    Case("unknown supplier SIRET", _set("seller.siret", "00000000088888")),
    Case(
        "French supplier identified by its VAT number only", lambda data, dataset: data["seller"].pop("siret")
    ),
    Case("foreign supplier with its VAT number in BT-31 only", _foreign_supplier(other_ids=False)),
    Case(
        "valid: foreign supplier identified by its VAT number in BT-29",
        _foreign_supplier(other_ids=True),
        simulator_gap=(
            "the simulator refuses every supplier identifier that is not a 14-digit SIRET ('doit contenir un "
            "SIRET de 14 chiffres'), while Chorus Pro has EU and non-EU supplier structures identified by "
            "their VAT number or another identifier (typeIdentifiantStructure UE_HORS_FRANCE, HORS_UE: "
            "chorus-pro-api.md §3.7; rejection cause #21); its data set has no foreign supplier"
        ),
    ),
    # Chorus Pro rules (causes 1-6, 11-13, 15-19, 26, 29-33)
    Case("EJ of 51 characters", _set("engagement_number", "E" * 51)),
    Case("market number of 51 characters", _set("market_number", "M" * 51)),
    Case("FACTURES_PUBLIQUES from a private supplier", _to(_with(), "FACTURES_PUBLIQUES")),
    Case("service code with a slash", _to(_with(), "SERVICE/INFO")),
    Case("service code of 101 characters", _to(_with(), "S" * 101)),
    Case("invoice number of 21 characters", _set("number", "N" * 21)),
    Case("invoice number with a forbidden character", _set("number", "FA*1")),
    Case("no payment means", _drop("payment_means")),
    Case("credit transfer without IBAN", _set("payment_means", {"mode": "VIREMENT"})),
    Case("invalid IBAN", _set("payment_means", {"mode": "VIREMENT", "iban": "FR7630006000011234567890180"})),
    Case("credit note with payment means", _credit_note(with_payment_means=True)),
    Case("reform frame B1", _set("billing_frame", "B1")),
    Case("frame A2 with an amount due", _set("billing_frame", "A2")),
    Case(
        "recipient SIREN instead of SIRET",
        lambda data, dataset: data["buyer"].update(siret=data["buyer"]["siret"][:9]),
    ),
    Case("quantity with 5 decimals", _set("lines.0.quantity", "12.12345")),
    Case("price with 7 decimals", _set("lines.0.net_price", "65.0000001")),
    Case("buyer name of 100 characters", _set("buyer.name", "B" * 100)),
    Case("item description of 1025 characters", _set("lines.0.description", "D" * 1025)),
    Case(
        "two preceding invoices",
        _both(
            _credit_note(False),
            _set("preceding_invoices", [{"number": "AG-ORIGIN-1"}, {"number": "AG-ORIGIN-2"}]),
        ),
    ),
    Case("invoice in US dollars", _set("currency", "USD")),
    Case("attachment with a forbidden extension", _attachment("bon.exe")),
    Case("attachment name of 51 characters", _attachment("b" * 47 + ".pdf")),
    Case("delivery location of 21 characters", _set("delivery", {"location_id": {"value": "L" * 21}})),
    Case("credit note with negative amounts", _both(_credit_note(False), _set("lines.0.quantity", "-12"))),
]
