"""Async queries over the quarter plan view."""

from __future__ import annotations

from uuid import UUID

import msgspec

from roadmap_svc.projections.quarter_plan import (
    INITIATIVES as INITIATIVE_ROWS,
)
from roadmap_svc.projections.quarter_plan import (
    PLANS,
    PlanAssignment,
    PlanTeam,
    PlanTotals,
    QuarterPlan,
    TeamLoad,
)
from roadmap_svc.projections.quarter_plan import (
    TEAMS as TEAM_ROWS,
)
from roadmap_svc.projections.quarter_plan import (
    VIEW as PLAN_VIEW,
)
from roadmap_svc.storage.pool import Pool

GET_PLAN = f"SELECT plan::text, position FROM {PLANS.name} WHERE quarter = $1"  # noqa: S608
GET_PLAN_POSITION = f"SELECT position FROM {PLANS.name} WHERE quarter = $1"  # noqa: S608
LIST_QUARTERS = f"""
SELECT quarter, totals::text, position FROM {PLANS.name}
WHERE ($1::text IS NULL OR quarter >= $1) AND ($2::text IS NULL OR quarter <= $2)
ORDER BY quarter
"""  # noqa: S608 - constant
_TOTALS = msgspec.json.Decoder(PlanTotals)
_PLAN = msgspec.json.Decoder(QuarterPlan)


class QuarterSummary(msgspec.Struct, frozen=True, kw_only=True):
    quarter: str
    totals: PlanTotals
    position: int


class PlanCache:
    """The plans this process served last, by quarter, with the position each reflects.

    A copy is *confirmed* while the live-update relay listens and has announced no change
    of its quarter since it was read: a read without `min_position` is then answered from
    here with no query at all. Otherwise a read asks only for the stored plan's position
    (a few bytes, not the whole plan) and answers from here while it is the same.
    """

    QUARTERS_KEPT = 64

    def __init__(self) -> None:
        self._plans: dict[str, tuple[int, bytes]] = {}
        self._changes: dict[str, int] = {}  # per quarter: announcements heard (any quarter: "")
        self._confirmed: set[str] = set()
        self.listening = False  # set by the relay: only then can a copy be confirmed

    def heard(self, view: str | None, quarters: list[str] | None) -> None:
        """An announcement of `view` naming `quarters` (None: everything, or the relay lost
        its link and may have missed some)."""
        if view is not None and view != PLAN_VIEW.name:
            return
        if quarters is None:
            self._confirmed.clear()
            self._changes[""] = self._changes.get("", 0) + 1
            return
        for quarter in quarters:
            self._confirmed.discard(quarter)
            self._changes[quarter] = self._changes.get(quarter, 0) + 1

    async def plan_json(
        self, pool: Pool, quarter: str, *, confirmed_ok: bool = True
    ) -> bytes | None:
        """The stored plan, as the JSON the view encoded (served without decoding it)."""
        cached = self._plans.get(quarter)
        if cached is not None and confirmed_ok and self.listening and quarter in self._confirmed:
            return cached[1]
        heard_before = self._heard_of(quarter)
        if cached is not None and await pool.fetchval(GET_PLAN_POSITION, quarter) == cached[0]:
            self._confirm(quarter, heard_before)
            return cached[1]
        row = await pool.fetchrow(GET_PLAN, quarter)
        if row is None:
            return None
        if len(self._plans) >= self.QUARTERS_KEPT:
            evicted = next(iter(self._plans))
            self._plans.pop(evicted)
            self._confirmed.discard(evicted)
        plan: bytes = row["plan"].encode()
        self._plans[quarter] = (row["position"], plan)
        self._confirm(quarter, heard_before)
        return plan

    def _heard_of(self, quarter: str) -> tuple[int, int]:
        return self._changes.get(quarter, 0), self._changes.get("", 0)

    def _confirm(self, quarter: str, heard_before: tuple[int, int]) -> None:
        # Confirmed only if no change was announced while it was being read.
        if self.listening and self._heard_of(quarter) == heard_before:
            self._confirmed.add(quarter)


async def list_quarters(
    pool: Pool, first: str | None = None, last: str | None = None
) -> list[QuarterSummary]:
    rows = await pool.fetch(LIST_QUARTERS, first, last)
    return [
        QuarterSummary(
            quarter=row["quarter"], totals=_TOTALS.decode(row["totals"]), position=row["position"]
        )
        for row in rows
    ]


TEAMS = f"""
SELECT * FROM {TEAM_ROWS.name}
WHERE registered_position > $1 AND ($2::text IS NULL OR $2 = ANY(quarters))
ORDER BY registered_position LIMIT $3
"""  # noqa: S608 - constant
TEAM = f"SELECT * FROM {TEAM_ROWS.name} WHERE id = $1"  # noqa: S608 - constant
PLANS_OF = f"SELECT quarter, plan::text FROM {PLANS.name} WHERE quarter = ANY($1::text[])"  # noqa: S608
ASSIGNED_TO = f"""
SELECT id, title, status, assignments FROM {INITIATIVE_ROWS.name}
WHERE assignments @> $1::jsonb ORDER BY proposed_position
"""  # noqa: S608 - constant


class TeamAssignmentLine(msgspec.Struct, frozen=True, kw_only=True):
    initiative_id: UUID
    title: str
    status: str
    assignment_id: UUID
    quarter: str
    fte: float


class TeamOverview(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    registered_position: int  # what the list is ordered and paged by
    wip_limit: int | None
    capacity: dict[str, float]  # FTE by quarter
    load: dict[str, TeamLoad]  # by quarter: allocation, load %, WIP, as the quarter plan shows


async def team_overviews(
    pool: Pool,
    team_id: UUID | None = None,
    *,
    after: int = 0,
    quarter: str | None = None,
    limit: int = 1_000_000,
) -> list[TeamOverview]:
    """Teams (one, or a page of them: those with capacity or work in `quarter` when given),
    each with its load in every quarter it has capacity or work in."""
    rows = (
        await pool.fetch(TEAM, team_id)
        if team_id is not None
        else await pool.fetch(TEAMS, after, quarter, limit)
    )
    teams = [msgspec.convert(dict(r), PlanTeam) for r in rows]
    quarters = sorted({q for t in teams for q in t.quarters})
    loads: dict[tuple[UUID, str], TeamLoad] = {}
    for row in await pool.fetch(PLANS_OF, quarters):
        plan = _PLAN.decode(row["plan"])
        for line in plan.teams:
            loads[(line.id, plan.quarter)] = line
    return [
        TeamOverview(
            id=t.id,
            name=t.name,
            registered_position=t.registered_position,
            wip_limit=t.wip_limit,
            capacity=dict(sorted(t.capacity.items())),
            load={q: loads[(t.id, q)] for q in t.quarters if (t.id, q) in loads},
        )
        for t in teams
    ]


async def team_assignments(pool: Pool, team_id: UUID) -> list[TeamAssignmentLine]:
    """The active assignments to a team, by initiative."""
    rows = await pool.fetch(ASSIGNED_TO, [{"team_id": str(team_id)}])
    return [
        TeamAssignmentLine(
            initiative_id=row["id"],
            title=row["title"],
            status=row["status"],
            assignment_id=a.id,
            quarter=a.quarter,
            fte=a.fte,
        )
        for row in rows
        for a in msgspec.convert(row["assignments"], list[PlanAssignment])
        if a.team_id == team_id
    ]
