"""Typed domain errors; the API maps them to problem details in one place."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID


class DomainError(Exception):
    """Base of every rule the domain refuses."""


class InvalidValueError(DomainError):
    """A value breaks a domain rule; `field` names it for the client."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidTransitionError(DomainError):
    def __init__(self, status: str, decision: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (the initiative is closed)"
        super().__init__(
            f"cannot {decision} an initiative that is {status}; allowed decisions: {allowed_text}"
        )
        self.status = status
        self.decision = decision
        self.allowed = tuple(allowed)


class InitiativeClosedError(DomainError):
    def __init__(self, status: str) -> None:
        super().__init__(f"the initiative is {status} and can no longer be changed")
        self.status = status


class StakeholderExistsError(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(f"stakeholder {name!r} is already consulted on this initiative")
        self.name = name


class UnknownStakeholderError(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no stakeholder named {name!r} on this initiative")
        self.name = name


class NothingToChangeError(DomainError):
    def __init__(self) -> None:
        super().__init__("the revision changes nothing")


class NotFoundError(DomainError):
    def __init__(self, kind: str, identifier: object) -> None:
        super().__init__(f"{kind} {identifier} not found")
        self.kind = kind
        self.identifier = identifier


class VersionMismatchError(DomainError):
    """The client's expected version (If-Match) is not the current one."""

    def __init__(self, expected: int, actual: int | None) -> None:
        current = "newer" if actual is None else str(actual)
        super().__init__(f"expected version {expected}, but the current version is {current}")
        self.expected = expected
        self.actual = actual


class ConcurrentWriteError(DomainError):
    """Another writer saved this aggregate first; nothing of this command was stored."""

    def __init__(self) -> None:
        super().__init__("another change was saved first; reload and try again")


class ConflictError(DomainError):
    """The command conflicts with what is already recorded; `kind` names the conflict."""

    kind = "conflict"


class TeamNameTakenError(ConflictError):
    kind = "team-name-taken"

    def __init__(self, name: str, team_id: UUID) -> None:
        super().__init__(f"team {team_id} is named {name!r} already (names ignore case)")
        self.name = name
        self.team_id = team_id


class BaselineNameTakenError(ConflictError):
    kind = "baseline-name-taken"

    def __init__(self, quarter: str, name: str) -> None:
        super().__init__(f"{quarter} has a baseline named {name!r} already (names ignore case)")
        self.quarter = quarter
        self.name = name


class ExternalKeyTakenError(ConflictError):
    kind = "external-key-taken"

    def __init__(self, system: str, key: str, linked_to: str) -> None:
        super().__init__(f"{system} key {key!r} is already linked to {linked_to}")
        self.system = system
        self.key = key
        self.linked_to = linked_to


class DuplicateDependencyError(ConflictError):
    kind = "duplicate-dependency"

    def __init__(self) -> None:
        super().__init__("this milestone already depends on that milestone")


class DependencyCycleError(ConflictError):
    kind = "dependency-cycle"

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("the dependency would close a cycle: " + " -> ".join(cycle))
        self.cycle = cycle


class AssignmentExistsError(ConflictError):
    kind = "assignment-exists"

    def __init__(self) -> None:
        super().__init__("this team (and person) is already assigned for that quarter")


class AssignmentReleasedError(ConflictError):
    kind = "assignment-released"

    def __init__(self) -> None:
        super().__init__("the assignment was released and can no longer be changed")


class MetricExistsError(ConflictError):
    kind = "metric-exists"

    def __init__(self, name: str) -> None:
        super().__init__(f"a metric named {name!r} is already defined on this initiative")


class MilestoneTransitionError(DomainError):
    def __init__(self, operation: str, status: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (the milestone is closed)"
        super().__init__(
            f"cannot {operation} a milestone that is {status}; allowed: {allowed_text}"
        )
        self.operation = operation
        self.status = status
        self.allowed = tuple(allowed)
