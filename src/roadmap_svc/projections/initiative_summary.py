"""The initiative summary view: one row per initiative, folded from its events. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import singledispatch
from typing import Any
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
from roadmap_svc.projections.kit import Index, Rows, Table, View


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
    stakeholders_without_stance: tuple[str, ...]
    version: int
    proposed_at: datetime
    updated_at: datetime
    proposed_position: int  # orders lists stably: it never changes
    position: int  # position of the last event folded in


SUMMARIES = Table(
    "initiative_summary_view",
    InitiativeSummary,
    key=("id",),
    # Lists page by proposed_position (stable under concurrent writes) within each filter.
    indexes=(
        Index(("proposed_position",), unique=True),
        Index(("status", "proposed_position")),
        Index(("quarter", "proposed_position")),
        Index(("owner", "proposed_position")),
        Index(("tags",), using="gin"),
    ),
)


def _apply(rows: Rows, domain_event: Any, position: int) -> None:  # noqa: ANN401 - any event
    if not isinstance(domain_event, Aggregate.Event):
        return
    current = rows.get(SUMMARIES, domain_event.originator_id)
    updated = summarise(domain_event, current, position)
    if updated is not None and updated is not current:
        rows.put(SUMMARIES, updated)


def _changes(rows: Rows) -> dict[str, list[str]]:
    return {"initiatives": [str(key[0]) for key in rows.changed(SUMMARIES)]}


VIEW = View("initiative_summary", (SUMMARIES,), _apply, changes=_changes)


def fold(
    events: Iterable[tuple[Aggregate.Event, int]], summary: InitiativeSummary | None = None
) -> InitiativeSummary | None:
    """One initiative's (event, position) pairs folded into its summary, as the view does."""
    for domain_event, position in events:
        summary = summarise(domain_event, summary, position)
    return summary


@singledispatch
def summarise(
    domain_event: Aggregate.Event, summary: InitiativeSummary | None, position: int
) -> InitiativeSummary | None:
    # Events of other aggregates find no row; other initiative events (milestones,
    # assignments, ...) only move its version, so the list agrees with the ETag.
    if summary is None:
        return None
    return _touch(summary, domain_event, position)


@summarise.register
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
        stakeholders_without_stance=(),
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


@summarise.register
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


@summarise.register
def _(
    domain_event: InitiativeStakeholderAdded, summary: InitiativeSummary | None, position: int
) -> InitiativeSummary:
    added = Stakeholder(name=domain_event.name, role=domain_event.role)
    existing = summary.stakeholders if summary else ()
    return _touch(summary, domain_event, position, **_with_stakeholders((*existing, added)))


@summarise.register
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
    return _touch(summary, domain_event, position, **_with_stakeholders(stakeholders))


def _with_stakeholders(stakeholders: tuple[Stakeholder, ...]) -> dict[str, object]:
    return {
        "stakeholders": stakeholders,
        "stakeholders_without_stance": tuple(s.name for s in stakeholders if s.stance is None),
    }


@summarise.register
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
