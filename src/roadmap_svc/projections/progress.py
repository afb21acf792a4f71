"""The progress view: each initiative's status and pauses, each milestone as the domain sees
it (targets, slips, dependencies) with the day it started. Pure, no I/O.

What depends on today (days late, days paused so far, health) is not stored: `health`
computes it at read time from these rows and a clock.
"""

from __future__ import annotations

from datetime import date
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec

from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.domain.details import InitiativeProposed, InitiativeRevised
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.lifecycle import Status
from roadmap_svc.domain.milestones import (
    Milestone,
    MilestoneAdded,
    MilestoneEvent,
    MilestoneStarted,
)
from roadmap_svc.projections.kit import Index, Rows, Table, View


class ProgressInitiative(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    owner: str
    status: str
    quarter: str | None
    paused_since: date | None  # the day the current pause began (occurred time)
    days_paused_before: int  # days of the pauses that ended
    revisit_on: date | None  # set by a defer, until the next decision
    last_event_on: date  # the day (occurred time) of its latest event
    proposed_position: int  # orders the portfolio
    position: int  # the last event of this initiative folded in


class ProgressMilestone(msgspec.Struct, frozen=True, kw_only=True):
    initiative_id: UUID
    id: UUID
    milestone: Milestone  # as the domain holds it: targets, status, slips, dependencies
    started_on: date | None
    position: int


INITIATIVES = Table(
    "progress_initiatives",
    ProgressInitiative,
    key=("id",),
    indexes=(
        Index(("proposed_position",), unique=True),
        Index(("status", "proposed_position")),
        Index(("quarter", "proposed_position")),
        Index(("owner", "proposed_position")),
        Index(("revisit_on",)),
        Index(("last_event_on",)),
    ),
)
MILESTONES = Table("progress_milestones", ProgressMilestone, key=("initiative_id", "id"))


def _apply(rows: Rows, domain_event: Any, position: int) -> None:  # noqa: ANN401 - any event
    fold(domain_event, rows, position)


def _changes(rows: Rows) -> dict[str, list[str]]:
    return {"initiatives": [str(key[0]) for key in rows.changed(INITIATIVES)]}


VIEW = View("progress", (INITIATIVES, MILESTONES), _apply, changes=_changes, as_of=True)


@singledispatch
def fold(domain_event: object, rows: Rows, position: int) -> None:
    # Other events of an initiative (stakeholders, assignments, metrics...) only date it.
    if isinstance(domain_event, RoadmapEvent):
        found = rows.get(INITIATIVES, domain_event.originator_id)
        if found is not None:
            _change(rows, found.id, position, last_event_on=domain_event.occurred_at.date())


@fold.register
def _(domain_event: InitiativeProposed, rows: Rows, position: int) -> None:
    rows.put(
        INITIATIVES,
        ProgressInitiative(
            id=domain_event.originator_id,
            title=domain_event.title,
            owner=domain_event.owner,
            status=Status.PROPOSED.value,
            quarter=None,
            paused_since=None,
            days_paused_before=0,
            revisit_on=None,
            last_event_on=domain_event.occurred_at.date(),
            proposed_position=position,
            position=position,
        ),
    )


@fold.register
def _(domain_event: InitiativeRevised, rows: Rows, position: int) -> None:
    changes = {f: getattr(domain_event, f) for f in ("title", "owner") if getattr(domain_event, f)}
    _change(rows, domain_event.originator_id, position, **changes, **_dated(domain_event))


@fold.register
def _(domain_event: DecisionTaken, rows: Rows, position: int) -> None:
    initiative = _initiative(rows, domain_event.originator_id)
    day = domain_event.occurred_at.date()
    changes: dict[str, Any] = {
        "status": domain_event.status_after.value,
        "revisit_on": domain_event.revisit_on,  # a defer sets it, any other decision clears it
    }
    if domain_event.quarter is not None:
        changes["quarter"] = domain_event.quarter
    if domain_event.status_after is Status.PAUSED:
        changes["paused_since"] = day
    elif initiative.paused_since is not None:  # resumed, or closed while paused
        changes["paused_since"] = None
        changes["days_paused_before"] = (
            initiative.days_paused_before + (day - initiative.paused_since).days
        )
    _change(rows, domain_event.originator_id, position, **changes, **_dated(domain_event))


@fold.register
def _(domain_event: MilestoneEvent, rows: Rows, position: int) -> None:
    key = (domain_event.originator_id, domain_event.milestone_id)
    if isinstance(domain_event, MilestoneAdded):
        row = ProgressMilestone(
            initiative_id=domain_event.originator_id,
            id=domain_event.milestone_id,
            milestone=Milestone(
                id=domain_event.milestone_id,
                title=domain_event.title,
                success_criteria=domain_event.success_criteria,
                target_date=domain_event.target_date,
                original_target_date=domain_event.target_date,
            ),
            started_on=None,
            position=position,
        )
    else:
        found = rows.get(MILESTONES, *key)
        if found is None:
            msg = f"an event of milestone {key} before it was added"
            raise ValueError(msg)
        started_on = found.started_on
        if isinstance(domain_event, MilestoneStarted):
            started_on = domain_event.occurred_at.date()
        row = msgspec.structs.replace(
            found,
            milestone=domain_event.changed(found.milestone),
            started_on=started_on,
            position=position,
        )
    rows.put(MILESTONES, row)
    _change(rows, domain_event.originator_id, position, **_dated(domain_event))


def _initiative(rows: Rows, initiative_id: UUID) -> ProgressInitiative:
    found = rows.get(INITIATIVES, initiative_id)
    if found is None:
        msg = f"an event of initiative {initiative_id} before its proposal"
        raise ValueError(msg)
    return found


def _change(rows: Rows, initiative_id: UUID, position: int, **changes: Any) -> None:  # noqa: ANN401
    initiative = _initiative(rows, initiative_id)
    rows.put(INITIATIVES, msgspec.structs.replace(initiative, position=position, **changes))


def _dated(domain_event: RoadmapEvent) -> dict[str, Any]:
    return {"last_event_on": domain_event.occurred_at.date()}
