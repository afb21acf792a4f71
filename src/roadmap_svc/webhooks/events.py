"""What a webhook says: the public event types, by their stable names, and the payload of one.

The payload's shape is versioned (`version`); a change of meaning gets a new version, never a
silent change. Claims the service keeps for itself (team names, external keys, the milestone
graph) are not events of anyone's roadmap and are not sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from roadmap_svc.domain import decisions, events
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.projections.event_views import history_entry

PAYLOAD_VERSION = 1
_INTERNAL_MODULES = {
    "roadmap_svc.domain.team_names",
    "roadmap_svc.domain.external_refs",
    "roadmap_svc.domain.dependency_graph",
}


class EventData(msgspec.Struct, frozen=True, kw_only=True):
    position: int  # in the global log: the order of events, and this event's id
    aggregate_id: UUID
    aggregate_version: int
    recorded_at: datetime
    occurred_at: datetime
    actor: str
    reason: str | None
    request_id: str | None
    event: dict[str, Any]  # the event's own fields


class WebhookPayload(msgspec.Struct, frozen=True, kw_only=True):
    """The body of every webhook (Standard Webhooks: type, timestamp, data)."""

    type: str  # e.g. InitiativeApproved, MilestoneReplanned
    version: int  # of this payload's shape
    timestamp: datetime  # when the event was recorded
    data: EventData


def is_public(domain_event: object) -> bool:
    return isinstance(domain_event, events.RoadmapEvent) and (
        type(domain_event).__module__ not in _INTERNAL_MODULES
    )


def payload(domain_event: events.RoadmapEvent, position: int) -> WebhookPayload:
    entry = history_entry(domain_event, position)
    return WebhookPayload(
        type=entry.type,
        version=PAYLOAD_VERSION,
        timestamp=entry.recorded_at,
        data=EventData(
            position=position,
            aggregate_id=domain_event.originator_id,
            aggregate_version=entry.version,
            recorded_at=entry.recorded_at,
            occurred_at=entry.occurred_at,
            actor=entry.actor,
            reason=entry.reason,
            request_id=entry.request_id,
            event=entry.data,
        ),
    )


def public_type_names() -> list[str]:
    """Every type a webhook can carry (for filters and the OpenAPI document)."""
    import roadmap_svc.application  # noqa: F401, PLC0415 - every event class, defined

    names = {"Initiative" + decisions.PAST_TENSE[kind] for kind in DecisionKind}
    pending: list[type] = [events.RoadmapEvent]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        leaf = not cls.__subclasses__() and cls is not decisions.DecisionTaken
        ours = cls.__module__ not in {*_INTERNAL_MODULES, events.__name__}
        if leaf and ours:
            names.add(cls.__name__)
    return sorted(names)
