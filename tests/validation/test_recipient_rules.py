import copy

import pytest
from validation_samples import example_data

from chorus_connect.invoice import Invoice
from chorus_connect.validation import (
    CheckOptions,
    InMemoryRecipientDirectory,
    RecipientService,
    RecipientStructure,
    check_invoice,
)
from chorus_connect.validation.recipient import check_recipient

BUYER = "21750001600019"
SELLER = "98765432400019"


def _directory(**flags) -> InMemoryRecipientDirectory:
    directory = InMemoryRecipientDirectory()
    directory.add(RecipientStructure(SELLER, "Atelier", public=False))
    services = [
        RecipientService("SERVICE-INFO", "Informatique"),
        RecipientService("ANCIEN", "Fermé", active=False),
        RecipientService("TRAVAUX", "Travaux", engagement_required=True),
    ]
    directory.add(RecipientStructure(BUYER, "Commune", **flags), services, engagements={"EJ-2026-001234"})
    return directory


def _invoice(**changes) -> Invoice:
    data = copy.deepcopy(example_data("services.json"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return Invoice.model_validate(data)


@pytest.mark.parametrize(
    ("flags", "changes", "expected"),
    [
        ({}, {"buyer": {"name": "X", "siret": "13001234700014"}}, ("CPRO-DEST-01", "buyer.siret")),
        ({"active": False}, {}, ("CPRO-DEST-02", "buyer.siret")),
        ({"service_required": True}, {"service_code": None}, ("CPRO-DEST-03", "service_code")),
        ({}, {"service_code": "INCONNU"}, ("CPRO-DEST-04", "service_code")),
        ({}, {"service_code": "ANCIEN"}, ("CPRO-DEST-05", "service_code")),
        ({"engagement_required": True}, {"engagement_number": None}, ("CPRO-DEST-06", "engagement_number")),
        ({}, {"service_code": "TRAVAUX", "engagement_number": None}, ("CPRO-DEST-06", "engagement_number")),
        (
            {"engagement_or_service": True},
            {"service_code": None, "engagement_number": None},
            ("CPRO-DEST-07", "engagement_number"),
        ),
        ({}, {"engagement_number": "EJ-INCONNU"}, ("CPRO-DEST-08", "engagement_number")),
        ({"public": False}, {}, ("CPRO-DEST-09", "buyer.siret")),
        ({}, {"seller": {"name": "X", "siret": "98765432400027"}}, ("CPRO-FRN-01", "seller.siret")),
    ],
)
def test_recipient_requirements(flags, changes, expected):
    findings = check_recipient(_invoice(**changes), _directory(**flags))
    assert expected in {(f.rule_id, f.path) for f in findings}


def test_a_compliant_invoice_passes_the_recipient_checks():
    assert check_recipient(_invoice(), _directory(service_required=True, engagement_required=True)) == []


def test_an_unknown_engagement_is_a_warning_not_a_rejection():
    # The platform integrates it; the buyer recycles or rejects it afterwards (rejection cause #14).
    (finding,) = check_recipient(_invoice(engagement_number="EJ-INCONNU"), _directory())
    assert (finding.rule_id, finding.severity) == ("CPRO-DEST-08", "warning")


def test_an_inactive_supplier_structure_is_an_error():
    directory = _directory()
    directory.add(RecipientStructure(SELLER, public=False, active=False))
    assert [f.rule_id for f in check_recipient(_invoice(), directory)] == ["CPRO-FRN-02"]


def test_a_number_the_supplier_already_used_this_year_is_an_error():
    directory = _directory()
    assert check_recipient(_invoice(), directory) == []  # nothing known about used numbers: no finding
    directory.record_invoice_number(SELLER, "FA-2026-0042", 2025)
    assert check_recipient(_invoice(), directory) == []  # another year
    directory.record_invoice_number(SELLER, "FA-2026-0042", 2026)
    findings = check_recipient(_invoice(), directory)
    assert [(f.rule_id, f.path) for f in findings] == [("CPRO-NUM-02", "number")]


def test_factures_publiques_exists_on_every_public_structure():
    # Not reported as unknown when the directory does not list it; its misuse is CPRO-SRV-02.
    findings = check_recipient(_invoice(service_code="FACTURES_PUBLIQUES"), _directory())
    assert "CPRO-DEST-04" not in {f.rule_id for f in findings}


def test_unpublished_engagements_are_not_reported():
    directory = InMemoryRecipientDirectory()
    directory.add(RecipientStructure(SELLER, public=False))
    directory.add(RecipientStructure(BUYER), [RecipientService("SERVICE-INFO")])
    assert check_recipient(_invoice(engagement_number="EJ-X"), directory) == []


def test_recipient_layer_runs_in_the_full_check():
    report = check_invoice(_invoice(service_code="INCONNU"), CheckOptions(directory=_directory()))
    assert "recipient" in report.layers_run and "CPRO-DEST-04" in report.rule_ids() and not report.ok
