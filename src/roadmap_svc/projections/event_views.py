"""History entries and decision records: read shapes of single events. Pure, no I/O."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec

from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.lifecycle import DecisionKind, Status

_ENVELOPE = frozenset(
    {"originator_id", "originator_version", "originator_topic", "timestamp", "meta"}
)


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    time: datetime  # when it was recorded (as recorded_at; kept for existing clients)
    recorded_at: datetime  # when we stored it: the audit axis
    occurred_at: datetime  # when it happened: recorded_at unless imported from another tool
    actor: str
    reason: str | None
    request_id: str | None
    idempotency_key: str | None  # the client's, if the write sent one
    data: dict[str, Any]
    version: int
    position: int


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """A decision as the log shows it: the recorded event, in the decision log's words."""

    kind: DecisionKind
    status_before: Status
    status_after: Status
    rationale: str
    decided_by: str
    alternatives_considered: tuple[str, ...]
    quarter: str | None
    revisit_on: date | None
    # Stakeholders who had recorded no stance when the initiative was approved.
    stakeholders_without_stance: tuple[str, ...]
    recorded_by: str
    recorded_at: datetime
    occurred_at: datetime
    initiative_id: UUID
    version: int
    position: int


def event_type_name(domain_event: object) -> str:
    """The stable type name clients and auditors see: InitiativeApproved, MilestoneAdded..."""
    if isinstance(domain_event, RoadmapEvent):
        return domain_event.type_name
    return type(domain_event).__name__


def history_entry(domain_event: RoadmapEvent, position: int) -> HistoryEntry:
    state = vars(domain_event)
    meta = domain_event.meta
    return HistoryEntry(
        type=domain_event.type_name,
        time=domain_event.timestamp,
        recorded_at=domain_event.timestamp,
        occurred_at=domain_event.occurred_at,
        actor=meta.actor,
        reason=meta.reason,
        request_id=meta.request_id,
        idempotency_key=meta.idempotency_key,
        data=msgspec.to_builtins({k: v for k, v in state.items() if k not in _ENVELOPE}),
        version=domain_event.originator_version,
        position=position,
    )


def decision_record(domain_event: DecisionTaken, position: int) -> Decision:
    return Decision(
        kind=domain_event.kind,
        status_before=domain_event.status_before,
        status_after=domain_event.status_after,
        rationale=domain_event.rationale,
        decided_by=domain_event.decided_by,
        alternatives_considered=domain_event.alternatives_considered,
        quarter=domain_event.quarter,
        revisit_on=domain_event.revisit_on,
        stakeholders_without_stance=domain_event.stakeholders_without_stance,
        recorded_by=domain_event.meta.actor,
        recorded_at=domain_event.timestamp,
        occurred_at=domain_event.occurred_at,
        initiative_id=domain_event.originator_id,
        version=domain_event.originator_version,
        position=position,
    )
