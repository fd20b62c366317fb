"""Builders shared by the store tests (a module of its own: conftest modules are not importable)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chorus_connect.store import EnvironmentName, NewPisteApplication, NewStructure, Structure, UnitOfWork

SANDBOX_SIRET = "00000000005719"  # AIFE qualification identifiers fail Luhn on purpose
RECIPIENT_SIRET = "00000000005734"
PRODUCTION_SIRET = "73282932000074"  # a real, Luhn-valid SIRET
PRODUCTION_SIRET_2 = "35600000000048"  # La Poste (sum-of-digits rule)


class Clock:
    """A controllable clock for the store (aware UTC)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def new_structure(**overrides: Any) -> NewStructure:
    values: dict[str, Any] = {
        "name": "Atelier Exemple",
        "environment": EnvironmentName.SANDBOX,
        "siret": SANDBOX_SIRET,
        "technical_login": "TECH_1_00000000005719@cpro.fr",
        "technical_password": "tech-password-Ω-42",
        "piste": NewPisteApplication(
            name="erp-sandbox", client_id="client-123", client_secret="piste-secret-xyz"
        ),
        "default_service_code": "SERVICE_FOURNISSEURTST084",
        "engagement_management": True,
        "default_payment_mode": "virement",
        "bank_account_id": 1234,
        "bank_account_label": "Compte principal",
        "referent_email": "compta@atelier.example",
        "chorus_structure_id": 26_000_000,
        "notification_emails": ["compta@atelier.example"],
    }
    values.update(overrides)
    return NewStructure(**values)


def add_structure(tx: UnitOfWork, **overrides: Any) -> Structure:
    return tx.structures.add(new_structure(**overrides))


def invoice_data(number: str = "F-2026-001", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": number,
        "issue_date": "2026-03-01",
        "service_code": "SERVICE_DESTINATAIRE_2TST084",
        "engagement_number": "EJ-42",
        "seller": {"name": "Atelier Exemple", "siret": SANDBOX_SIRET},
        "buyer": {"name": "Commune de Test", "siret": RECIPIENT_SIRET},
        "lines": [
            {"id": "1", "name": "Maintenance", "quantity": "2", "net_price": "50.00", "vat_rate": "20"}
        ],
    }
    data.update(overrides)
    return data
