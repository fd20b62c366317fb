"""Status tables and the recipients' deterministic scenarios."""

from __future__ import annotations

from collections import Counter

import pytest

from chorus_connect.simulator.lifecycle import (
    ALL_INVOICE_STATUS_CODES,
    FLUX_STATUS_SEQUENCE,
    MAX_HAPPY_PATH_SECONDS,
    RECIPIENT_TRANSITIONS,
    ROUTING_STEPS,
    FluxStatus,
    InvoiceStatus,
    Scenario,
    ScenarioName,
    allowed_targets,
    can_complete,
    can_recycle,
    choose_scenario,
    closed_engagement_motif,
    final_flux_status,
    is_terminal,
    motif_required,
    recipient_may_set,
    scenario_from_note,
    unknown_engagement_motif,
)

S = InvoiceStatus
AIFE_FROM_AVAILABLE = [
    "MISE_A_DISPOSITION",
    "SUSPENDUE",
    "REJETEE",
    "MANDATEE",
    "MISE_EN_PAIEMENT",
    "COMPTABILISEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "A_RECYCLER",
]


# --------------------------------------------------------------------------------------------------
# Flux


def test_flux_goes_pending_then_in_progress():
    assert [str(s) for s in FLUX_STATUS_SEQUENCE] == [
        "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP",
        "IN_EN_COURS_TRAITEMENT_CPP",
    ]


@pytest.mark.parametrize(
    ("technical", "integrated", "refused", "expected"),
    [
        (False, 2, 0, "IN_INTEGRE"),
        (False, 1, 1, "IN_INTEGRE_PARTIEL"),
        (False, 0, 2, "IN_REJETE"),
        (True, 2, 0, "IN_REJETE"),
        (True, 0, 0, "IN_REJETE"),
    ],
)
def test_final_flux_status(technical, integrated, refused, expected):
    assert final_flux_status(technical, integrated, refused) == expected


# --------------------------------------------------------------------------------------------------
# Recipient transitions


def test_from_mise_a_disposition_the_aife_list_comes_first_and_includes_itself():
    targets = allowed_targets("MISE_A_DISPOSITION")
    assert targets[: len(AIFE_FROM_AVAILABLE)] == AIFE_FROM_AVAILABLE
    assert set(targets[len(AIFE_FROM_AVAILABLE) :]) == {"SERVICE_FAIT", "PRISE_EN_COMPTE_DESTINATAIRE"}
    assert all(isinstance(t, str) and t in ALL_INVOICE_STATUS_CODES for t in targets)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("MISE_A_DISPOSITION", "SERVICE_FAIT", True),
        ("COMPLETEE", "SERVICE_FAIT", True),
        ("PRISE_EN_COMPTE_DESTINATAIRE", "MANDATEE", True),
        ("PRISE_EN_COMPTE_DESTINATAIRE", "PRISE_EN_COMPTE_DESTINATAIRE", False),
        ("SERVICE_FAIT", "MANDATEE", True),
        ("SERVICE_FAIT", "A_RECYCLER", False),
        ("SERVICE_FAIT", "SERVICE_FAIT", False),
        ("MANDATEE", "MISE_EN_PAIEMENT", True),
        ("MANDATEE", "SUSPENDUE", False),
        ("COMPTABILISEE", "MISE_EN_PAIEMENT", True),
        ("SUSPENDUE", "REJETEE", True),
        ("SUSPENDUE", "SERVICE_FAIT", False),
        ("MISE_EN_PAIEMENT", "MANDATEE", False),
    ],
)
def test_recipient_may_set(current, target, allowed):
    assert recipient_may_set(current, target) is allowed


@pytest.mark.parametrize(
    "current", ["DEPOSEE", "EN_COURS_ACHEMINEMENT", "A_RECYCLER", "REJETEE", "MISE_EN_PAIEMENT", "UNKNOWN"]
)
def test_no_recipient_action_from(current):
    assert allowed_targets(current) == []


def test_only_mise_a_disposition_lists_itself():
    for current, targets in RECIPIENT_TRANSITIONS.items():
        assert (current in targets) is (current == S.MISE_A_DISPOSITION)


def test_motif_required_for_suspension_and_rejection_only():
    assert {s for s in S if motif_required(s)} == {S.SUSPENDUE, S.REJETEE}


def test_terminal_statuses():
    assert is_terminal("REJETEE") and is_terminal("MISE_EN_PAIEMENT")
    assert not is_terminal("MANDATEE") and not is_terminal("SUSPENDUE")
    assert all(allowed_targets(s) == [] for s in S if is_terminal(s))


def test_supplier_transitions_only_from_their_status():
    assert [s for s in ALL_INVOICE_STATUS_CODES if can_complete(s)] == ["SUSPENDUE"]
    assert [s for s in ALL_INVOICE_STATUS_CODES if can_recycle(s)] == ["A_RECYCLER"]


def test_routing_reaches_mise_a_disposition_in_seconds():
    assert [step.status for step in ROUTING_STEPS] == [S.EN_COURS_ACHEMINEMENT, S.MISE_A_DISPOSITION]
    assert all(0 < step.delay_seconds < 60 for step in ROUTING_STEPS)


# --------------------------------------------------------------------------------------------------
# Scenarios


