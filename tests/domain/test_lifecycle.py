"""The lifecycle table: every (status, decision) pair is either a documented move or refused."""

from __future__ import annotations

import itertools

import pytest

from roadmap_svc.domain.errors import InvalidTransitionError
from roadmap_svc.domain.lifecycle import (
    OPEN_STATUSES,
    TRANSITIONS,
    DecisionKind,
    Status,
    allowed_decisions,
    next_status,
)

S, D = Status, DecisionKind

# The lifecycle of DESIGN.md section 1, written out pair by pair (not derived from TRANSITIONS).
DOCUMENTED: dict[tuple[Status, DecisionKind], Status] = {
    (S.PROPOSED, D.APPROVE): S.APPROVED,
    (S.PROPOSED, D.REJECT): S.REJECTED,
    (S.PROPOSED, D.DEFER): S.PROPOSED,
    (S.PROPOSED, D.CANCEL): S.CANCELLED,
    (S.APPROVED, D.START): S.IN_PROGRESS,
    (S.APPROVED, D.PAUSE): S.PAUSED,
    (S.APPROVED, D.COMPLETE): S.COMPLETED,
    (S.APPROVED, D.REJECT): S.REJECTED,
    (S.APPROVED, D.DEFER): S.PROPOSED,
    (S.APPROVED, D.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, D.PAUSE): S.PAUSED,
    (S.IN_PROGRESS, D.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, D.REJECT): S.REJECTED,
    (S.IN_PROGRESS, D.DEFER): S.PROPOSED,
    (S.IN_PROGRESS, D.CANCEL): S.CANCELLED,
    (S.PAUSED, D.RESUME): S.IN_PROGRESS,
    (S.PAUSED, D.REJECT): S.REJECTED,
    (S.PAUSED, D.DEFER): S.PROPOSED,
    (S.PAUSED, D.CANCEL): S.CANCELLED,
}
TERMINAL = (S.COMPLETED, S.REJECTED, S.CANCELLED)
ALL_PAIRS = list(itertools.product(Status, DecisionKind))
ALLOWED_PAIRS = [pair for pair in ALL_PAIRS if pair in DOCUMENTED]
REFUSED_PAIRS = [pair for pair in ALL_PAIRS if pair not in DOCUMENTED]


def _id(pair: tuple[Status, DecisionKind]) -> str:
    return f"{pair[0].value}-{pair[1].value}"


def test_the_table_covers_every_status_and_matches_the_documented_lifecycle() -> None:
    assert set(TRANSITIONS) == set(Status)
    table = {
        (status, kind): target
        for status, moves in TRANSITIONS.items()
        for kind, target in moves.items()
    }
    assert table == DOCUMENTED


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=_id)
def test_an_allowed_decision_leads_to_the_documented_status(
    pair: tuple[Status, DecisionKind],
) -> None:
    status, kind = pair
    assert next_status(status, kind) is DOCUMENTED[pair]
    assert kind in allowed_decisions(status)


@pytest.mark.parametrize("pair", REFUSED_PAIRS, ids=_id)
def test_any_other_decision_is_refused_naming_the_allowed_ones(
    pair: tuple[Status, DecisionKind],
) -> None:
    status, kind = pair
    with pytest.raises(InvalidTransitionError) as caught:
        next_status(status, kind)

    error = caught.value
    allowed = allowed_decisions(status)
    assert kind not in allowed
    assert error.allowed == tuple(a.value for a in allowed)
    assert error.allowed == allowed  # StrEnum members equal their values
    assert (error.status, error.decision) == (status.value, kind.value)
    message = str(error)
    assert f"cannot {kind.value}" in message
    assert status.value in message
    for name in allowed:
        assert name.value in message


@pytest.mark.parametrize("status", TERMINAL)
def test_terminal_statuses_allow_nothing(status: Status) -> None:
    assert status not in OPEN_STATUSES
    assert allowed_decisions(status) == ()
    for kind in DecisionKind:
        with pytest.raises(InvalidTransitionError) as caught:
            next_status(status, kind)
        assert caught.value.allowed == ()
        assert "none (the initiative is closed)" in str(caught.value)


def test_open_statuses_are_exactly_those_with_a_way_out() -> None:
    assert {status for status in Status if allowed_decisions(status)} == set(OPEN_STATUSES)


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_reject_defer_and_cancel_are_open_to_every_open_status(status: Status) -> None:
    assert next_status(status, D.REJECT) is S.REJECTED
    assert next_status(status, D.DEFER) is S.PROPOSED
    assert next_status(status, D.CANCEL) is S.CANCELLED


def test_allowed_decisions_keep_the_table_order() -> None:
    assert allowed_decisions(S.PROPOSED) == (D.APPROVE, D.REJECT, D.DEFER, D.CANCEL)
    assert allowed_decisions(S.PAUSED) == (D.RESUME, D.REJECT, D.DEFER, D.CANCEL)
