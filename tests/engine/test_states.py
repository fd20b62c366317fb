"""The state machine: which transitions and actions each status allows, and how a refusal reads."""

from __future__ import annotations

import pytest

from chorus_connect.engine.errors import ForbiddenActionError
from chorus_connect.engine.states import (
    TRANSITIONS,
    Action,
    allowed_actions,
    is_chorus_terminal,
    require_action,
    require_transition,
)
from chorus_connect.store import InvoiceRecord, InvoiceStatus

S = InvoiceStatus


def invoice(
    status: InvoiceStatus, chorus: str | None = None, *, terminal: bool = False, type_code: str = "380"
):
    return InvoiceRecord(
        id=7, number="F-7", status=status, chorus_status=chorus, is_terminal=terminal, type_code=type_code
    )


@pytest.mark.parametrize(
    ("status", "chorus", "terminal", "expected"),
    [
        (S.IMPORTED, None, False, ["edit", "check", "withdraw"]),
        (S.CHECKED, None, False, ["edit", "check", "queue", "withdraw"]),
        (S.CHECK_FAILED, None, False, ["edit", "check", "withdraw"]),
        (S.QUEUED, None, False, ["edit", "withdraw"]),
        (S.DEPOSITING, None, False, []),
        (S.DEPOSITED, None, False, []),
        (S.INTEGRATED, "MISE_A_DISPOSITION", False, []),
        (S.INTEGRATED, "SUSPENDUE", False, ["complete"]),
        (S.INTEGRATED, "A_RECYCLER", False, ["recycle"]),
        (S.INTEGRATED, "REJETEE", True, ["resend", "cancel"]),
        (S.INTEGRATED, "MISE_EN_PAIEMENT", True, ["cancel"]),
        (S.INTEGRATED, "MANDATEE", False, []),
        (S.INTEGRATED, "MANDATEE", True, ["cancel"]),  # a recipient that never reports payment
        (S.REFUSED_AT_INTEGRATION, None, True, ["resend"]),
        (S.WITHDRAWN, None, True, []),
    ],
)
def test_each_status_allows_its_actions(status, chorus, terminal, expected):
    assert [a.value for a in allowed_actions(invoice(status, chorus, terminal=terminal))] == expected


def test_a_credit_note_cannot_be_cancelled_by_another():
    assert allowed_actions(invoice(S.INTEGRATED, "MISE_EN_PAIEMENT", terminal=True, type_code="381")) == []


def test_a_forbidden_action_names_the_status_the_rule_and_what_is_allowed():
    with pytest.raises(ForbiddenActionError) as refused:
        require_action(invoice(S.INTEGRATED, "MISE_A_DISPOSITION"), Action.COMPLETE)
    text = str(refused.value)
    assert "F-7 (id 7) is integrated, Chorus status MISE_A_DISPOSITION" in text
    assert "'complete' is only possible when Chorus Pro shows the invoice SUSPENDUE" in text
    assert "Allowed now: none" in text and "What to do" in text
    with pytest.raises(ForbiddenActionError, match="Allowed now: edit, check, withdraw"):
        require_action(invoice(S.CHECK_FAILED), Action.QUEUE)


def test_forbidden_transitions_are_refused_and_allowed_ones_pass():
    require_transition(invoice(S.QUEUED), S.DEPOSITING)
    require_transition(invoice(S.DEPOSITING), S.INTEGRATED)  # found by the resolution
    for status, targets in TRANSITIONS.items():
        for target in S:
            if target in targets:
                require_transition(invoice(status), target)
            else:
                with pytest.raises(ForbiddenActionError, match=f"cannot become {target.value}"):
                    require_transition(invoice(status), target)
    # Nothing leaves a final status, and a deposit can never go back to checked.
    assert TRANSITIONS[S.WITHDRAWN] == {S.WITHDRAWN}
    assert S.CHECKED not in TRANSITIONS[S.DEPOSITED]


@pytest.mark.parametrize(
    ("status", "not_reported", "terminal"),
    [
        ("MISE_EN_PAIEMENT", False, True),
        ("REJETEE", False, True),
        ("MANDATEE", False, False),
        ("MANDATEE", True, True),
        ("COMPTABILISEE", True, True),
        ("SUSPENDUE", True, False),
        (None, False, False),
    ],
)
def test_terminal_chorus_statuses(status, not_reported, terminal):
    assert is_chorus_terminal(status, payment_not_reported=not_reported) is terminal


def test_the_package_exports_resolve_lazily():
    import chorus_connect.engine as engine

    assert all(getattr(engine, name) is not None for name in engine.__all__)
    with pytest.raises(AttributeError):
        engine.NoSuchThing  # noqa: B018
