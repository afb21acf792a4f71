"""History entries and decision records: read shapes of single events. Pure, no I/O."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind, Status
from roadmap_svc.domain.meta import EventMeta

_ENVELOPE = frozenset(
    {"originator_id", "originator_version", "originator_topic", "timestamp", "meta"}
)


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    time: datetime
    actor: str
    reason: str | None
    data: dict[str, Any]
    version: int
    position: int


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """A decision as the log shows it: the recorded event, in the decision log's words."""

    kind: DecisionKind
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
    initiative_id: UUID
    version: int
    position: int


def event_type_name(domain_event: object) -> str:
    # Initiative.Approved -> InitiativeApproved: the name clients and auditors see.
    return type(domain_event).__qualname__.replace(".", "")


def history_entry(domain_event: Aggregate.Event, position: int) -> HistoryEntry:
    state = vars(domain_event)
    meta: EventMeta = state["meta"]
    return HistoryEntry(
        type=event_type_name(domain_event),
        time=domain_event.timestamp,
        actor=meta.actor,
        reason=meta.reason,
        data=msgspec.to_builtins({k: v for k, v in state.items() if k not in _ENVELOPE}),
        version=domain_event.originator_version,
        position=position,
    )


def decision_record(domain_event: Initiative.DecisionTaken, position: int) -> Decision:
    quarter = None
    revisit_on = None
    left_out: tuple[str, ...] = ()
    if isinstance(domain_event, Initiative.Approved):
        quarter = domain_event.quarter
        left_out = domain_event.stakeholders_without_stance
    elif isinstance(domain_event, Initiative.Deferred):
        quarter = domain_event.to_quarter
        revisit_on = domain_event.revisit_on
    return Decision(
        kind=domain_event.kind,
        status_after=domain_event.leads_to,
        rationale=domain_event.rationale,
        decided_by=domain_event.decided_by,
        alternatives_considered=domain_event.alternatives_considered,
        quarter=quarter,
        revisit_on=revisit_on,
        stakeholders_without_stance=left_out,
        recorded_by=domain_event.meta.actor,
        recorded_at=domain_event.timestamp,
        initiative_id=domain_event.originator_id,
        version=domain_event.originator_version,
        position=position,
    )
