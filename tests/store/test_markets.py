from __future__ import annotations

import pytest
from store_helpers import RECIPIENT_SIRET, add_structure, invoice_data

from chorus_connect.invoice import BillingFrame, Invoice
from chorus_connect.store import DuplicateError, InvalidInputError, NewMarket, apply_market


def test_market_crud_and_unique_number_per_structure(store):
    with store.transaction() as tx:
        structure_id = add_structure(tx).id
        other_id = add_structure(
            tx,
            name="Other",
            siret="00000000005720",
            piste=None,
            piste_application_id=tx.structures.get(structure_id).piste_application_id,
        ).id
        market = tx.markets.add(
            structure_id,
            NewMarket(
                number="2026-TX-07",
                recipient_siret=RECIPIENT_SIRET,
                service_code="SERVICE_MOA_2TST084",
                engagement_number="EJ-7",
                billing_frame="A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR",
            ),
        )
        assert market.billing_frame == "A4"
        tx.markets.add(
            other_id, NewMarket(number="2026-TX-07", recipient_siret=RECIPIENT_SIRET)
        )  # other structure
        market_id = market.id
    with pytest.raises(DuplicateError, match="already recorded"), store.transaction() as tx:
        tx.markets.add(structure_id, NewMarket(number="2026-TX-07", recipient_siret=RECIPIENT_SIRET))
    with pytest.raises(InvalidInputError) as caught, store.transaction() as tx:
        tx.markets.add(
            structure_id,
            NewMarket(number="", recipient_siret="123", billing_frame="Z9", engagement_number="E" * 51),
        )
    assert set(caught.value.fields) == {
        "market.number",
        "market.recipient_siret",
        "market.billing_frame",
        "market.engagement_number",
    }
    with store.transaction() as tx:
        tx.markets.update(market_id, {"engagement_number": "EJ-8"})
    with store.read() as tx:
        assert [m.engagement_number for m in tx.markets.list(structure_id)] == ["EJ-8"]


def test_invoice_naming_its_market_inherits_and_is_linked(store):
    with store.transaction() as tx:
        structure_id = add_structure(tx).id
        market = tx.markets.add(
            structure_id,
            NewMarket(
                number="M-9",
                recipient_siret=RECIPIENT_SIRET,
                service_code="S-MOA",
                engagement_number="EJ-9",
                billing_frame="A4",
            ),
        )
        bare = Invoice.model_validate(
            invoice_data(
                "SIT-01",
                service_code=None,
                engagement_number=None,
                market_number="M-9",
                buyer={"name": "Commune"},
            )
        )
        completed, conflicts = apply_market(bare, market)
        assert conflicts == []
        assert (completed.service_code, completed.engagement_number, completed.buyer.siret) == (
            "S-MOA",
            "EJ-9",
            RECIPIENT_SIRET,
        )
        assert completed.billing_frame is BillingFrame.A4
        record = tx.invoices.add(structure_id, completed)
        assert record.market_id == market.id and record.engagement_number == "EJ-9"
        differing = Invoice.model_validate(
            invoice_data("SIT-02", engagement_number="EJ-OTHER", market_number="M-9")
        )
        _, conflicts = apply_market(differing, market)
        assert {c.field for c in conflicts} == {"engagement_number", "service_code"}
