"""The initiative lifecycle: which decision is allowed in which status, and where it leads."""

from __future__ import annotations

from enum import StrEnum

from roadmap_svc.domain.errors import InvalidTransitionError


class Status(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class DecisionKind(StrEnum):
    APPROVE = "approve"
    START = "start"
    REJECT = "reject"
    DEFER = "defer"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    COMPLETE = "complete"


OPEN_STATUSES = frozenset({Status.PROPOSED, Status.APPROVED, Status.IN_PROGRESS, Status.PAUSED})

# Reject, defer (back to proposed, for a later quarter) and cancel are open to every open status.
_FROM_ANY_OPEN = {
    DecisionKind.REJECT: Status.REJECTED,
    DecisionKind.DEFER: Status.PROPOSED,
    DecisionKind.CANCEL: Status.CANCELLED,
}

TRANSITIONS: dict[Status, dict[DecisionKind, Status]] = {
    Status.PROPOSED: {DecisionKind.APPROVE: Status.APPROVED, **_FROM_ANY_OPEN},
    Status.APPROVED: {
        DecisionKind.START: Status.IN_PROGRESS,
        DecisionKind.PAUSE: Status.PAUSED,
        DecisionKind.COMPLETE: Status.COMPLETED,
        **_FROM_ANY_OPEN,
    },
    Status.IN_PROGRESS: {
        DecisionKind.PAUSE: Status.PAUSED,
        DecisionKind.COMPLETE: Status.COMPLETED,
        **_FROM_ANY_OPEN,
    },
    Status.PAUSED: {DecisionKind.RESUME: Status.IN_PROGRESS, **_FROM_ANY_OPEN},
    Status.COMPLETED: {},
    Status.REJECTED: {},
    Status.CANCELLED: {},
}


def allowed_decisions(status: Status) -> tuple[DecisionKind, ...]:
    return tuple(TRANSITIONS[status])


def next_status(status: Status, decision: DecisionKind) -> Status:
    """The status a decision leads to, or InvalidTransitionError naming the allowed ones."""
    try:
        return TRANSITIONS[status][decision]
    except KeyError:
        raise InvalidTransitionError(
            status.value, decision.value, [kind.value for kind in allowed_decisions(status)]
        ) from None