def test_scenario_is_deterministic_for_seed_and_key():
    assert choose_scenario(42, "10000000000001/F-1") == choose_scenario(42, "10000000000001/F-1")
    first = [choose_scenario(1, f"key-{i}") for i in range(40)]
    other_seed = [choose_scenario(2, f"key-{i}") for i in range(40)]
    assert first != other_seed


def test_default_mix_is_mostly_paid_with_some_of_each_problem():
    counts = Counter(choose_scenario(7, f"F-{i}").name for i in range(1000))
    assert counts[ScenarioName.PAID] > 600
    for name in (ScenarioName.SUSPENDED, ScenarioName.TO_RECYCLE, ScenarioName.REJECTED):
        assert 30 < counts[name] < 200, counts
    assert counts[ScenarioName.NO_ACTION] == 0  # only by override


@pytest.mark.parametrize(
    ("override", "statuses", "resumes"),
    [
        ("PAYE", ["SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"], False),
        ("SUSPENDUE", ["SUSPENDUE"], True),
        ("A_RECYCLER", ["A_RECYCLER"], True),
        ("REJETEE", ["REJETEE"], False),
        ("SANS_SUITE", [], False),
        ("suspendue", ["SUSPENDUE"], True),
    ],
)
def test_overrides(override, statuses, resumes):
    scenario = choose_scenario(3, "k", override)
    assert scenario.name == override.upper()
    assert [step.status for step in scenario.steps] == statuses
    assert [step.status for step in scenario.resume] == (
        ["SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"] if resumes else []
    )


def test_unknown_override_is_refused():
    with pytest.raises(ValueError, match="PAYE"):
        choose_scenario(3, "k", "PAID")


def test_recipient_not_reporting_payment_stops_at_mandatee():
    for override in ("PAYE", "SUSPENDUE"):
        scenario = choose_scenario(3, "k", override, payment_status_not_reported=True)
        path = scenario.resume or scenario.steps
        assert path[-1].status is S.MANDATEE
        assert all(step.status is not S.MISE_EN_PAIEMENT for step in (*scenario.steps, *scenario.resume))


def test_steps_carry_motifs_and_mandate_numbers():
    for i in range(200):
        scenario = choose_scenario(11, f"F-{i}")
        for step in (*scenario.steps, *scenario.resume):
            assert step.delay_seconds > 0
            assert step.comment.isascii()
            if motif_required(step.status):
                assert step.comment
            assert (step.mandate_number is not None) is (step.status is S.MANDATEE)


def test_happy_path_fits_in_the_documented_maximum():
    longest = max(choose_scenario(5, f"F-{i}", "PAYE").total_delay_seconds for i in range(300))
    assert 3 * 86_400 <= longest <= MAX_HAPPY_PATH_SECONDS


def walk(scenario: Scenario) -> list[str]:
    """Play a scenario against the transition tables, with the supplier completing / recycling."""
    status = "MISE_A_DISPOSITION"
    seen = [status]

    def go(steps):
        nonlocal status
        for step in steps:
            assert recipient_may_set(status, step.status), (status, step.status)
            status = step.status
            seen.append(status)

    go(scenario.steps)
    if can_complete(status):
        status = "COMPLETEE"
        seen.append(status)
        go(scenario.resume)
    elif can_recycle(status):
        status = "DEPOSEE"
        seen.append(status)
        for step in ROUTING_STEPS:
            status = step.status
            seen.append(status)
        go(scenario.resume)
    return seen


@pytest.mark.parametrize("override", [None, *ScenarioName])
def test_every_scenario_follows_the_transition_tables(override):
    for i in range(50):
        seen = walk(choose_scenario(9, f"F-{i}", override))
        final = seen[-1]
        expected = {
            ScenarioName.REJECTED: "REJETEE",
            ScenarioName.NO_ACTION: "MISE_A_DISPOSITION",
        }.get(override, "MISE_EN_PAIEMENT")
        if override is None:
            assert final in {"MISE_EN_PAIEMENT", "REJETEE"}
        else:
            assert final == expected


def test_scenario_from_note():
    assert scenario_from_note("Livraison mars - SCENARIO=suspendue") == "SUSPENDUE"
    assert scenario_from_note("scenario: A_RECYCLER") == "A_RECYCLER"
    assert scenario_from_note("SCENARIO=PAID") is None
    assert scenario_from_note(None) is None


def test_flux_status_values_are_wire_strings():
    assert FluxStatus.PARTIALLY_INTEGRATED == "IN_INTEGRE_PARTIEL"
    assert {str(s) for s in S} <= set(ALL_INVOICE_STATUS_CODES)


def test_a_given_motif_replaces_the_drawn_one_and_keeps_the_timing():
    motif = unknown_engagement_motif("EJ-1")
    for name in ("SUSPENDUE", "A_RECYCLER", "REJETEE"):
        drawn = choose_scenario(4, "k", name)
        given = choose_scenario(4, "k", name, motif=motif)
        assert given.steps[0].comment == motif and given.steps[0].comment != drawn.steps[0].comment
        assert given.steps[0].delay_seconds == drawn.steps[0].delay_seconds and given.resume == drawn.resume
    assert choose_scenario(4, "k", "PAYE", motif=motif) == choose_scenario(4, "k", "PAYE")
    for text in (motif, closed_engagement_motif("EJ-1")):
        assert "EJ-1" in text and text.isascii() and len(text) <= 200
