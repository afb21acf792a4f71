"""The quarter plan view: per quarter, which initiatives are planned and which are candidates,
each team's capacity, allocation, load and work in progress, with totals. Pure, no I/O.

The rules (README, *Quarter plan*):
- An initiative is **planned** in a quarter when it is approved, in progress or paused and
  either is planned for that quarter (its approve decision named it) or holds an assignment
  in it; it is a **candidate** when it is proposed and aimed at the quarter the same way (a
  defer names the quarter it moves to). Completed, rejected and cancelled ones leave the plan.
- A team's **allocated FTE** in a quarter is the sum of its active assignments in that
  quarter to planned initiatives (paused ones keep their people until released); candidates'
  assignments count separately as `candidate_fte`. **Load** is allocated ÷ capacity, in per
  cent; a team is **over-allocated** when allocated exceeds capacity (a team with no capacity
  set counts 0 FTE).
- **Work in progress** counts the initiatives in progress with an assignment to the team in
  that quarter, against its WIP limit.
- A planned initiative with no assignment in the quarter is flagged `unassigned`.
Nothing here depends on today, so the plan is computed as events arrive (once per batch
for each quarter they touch) and stored ready to serve.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec

from roadmap_svc.domain.assignments import AssignmentChanged, AssignmentReleased, TeamAssigned
from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.domain.details import InitiativeProposed, InitiativeRevised
from roadmap_svc.domain.lifecycle import Status
from roadmap_svc.domain.team import TeamCapacitySet, TeamRegistered, TeamRenamed, TeamWipLimitSet
from roadmap_svc.projections.kit import Index, MemoryRows, Rows, Table, View

PLANNED = frozenset({Status.APPROVED.value, Status.IN_PROGRESS.value, Status.PAUSED.value})
CANDIDATE = Status.PROPOSED.value


# --- the rows the plan is computed from ---


class PlanAssignment(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    team_id: UUID
    quarter: str
    fte: float


class PlanInitiative(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    owner: str
    status: str
    quarter: str | None  # the quarter it is approved for or deferred to
    assignments: tuple[PlanAssignment, ...]
    proposed_position: int  # orders a plan's initiatives

    @property
    def quarters(self) -> set[str]:
        found = {a.quarter for a in self.assignments}
        if self.quarter is not None:
            found.add(self.quarter)
        return found


class PlanTeam(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    wip_limit: int | None
    capacity: dict[str, float]  # FTE by quarter
    quarters: tuple[str, ...]  # every quarter it has capacity or assignments in
    registered_position: int  # orders the team list stably


MEMBER_PARTS = 32  # a quarter's members, in parts by id: a change rewrites one small part


class QuarterMembers(msgspec.Struct, frozen=True, kw_only=True):
    """Who a quarter's plan is computed from, one part of them (`part_of` each id); put
    again only when that changes. In parts, so that a quarter of thousands of initiatives
    keeps small rows, and small row versions (row_versions), as each one joins or leaves."""

    quarter: str
    part: int
    initiatives: frozenset[UUID]
    teams: frozenset[UUID]  # teams with capacity set for the quarter


def part_of(member: UUID) -> int:
    return member.int % MEMBER_PARTS


class QuarterTouched(msgspec.Struct, frozen=True, kw_only=True):
    """The last event that changed something a quarter's plan shows: put by every such
    event (a small row, whatever the quarter's size), so `settle` computes that plan again."""

    quarter: str
    position: int


# --- the plan as served ---


class PlanTeamLine(msgspec.Struct, frozen=True, kw_only=True):
    team_id: UUID
    fte: float


class PlannedInitiative(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    owner: str
    status: str
    candidate: bool  # proposed, aimed at this quarter: not counted in the load
    unassigned: bool  # planned, yet no team assigned in this quarter
    fte: float  # assigned in this quarter, all teams
    teams: tuple[PlanTeamLine, ...]


class TeamLoad(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    capacity_fte: float
    allocated_fte: float
    candidate_fte: float
    load_percent: float | None  # None: no capacity
    over_allocated: bool
    wip_limit: int | None
    in_progress: int
    over_wip_limit: bool
    initiatives: tuple[UUID, ...]  # planned initiatives it works on this quarter


class PlanTotals(msgspec.Struct, frozen=True, kw_only=True):
    initiatives: int  # planned (approved, in progress, paused)
    approved: int
    in_progress: int
    paused: int
    candidates: int
    unassigned: int
    teams: int
    capacity_fte: float
    allocated_fte: float
    candidate_fte: float
    load_percent: float | None
    teams_over_allocated: int
    teams_over_wip_limit: int


class QuarterPlan(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    quarter: str
    position: int  # the last event reflected in this plan
    totals: PlanTotals
    teams: tuple[TeamLoad, ...]
    initiatives: tuple[PlannedInitiative, ...]
    # With `as_of`: the last position of the log this answer reflects (never stored).
    as_of_position: int | None = None


class QuarterPlanRow(msgspec.Struct, frozen=True, kw_only=True):
    quarter: str
    totals: PlanTotals
    plan: msgspec.Raw  # the QuarterPlan, encoded once here and served as stored
    position: int


INITIATIVES = Table("quarter_plan_initiatives", PlanInitiative, key=("id",))
TEAMS = Table(
    "quarter_plan_teams", PlanTeam, key=("id",), indexes=(Index(("registered_position",)),)
)
MEMBERS = Table("quarter_plan_members", QuarterMembers, key=("quarter", "part"))
TOUCHED = Table("quarter_plan_touched", QuarterTouched, key=("quarter",))
# Derived in settle from the rows above; as-of reads derive it the same way (`plan_at`).
PLANS = Table("quarter_plans", QuarterPlanRow, key=("quarter",), versioned=False)


def _apply(rows: Rows, domain_event: Any, position: int) -> None:  # noqa: ANN401 - any event
    changed = fold(domain_event, rows, position)
    for quarter, initiative, team in changed:
        _touch(rows, quarter, position, initiative=initiative, team=team)


def _settle(rows: Rows) -> None:
    for (quarter,) in rows.changed(TOUCHED):
        members = members_of(rows, quarter)
        touched = rows.get(TOUCHED, quarter)
        if members is None or touched is None:
            continue
        plan = plan_of(quarter, *members, touched.position, rows)
        rows.put(
            PLANS,
            QuarterPlanRow(
                quarter=quarter,
                totals=plan.totals,
                plan=msgspec.Raw(_ENCODER.encode(plan)),
                position=plan.position,
            ),
        )


def _changes(rows: Rows) -> dict[str, list[str]]:
    return {"quarters": sorted(str(key[0]) for key in rows.changed(PLANS))}


VIEW = View(
    "quarter_plan",
    (INITIATIVES, TEAMS, MEMBERS, TOUCHED, PLANS),
    _apply,
    _settle,
    changes=_changes,
    as_of=True,
)
_ENCODER = msgspec.json.Encoder()

# What an event changed: (quarter, initiative id or None, team id or None) per quarter whose
# plan must be computed again; the id says who belongs to the quarter now (or may no longer).
Touched = list[tuple[str, UUID | None, UUID | None]]


@singledispatch
def fold(domain_event: object, rows: Rows, position: int) -> Touched:
    """Fold one event into the initiative and team rows; returns the quarters it touched."""
    del domain_event, rows, position
    return []  # not an event the plan uses


@fold.register
def _(domain_event: InitiativeProposed, rows: Rows, position: int) -> Touched:
    rows.put(
        INITIATIVES,
        PlanInitiative(
            id=domain_event.originator_id,
            title=domain_event.title,
            owner=domain_event.owner,
            status=CANDIDATE,
            quarter=None,
            assignments=(),
            proposed_position=position,
        ),
    )
    return []


@fold.register
def _(domain_event: InitiativeRevised, rows: Rows, _position: int) -> Touched:
    changes = {
        f: getattr(domain_event, f)
        for f in ("title", "owner")
        if getattr(domain_event, f) is not None
    }
    return _change_initiative(rows, domain_event.originator_id, **changes)


@fold.register
def _(domain_event: DecisionTaken, rows: Rows, _position: int) -> Touched:
    changes: dict[str, object] = {"status": domain_event.status_after.value}
    if domain_event.quarter is not None:
        changes["quarter"] = domain_event.quarter
    return _change_initiative(rows, domain_event.originator_id, **changes)


@fold.register
def _(domain_event: TeamAssigned, rows: Rows, _position: int) -> Touched:
    added = PlanAssignment(
        id=domain_event.assignment_id,
        team_id=domain_event.team_id,
        quarter=domain_event.quarter,
        fte=domain_event.fte,
    )
    initiative = rows.get(INITIATIVES, domain_event.originator_id)
    assignments = (*(initiative.assignments if initiative else ()), added)
    _team_in(rows, domain_event.team_id, domain_event.quarter)
    return _change_initiative(rows, domain_event.originator_id, assignments=assignments)


@fold.register
def _(domain_event: AssignmentChanged, rows: Rows, _position: int) -> Touched:
    initiative = rows.get(INITIATIVES, domain_event.originator_id)
    assignments = tuple(
        msgspec.structs.replace(a, fte=domain_event.fte)
        if a.id == domain_event.assignment_id
        else a
        for a in (initiative.assignments if initiative else ())
    )
    return _change_initiative(rows, domain_event.originator_id, assignments=assignments)


@fold.register
def _(domain_event: AssignmentReleased, rows: Rows, _position: int) -> Touched:
    initiative = rows.get(INITIATIVES, domain_event.originator_id)
    assignments = tuple(
        a
        for a in (initiative.assignments if initiative else ())
        if a.id != domain_event.assignment_id
    )
    return _change_initiative(rows, domain_event.originator_id, assignments=assignments)


@fold.register
def _(domain_event: TeamRegistered, rows: Rows, position: int) -> Touched:
    rows.put(
        TEAMS,
        PlanTeam(
            id=domain_event.originator_id,
            name=domain_event.name,
            wip_limit=domain_event.wip_limit,
            capacity={},
            quarters=(),
            registered_position=position,
        ),
    )
    return []


@fold.register
def _(domain_event: TeamRenamed, rows: Rows, _position: int) -> Touched:
    return _change_team(rows, domain_event.originator_id, name=domain_event.new_name)


@fold.register
def _(domain_event: TeamWipLimitSet, rows: Rows, _position: int) -> Touched:
    return _change_team(rows, domain_event.originator_id, wip_limit=domain_event.wip_limit)


@fold.register
def _(domain_event: TeamCapacitySet, rows: Rows, _position: int) -> Touched:
    team = _team(rows, domain_event.originator_id)
    capacity = {**team.capacity, domain_event.quarter: domain_event.fte}
    _team_in(rows, team.id, domain_event.quarter)
    return _change_team(rows, team.id, capacity=capacity)


def _change_initiative(rows: Rows, initiative_id: UUID, **changes: Any) -> Touched:  # noqa: ANN401
    before = rows.get(INITIATIVES, initiative_id)
    if before is None:
        msg = f"an event of initiative {initiative_id} before its proposal"
        raise ValueError(msg)
    after = msgspec.structs.replace(before, **changes)
    rows.put(INITIATIVES, after)
    return [(q, initiative_id, None) for q in sorted(before.quarters | after.quarters)]


def _change_team(rows: Rows, team_id: UUID, **changes: Any) -> Touched:  # noqa: ANN401
    after = msgspec.structs.replace(_team(rows, team_id), **changes)
    rows.put(TEAMS, after)
    return [(q, None, team_id) for q in after.quarters]


def _team_in(rows: Rows, team_id: UUID, quarter: str) -> None:
    team = rows.get(TEAMS, team_id)
    if team is not None and quarter not in team.quarters:
        rows.put(
            TEAMS, msgspec.structs.replace(team, quarters=tuple(sorted({*team.quarters, quarter})))
        )


def _team(rows: Rows, team_id: UUID) -> PlanTeam:
    team = rows.get(TEAMS, team_id)
    if team is None:
        msg = f"an event of team {team_id} before its registration"
        raise ValueError(msg)
    return team


def _touch(
    rows: Rows, quarter: str, position: int, *, initiative: UUID | None, team: UUID | None
) -> None:
    rows.put(TOUCHED, QuarterTouched(quarter=quarter, position=position))
    if initiative is not None:
        part = _members_part(rows, quarter, initiative)
        found = rows.get(INITIATIVES, initiative)
        belongs = found is not None and quarter in found.quarters
        if belongs != (initiative in part.initiatives):
            initiatives = (
                part.initiatives | {initiative} if belongs else part.initiatives - {initiative}
            )
            rows.put(MEMBERS, msgspec.structs.replace(part, initiatives=initiatives))
    if team is not None:
        part = _members_part(rows, quarter, team)
        found_team = rows.get(TEAMS, team)
        if team not in part.teams and found_team is not None and quarter in found_team.capacity:
            rows.put(MEMBERS, msgspec.structs.replace(part, teams=part.teams | {team}))


def _members_part(rows: Rows, quarter: str, member: UUID) -> QuarterMembers:
    part = part_of(member)
    return rows.get(MEMBERS, quarter, part) or QuarterMembers(
        quarter=quarter, part=part, initiatives=frozenset(), teams=frozenset()
    )


def members_of(rows: Rows, quarter: str) -> tuple[frozenset[UUID], frozenset[UUID]] | None:
    """The quarter's initiatives and teams, every part together (None: it has none yet)."""
    parts = [p for p in (rows.get(MEMBERS, quarter, n) for n in range(MEMBER_PARTS)) if p]
    if not parts:
        return None
    initiatives = frozenset().union(*(p.initiatives for p in parts))
    return initiatives, frozenset().union(*(p.teams for p in parts))


def plan_at(rows: Rows, quarter: str) -> QuarterPlan:
    """The quarter's plan from the rows as they stand (as settle derived it last)."""
    members = members_of(rows, quarter)
    touched = rows.get(TOUCHED, quarter)
    if members is None or touched is None:
        return empty_plan(quarter)
    return plan_of(quarter, *members, touched.position, rows)


def plan_of(
    quarter: str,
    members: frozenset[UUID],
    member_teams: frozenset[UUID],
    position: int,
    rows: Rows,
) -> QuarterPlan:
    """The quarter's plan as of `position`, from the rows of its initiatives and teams."""
    initiatives = sorted(
        (i for i in (rows.get(INITIATIVES, m) for m in members) if i is not None),
        key=lambda i: i.proposed_position,
    )
    lines: list[PlannedInitiative] = []
    team_ids = set(member_teams)
    allocated: dict[UUID, float] = {}
    candidate_fte: dict[UUID, float] = {}
    in_progress: dict[UUID, int] = {}
    working: dict[UUID, list[UUID]] = {}
    for initiative in initiatives:
        candidate = initiative.status == CANDIDATE
        if not candidate and initiative.status not in PLANNED:
            continue
        by_team: dict[UUID, float] = {}
        for assignment in initiative.assignments:
            if assignment.quarter == quarter:
                by_team[assignment.team_id] = by_team.get(assignment.team_id, 0.0) + assignment.fte
        for team_id, fte in by_team.items():
            team_ids.add(team_id)
            if candidate:
                candidate_fte[team_id] = candidate_fte.get(team_id, 0.0) + fte
                continue
            allocated[team_id] = allocated.get(team_id, 0.0) + fte
            working.setdefault(team_id, []).append(initiative.id)
            if initiative.status == Status.IN_PROGRESS.value:
                in_progress[team_id] = in_progress.get(team_id, 0) + 1
        lines.append(
            PlannedInitiative(
                id=initiative.id,
                title=initiative.title,
                owner=initiative.owner,
                status=initiative.status,
                candidate=candidate,
                unassigned=not candidate and not by_team,
                fte=_fte(sum(by_team.values())),
                teams=tuple(
                    PlanTeamLine(team_id=t, fte=_fte(f)) for t, f in sorted(by_team.items())
                ),
            )
        )
    loads = []
    for team_id in team_ids:
        team = rows.get(TEAMS, team_id)
        if team is None:
            continue
        capacity = team.capacity.get(quarter, 0.0)
        used = _fte(allocated.get(team_id, 0.0))
        wip = in_progress.get(team_id, 0)
        loads.append(
            TeamLoad(
                id=team.id,
                name=team.name,
                capacity_fte=capacity,
                allocated_fte=used,
                candidate_fte=_fte(candidate_fte.get(team_id, 0.0)),
                load_percent=_percent(used, capacity),
                over_allocated=used > capacity,
                wip_limit=team.wip_limit,
                in_progress=wip,
                over_wip_limit=team.wip_limit is not None and wip > team.wip_limit,
                initiatives=tuple(working.get(team_id, ())),
            )
        )
    loads.sort(key=lambda t: (t.name.casefold(), t.id))
    planned = [line for line in lines if not line.candidate]
    capacity_total = _fte(sum(t.capacity_fte for t in loads))
    allocated_total = _fte(sum(t.allocated_fte for t in loads))
    totals = PlanTotals(
        initiatives=len(planned),
        approved=sum(line.status == Status.APPROVED.value for line in planned),
        in_progress=sum(line.status == Status.IN_PROGRESS.value for line in planned),
        paused=sum(line.status == Status.PAUSED.value for line in planned),
        candidates=len(lines) - len(planned),
        unassigned=sum(line.unassigned for line in planned),
        teams=len(loads),
        capacity_fte=capacity_total,
        allocated_fte=allocated_total,
        candidate_fte=_fte(sum(t.candidate_fte for t in loads)),
        load_percent=_percent(allocated_total, capacity_total),
        teams_over_allocated=sum(t.over_allocated for t in loads),
        teams_over_wip_limit=sum(t.over_wip_limit for t in loads),
    )
    return QuarterPlan(
        quarter=quarter,
        position=position,
        totals=totals,
        teams=tuple(loads),
        initiatives=tuple(lines),
    )


def empty_plan(quarter: str) -> QuarterPlan:
    """The plan of a quarter nothing was planned for yet."""
    return plan_of(quarter, frozenset(), frozenset(), 0, MemoryRows())


def _fte(value: float) -> float:
    return round(value, 2)  # FTE counts in hundredths


def _percent(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole > 0 else None
