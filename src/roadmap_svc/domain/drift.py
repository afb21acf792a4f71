"""Drift: what changed in a quarter's plan since a baseline, against a later snapshot of it
(now, or as of a past time). Pure, no I/O.

Each initiative of the baseline is in one place at most: cancelled (its status now), deferred
(proposed again, by a defer: planned then, or a candidate then moved to a later quarter),
removed (no longer in the plan otherwise: completed, rejected, its quarter changed), or status
changed (still in the plan, another status). Added: in the plan now, not in the baseline.
Milestones (of the initiatives of either plan): slipped (the target moved later; the re-plans
since the baseline say by whom and why), pulled in (earlier), added. Allocations: the FTE per
team of each initiative in both plans, where it differs (0: none); an initiative that came or
went brings or takes its own. Capacities: each team's capacity in the quarter, where it
differs. Totals: every total of the plan, then, now and the change.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from roadmap_svc.domain.baselines import (
    BaselineInitiative,
    BaselineMilestone,
    BaselineStanding,
    PlanSnapshot,
)
from roadmap_svc.domain.milestones import Slip

CANCELLED = "cancelled"
PROPOSED = "proposed"


class InitiativeDrift(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    status_then: str | None  # None: not in the baseline
    status_now: str | None  # None: unknown then (it did not exist)
    quarter_now: str | None


class MilestoneDrift(msgspec.Struct, frozen=True, kw_only=True):
    initiative_id: UUID
    milestone_id: UUID
    title: str
    target_then: date | None  # None: added since
    target_now: date
    days: int  # later (+) or earlier (-)
    replans: tuple[Slip, ...]  # since the baseline: from, to, reason, who, when


class AllocationDrift(msgspec.Struct, frozen=True, kw_only=True):
    initiative_id: UUID
    team_id: UUID
    fte_then: float
    fte_now: float
    change: float


class CapacityDrift(msgspec.Struct, frozen=True, kw_only=True):
    team_id: UUID
    name: str
    fte_then: float | None  # None: not in the plan then
    fte_now: float | None
    change: float | None


class TotalDrift(msgspec.Struct, frozen=True, kw_only=True):
    then: float | None
    now: float | None
    change: float | None


class Drift(msgspec.Struct, frozen=True, kw_only=True):
    quarter: str
    baseline: str
    baseline_position: int
    against_position: int
    added: tuple[InitiativeDrift, ...]
    removed: tuple[InitiativeDrift, ...]
    deferred: tuple[InitiativeDrift, ...]
    cancelled: tuple[InitiativeDrift, ...]
    status_changed: tuple[InitiativeDrift, ...]
    milestones_slipped: tuple[MilestoneDrift, ...]
    milestones_pulled_in: tuple[MilestoneDrift, ...]
    milestones_added: tuple[MilestoneDrift, ...]
    allocations_changed: tuple[AllocationDrift, ...]
    capacities_changed: tuple[CapacityDrift, ...]
    totals: dict[str, TotalDrift]


def drift(name: str, then: PlanSnapshot, now: PlanSnapshot) -> Drift:
    """What changed from the baseline `name` (`then`) to `now`; `now.standings` must name
    every initiative of both plans."""
    lines_then = {i.id: i for i in then.initiatives}
    lines_now = {i.id: i for i in now.initiatives}
    standing = {s.id: s for s in now.standings}
    places: dict[str, list[InitiativeDrift]] = {
        "removed": [],
        "deferred": [],
        "cancelled": [],
        "status_changed": [],
    }
    for initiative_id, line in lines_then.items():
        current = lines_now.get(initiative_id)
        place = _place(now.quarter, line, current, standing.get(initiative_id))
        if place is not None:
            places[place].append(_initiative(line, current, standing.get(initiative_id)))
    added = [
        _initiative(None, line, standing.get(line.id))
        for line in now.initiatives
        if line.id not in lines_then
    ]
    slipped, pulled_in, milestones_added = _milestones(then.milestones, now.milestones)
    return Drift(
        quarter=now.quarter,
        baseline=name,
        baseline_position=then.position,
        against_position=now.position,
        added=tuple(added),
        removed=tuple(places["removed"]),
        deferred=tuple(places["deferred"]),
        cancelled=tuple(places["cancelled"]),
        status_changed=tuple(places["status_changed"]),
        milestones_slipped=slipped,
        milestones_pulled_in=pulled_in,
        milestones_added=milestones_added,
        allocations_changed=_allocations(then.initiatives, now.initiatives),
        capacities_changed=_capacities(then, now),
        totals=_totals(then.totals, now.totals),
    )


def _place(
    quarter: str,
    then: BaselineInitiative,
    now: BaselineInitiative | None,
    standing: BaselineStanding | None,
) -> str | None:
    if standing is not None and standing.status == CANCELLED:
        return "cancelled"
    if standing is not None and standing.status == PROPOSED:
        deferred_here = then.status != PROPOSED and now is not None
        if deferred_here or (now is None and standing.quarter != quarter):
            return "deferred"
    if now is None:
        return "removed"
    return "status_changed" if now.status != then.status else None


def _initiative(
    then: BaselineInitiative | None,
    now: BaselineInitiative | None,
    standing: BaselineStanding | None,
) -> InitiativeDrift:
    known = now or then
    assert known is not None  # noqa: S101 - one of the two plans has it
    return InitiativeDrift(
        id=known.id,
        title=standing.title if standing is not None else known.title,
        status_then=None if then is None else then.status,
        status_now=standing.status if standing is not None else known.status,
        quarter_now=None if standing is None else standing.quarter,
    )


def _milestones(
    then: tuple[BaselineMilestone, ...], now: tuple[BaselineMilestone, ...]
) -> tuple[tuple[MilestoneDrift, ...], tuple[MilestoneDrift, ...], tuple[MilestoneDrift, ...]]:
    before = {(m.initiative_id, m.id): m for m in then}
    slipped, pulled_in, added = [], [], []
    for milestone in now:
        old = before.get((milestone.initiative_id, milestone.id))
        days = 0 if old is None else (milestone.target_date - old.target_date).days
        moved = MilestoneDrift(
            initiative_id=milestone.initiative_id,
            milestone_id=milestone.id,
            title=milestone.title,
            target_then=None if old is None else old.target_date,
            target_now=milestone.target_date,
            days=days,
            replans=milestone.slips[0 if old is None else len(old.slips) :],
        )
        if old is None:
            added.append(moved)
        elif days > 0:
            slipped.append(moved)
        elif days < 0:
            pulled_in.append(moved)
    return tuple(slipped), tuple(pulled_in), tuple(added)


def _allocations(
    then: tuple[BaselineInitiative, ...], now: tuple[BaselineInitiative, ...]
) -> tuple[AllocationDrift, ...]:
    def by_team(lines: tuple[BaselineInitiative, ...]) -> dict[tuple[UUID, UUID], float]:
        return {(i.id, t.team_id): t.fte for i in lines for t in i.teams}

    both = {i.id for i in then} & {i.id for i in now}
    before = {k: v for k, v in by_team(then).items() if k[0] in both}
    after = {k: v for k, v in by_team(now).items() if k[0] in both}
    changed = []
    for initiative_id, team_id in dict.fromkeys([*before, *after]):
        old = before.get((initiative_id, team_id), 0.0)
        new = after.get((initiative_id, team_id), 0.0)
        if old != new:
            changed.append(
                AllocationDrift(
                    initiative_id=initiative_id,
                    team_id=team_id,
                    fte_then=old,
                    fte_now=new,
                    change=round(new - old, 2),
                )
            )
    return tuple(changed)


def _capacities(then: PlanSnapshot, now: PlanSnapshot) -> tuple[CapacityDrift, ...]:
    before = {t.id: t for t in then.teams}
    after = {t.id: t for t in now.teams}
    changed = []
    for team_id in dict.fromkeys([*before, *after]):
        old, new = before.get(team_id), after.get(team_id)
        fte_then = None if old is None else old.capacity_fte
        fte_now = None if new is None else new.capacity_fte
        if fte_then != fte_now:
            named = new or old
            assert named is not None  # noqa: S101 - one of the two plans has it
            changed.append(
                CapacityDrift(
                    team_id=team_id,
                    name=named.name,
                    fte_then=fte_then,
                    fte_now=fte_now,
                    change=_change(fte_then, fte_now),
                )
            )
    return tuple(changed)


def _totals(then: dict[str, float | None], now: dict[str, float | None]) -> dict[str, TotalDrift]:
    return {
        key: TotalDrift(
            then=then.get(key), now=now.get(key), change=_change(then.get(key), now.get(key))
        )
        for key in dict.fromkeys([*then, *now])
    }


def _change(then: float | None, now: float | None) -> float | None:
    return None if then is None or now is None else round(now - then, 2)
