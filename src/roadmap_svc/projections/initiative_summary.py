"""The initiative summary: one row per initiative, folded from its events. Pure, no I/O.

The same fold serves the projection runner (one event at a time against the stored row) and
in-memory replays (history up to a time, rebuild checks).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import singledispatch
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.domain.details import InitiativeProposed, InitiativeRevised
from roadmap_svc.domain.stakeholders import (
    InitiativeStakeholderAdded,
    InitiativeStanceRecorded,
    Stakeholder,
    stakeholder_key,
)


class InitiativeSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    status: str
    owner: str
    sponsor: str | None
    proposer: str
    quarter: str | None
    tags: tuple[str, ...]
    last_decision: str | None
    stakeholders: tuple[Stakeholder, ...]
    version: int
    proposed_at: datetime
    updated_at: datetime
    proposed_position: int  # orders lists stably: it never changes
    position: int  # position of the last event folded in

    @property
    def stakeholders_without_stance(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stakeholders if s.stance is None)


def fold(
    events: Iterable[tuple[Aggregate.Event, int]],
    summary: InitiativeSummary | None = None,
) -> InitiativeSummary | None:
    """Fold (event, position) pairs of one initiative into its summary."""
    for domain_event, position in events:
        summary = apply(domain_event, summary, position)
    return summary


@singledispatch
def apply(
    domain_event: Aggregate.Event, summary: InitiativeSummary | None, position: int
) -> InitiativeSummary | None:
    # Events of other aggregates find no row; other initiative events (milestones,
    # assignments, ...) only move its version, so the list agrees with the ETag.
    if summary is None:
        return None
    return _touch(summary, domain_event, position)


@apply.register
def _(
    domain_event: InitiativeProposed, summary: InitiativeSummary | None, position: int
) -> InitiativeSummary:
    del summary
    return InitiativeSummary(
        id=domain_event.originator_id,
        title=domain_event.title,
        status="proposed",
        owner=domain_event.owner,
        sponsor=domain_event.sponsor,
        proposer=domain_event.proposer,
        quarter=None,
        tags=domain_event.tags,
        last_decision=None,
        stakeholders=(),
        version=domain_event.originator_version,
        proposed_at=domain_event.timestamp,
        updated_at=domain_event.timestamp,
        proposed_position=position,
        position=position,
    )


def _touch(
    summary: InitiativeSummary | None,
    domain_event: Aggregate.Event,
    position: int,
    **changes: object,
) -> InitiativeSummary:
    if summary is None:
        msg = f"{type(domain_event).__qualname__} before Proposed for {domain_event.originator_id}"
        raise ValueError(msg)
    return msgspec.structs.replace(
        summary,
        version=domain_event.originator_version,
        updated_at=domain_event.timestamp,
        position=position,
        **changes,
    )


@apply.register
def _(
    domain_event: InitiativeRevised, summary: InitiativeSummary | None, position: int
) -> InitiativeSummary:
    changes = {
        field: getattr(domain_event, field)
        for field in ("title", "owner", "sponsor", "tags")
        if getattr(domain_event, field) is not None
    }
    changes.update(dict.fromkeys(domain_event.cleared))
    return _touch(summary, domain_event, position, **changes)


@apply.register
def _(
    domain_event: InitiativeStakeholderAdded, summary: InitiativeSummary | None, position: int
) -> InitiativeSummary:
    added = Stakeholder(name=domain_event.name, role=domain_event.role)
    existing = summary.stakeholders if summary else ()
    return _touch(summary, domain_event, position, stakeholders=(*existing, added))


@apply.register
def _(
    domain_event: InitiativeStanceRecorded, summary: InitiativeSummary | None, position: int
) -> InitiativeSummary:
    key = stakeholder_key(domain_event.name)
    stakeholders = tuple(
        msgspec.structs.replace(s, stance=domain_event.stance, note=domain_event.note)
        if stakeholder_key(s.name) == key
        else s
        for s in (summary.stakeholders if summary else ())
    )
    return _touch(summary, domain_event, position, stakeholders=stakeholders)


@apply.register
def _(
    domain_event: DecisionTaken, summary: InitiativeSummary | None, position: int
) -> InitiativeSummary:
    changes: dict[str, object] = {
        "status": domain_event.status_after.value,
        "last_decision": domain_event.kind.value,
    }
    if domain_event.quarter is not None:  # approve and defer name the quarter
        changes["quarter"] = domain_event.quarter
    return _touch(summary, domain_event, position, **changes)
