from __future__ import annotations

import pytest
from sqlalchemy import func, select
from store_helpers import PRODUCTION_SIRET, RECIPIENT_SIRET, SANDBOX_SIRET, add_structure, invoice_data

from chorus_connect.store import (
    ConflictError,
    EnvironmentName,
    EventSource,
    InvalidInputError,
    InvoiceStatus,
    NewMarket,
    NewPisteApplication,
    ProductionMove,
    SyncCursor,
)


def production_move(**overrides) -> ProductionMove:
    values = {
        "siret": PRODUCTION_SIRET,
        "technical_login": "TECH_1_73282932000074@cpro.fr",
        "technical_password": "production-password",
        "piste": NewPisteApplication(
            name="erp-production", client_id="prod-client", client_secret="prod-secret"
        ),
        "default_service_code": "FACTURATION",
    }
    values.update(overrides)
    return ProductionMove(**values)


def sandbox_with_history(store) -> tuple[int, int, int]:
    """A sandbox structure with one deposited (followed) invoice and one only checked."""
    with store.transaction() as tx:
        structure_id = add_structure(tx).id
        deposited = tx.invoices.add(structure_id, invoice_data("F-1"))
        tx.invoices.transition(
            deposited.id, source=EventSource.ENGINE, status=InvoiceStatus.DEPOSITED, flux_number="CPP123"
        )
        checked = tx.invoices.add(structure_id, invoice_data("F-2"))
        tx.invoices.transition(checked.id, source=EventSource.ENGINE, status=InvoiceStatus.CHECKED)
        tx.markets.add(structure_id, NewMarket(number="M-1", recipient_siret=RECIPIENT_SIRET))
        tx.cursors.advance(structure_id, last_change_at=tx.now())
    return structure_id, deposited.id, checked.id


def test_move_keeps_history_and_switches_credentials(store):
    structure_id, deposited_id, checked_id = sandbox_with_history(store)
    with store.transaction(actor="admin") as tx:
        report = tx.structures.move_to_production(structure_id, production_move())
    assert (report.withdrawn_invoices, report.untracked_invoices) == (1, 1)
    assert report.markets_to_review == ("M-1",)  # the test recipient SIRET is not a real one
    with store.read() as tx:
        structure = tx.structures.get(structure_id)
        assert structure.environment is EnvironmentName.PRODUCTION
        assert (structure.siret, structure.sandbox_siret) == (PRODUCTION_SIRET, SANDBOX_SIRET)
        assert structure.moved_to_production_at is not None
        assert structure.default_service_code == "FACTURATION"
        assert structure.bank_account_id is None and structure.chorus_structure_id is None
        settings = tx.structures.connection_settings(structure_id)
        assert settings.client_id == "prod-client"
        assert settings.technical_password.get_secret_value() == "production-password"
        assert settings.api_environment().name == "production"
        # History kept: both invoices still there, closed, with an explanation.
        deposited = tx.invoices.get(deposited_id)
        assert deposited.status is InvoiceStatus.DEPOSITED and deposited.is_terminal
        assert deposited.flux_number == "CPP123"
        assert "No longer followed" in tx.invoices.history(deposited_id)[-1].comment
        checked = tx.invoices.get(checked_id)
        assert checked.status is InvoiceStatus.WITHDRAWN and checked.is_terminal
        assert [e.status for e in tx.invoices.history(checked_id)] == [
            InvoiceStatus.IMPORTED,
            InvoiceStatus.CHECKED,
            InvoiceStatus.WITHDRAWN,
        ]
        assert tx.invoices.tracked(structure_id) == []
        assert tx.session.scalar(select(func.count()).select_from(SyncCursor)) == 0
    # The same invoice number can now be imported for real in production.
    with store.transaction() as tx:
        real = tx.invoices.add(
            structure_id, invoice_data("F-2", buyer={"name": "Ville", "siret": PRODUCTION_SIRET})
        )
        assert real.environment is EnvironmentName.PRODUCTION


def test_move_needs_valid_production_data_and_changes_nothing_otherwise(store):
    structure_id, _, checked_id = sandbox_with_history(store)
    with pytest.raises(InvalidInputError) as caught, store.transaction() as tx:
        tx.structures.move_to_production(
            structure_id,
            production_move(siret=SANDBOX_SIRET, technical_password="", piste=None),
        )
    assert set(caught.value.fields) == {"move.siret", "move.technical_password", "move.piste_application_id"}
    with pytest.raises(InvalidInputError, match="sandbox application"), store.transaction() as tx:
        sandbox_app = tx.structures.get(structure_id).piste_application_id
        tx.structures.move_to_production(
            structure_id, production_move(piste=None, piste_application_id=sandbox_app)
        )
    with store.read() as tx:
        structure = tx.structures.get(structure_id)
        assert structure.environment is EnvironmentName.SANDBOX and structure.siret == SANDBOX_SIRET
        assert tx.invoices.get(checked_id).status is InvoiceStatus.CHECKED


def test_move_refused_while_a_deposit_is_in_flight(store):
    structure_id, _, checked_id = sandbox_with_history(store)
    with store.transaction() as tx:
        tx.deposits.begin(invoice_id=checked_id, file_name="F-2.xml")
    with pytest.raises(ConflictError, match="in flight"), store.transaction() as tx:
        tx.structures.move_to_production(structure_id, production_move())
    with store.transaction() as tx, pytest.raises(ConflictError, match="already in production"):
        structure = add_structure(
            tx,
            name="Prod",
            environment="production",
            siret=PRODUCTION_SIRET,
            piste=NewPisteApplication(name="p", client_id="c", client_secret="s"),
        )
        tx.structures.move_to_production(structure.id, production_move())
