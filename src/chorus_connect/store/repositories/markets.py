"""Public contracts (marchés): their routing data is recorded once and inherited by their invoices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from chorus_connect.invoice.enums import BillingFrame
from chorus_connect.store.errors import DuplicateError, NotFoundError
from chorus_connect.store.models.markets import Market
from chorus_connect.store.repositories.base import Repository
from chorus_connect.store.validation import ENGAGEMENT_NUMBER_MAX, Checker, checker

if TYPE_CHECKING:
    from chorus_connect.invoice import Invoice

MARKET_NUMBER_MAX = 50


@dataclass(kw_only=True)
class NewMarket:
    number: str
    recipient_siret: str
    service_code: str | None = None
    engagement_number: str | None = None
    billing_frame: str = "A1"
    label: str | None = None


@dataclass(frozen=True, slots=True)
class MarketConflict:
    """An invoice field that disagrees with its market (the invoice keeps its own value)."""

    field: str
    invoice_value: str
    market_value: str


class MarketRepository(Repository):
    def add(self, structure_id: int, new: NewMarket) -> Market:
        structure = self.uow.structures.get(structure_id)
        check = checker("market")
        values = _validated(check, vars(new), structure.environment)
        check.raise_if_any()
        if self.find(structure_id, values["number"]) is not None:
            raise DuplicateError(
                f"Market {values['number']!r} is already recorded for structure {structure.name!r}.",
                fix="Edit that market instead of adding it again.",
            )
        market = Market(structure_id=structure_id, **values)
        self.session.add(market)
        self.flush(lambda _e: DuplicateError(f"Market {values['number']!r} exists already.", fix="Edit it."))
        return market

    def update(self, market_id: int, changes: Mapping[str, Any]) -> Market:
        market = self.get(market_id)
        structure = self.uow.structures.get(market.structure_id)
        check = checker("market")
        unknown = sorted(set(changes) - set(NewMarket.__dataclass_fields__))
        for name in unknown:
            check.add(name, "is not a market field", "use number, recipient_siret, service_code, …")
        values = _validated(check, dict(changes), structure.environment, partial=True)
        check.raise_if_any()
        if "number" in values and values["number"] != market.number:
            other = self.find(market.structure_id, values["number"])
            if other is not None:
                raise DuplicateError(
                    f"Market {values['number']!r} exists already.", fix="Choose another number."
                )
        for name, value in values.items():
            setattr(market, name, value)
        self.session.flush()
        return market

    def get(self, market_id: int) -> Market:
        market = self.session.get(Market, market_id)
        if market is None:
            raise NotFoundError("market", market_id)
        return market

    def find(self, structure_id: int, number: str) -> Market | None:
        return self.session.scalars(
            select(Market).where(Market.structure_id == structure_id, Market.number == number.strip())
        ).first()

    def list(self, structure_id: int) -> list[Market]:
        return list(
            self.session.scalars(
                select(Market).where(Market.structure_id == structure_id).order_by(Market.number)
            )
        )

    def delete(self, market_id: int) -> None:
        """Invoices that named the market keep their copied values (their link is set to NULL)."""
        self.session.delete(self.get(market_id))
        self.session.flush()


def apply_market(document: Invoice, market: Market) -> tuple[Invoice, list[MarketConflict]]:
    """The invoice with the market's routing data filled in where the invoice has none.

    Values the invoice already has are kept; those that differ from the market are returned as conflicts
    for the checks to report.
    """
    conflicts: list[MarketConflict] = []

    def pick(name: str, current: str | None, recorded: str | None) -> str | None:
        if current and recorded and current != recorded:
            conflicts.append(MarketConflict(name, current, recorded))
        return current or recorded

    buyer_siret = pick("buyer.siret", document.buyer.siret, market.recipient_siret)
    frame = document.billing_frame
    if frame == BillingFrame.A1 and market.billing_frame != BillingFrame.A1:
        frame = BillingFrame(market.billing_frame)  # A1 is the model's default: the market knows better
    elif frame != BillingFrame(market.billing_frame):
        conflicts.append(MarketConflict("billing_frame", frame.value, market.billing_frame))
    updated = document.model_copy(
        update={
            "market_number": market.number,
            "service_code": pick("service_code", document.service_code, market.service_code),
            "engagement_number": pick(
                "engagement_number", document.engagement_number, market.engagement_number
            ),
            "billing_frame": frame,
            "buyer": document.buyer.model_copy(update={"siret": buyer_siret}),
        }
    )
    return updated, conflicts


def _validated(
    check: Checker, values: dict[str, Any], environment: Any, *, partial: bool = False
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}

    def wanted(name: str) -> bool:
        return name in values or not partial

    if wanted("number"):
        cleaned["number"] = check.required_text("number", values.get("number"), max_length=MARKET_NUMBER_MAX)
    if wanted("recipient_siret"):
        cleaned["recipient_siret"] = check.siret(
            "recipient_siret", values.get("recipient_siret"), environment
        )
    if wanted("service_code"):
        cleaned["service_code"] = check.optional_text(
            "service_code", values.get("service_code"), max_length=100
        )
    if wanted("engagement_number"):
        cleaned["engagement_number"] = check.optional_text(
            "engagement_number", values.get("engagement_number"), max_length=ENGAGEMENT_NUMBER_MAX
        )
    if wanted("label"):
        cleaned["label"] = check.optional_text("label", values.get("label"))
    if wanted("billing_frame"):
        raw = values.get("billing_frame") or "A1"
        try:
            cleaned["billing_frame"] = BillingFrame.parse(str(raw)).value
        except ValueError:
            check.add(
                "billing_frame",
                f"{raw!r} is not a cadre de facturation",
                "use A1 … A25 (A4 for a monthly works statement, A1 for a plain supplier invoice)",
            )
    return cleaned
