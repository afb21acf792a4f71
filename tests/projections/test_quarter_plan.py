"""The quarter plan view against a generated portfolio: every number equals a recomputation
from the aggregates themselves (another route than the view's fold), live and in memory."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
import psycopg
import pytest

from roadmap_svc.application import RoadmapApplication
from roadmap_svc.domain.lifecycle import Status
from roadmap_svc.projections import quarter_plan
from roadmap_svc.projections.kit import replay
from roadmap_svc.projections.quarter_plan import PLANS, QuarterPlan
from roadmap_svc.storage.event_log import events_after
from roadmap_svc.storage.transcoder import MsgspecMapper
from tests.conftest import PortfolioStore
from tests.portfolio import QUARTERS, Portfolio
from tests.projections.view_helpers import until_tracked

PLANNED = {Status.APPROVED, Status.IN_PROGRESS, Status.PAUSED}


def _expected(app: RoadmapApplication, made: Portfolio, quarter: str) -> dict[str, Any]:
    """The plan's numbers, straight from the aggregates, by the README's rules."""
    teams = {t: app.get_team(t) for t in made.teams}
    allocated = dict.fromkeys(teams, 0.0)
    candidate_fte = dict.fromkeys(teams, 0.0)
    in_progress = dict.fromkeys(teams, 0)
    involved = {t for t, team in teams.items() if quarter in team.capacity}
    initiatives = {}
    for initiative_id in made.initiatives:
        initiative = app.get_initiative(initiative_id)
        active = [
            a for a in initiative.assignments.values() if not a.released and a.quarter == quarter
        ]
        aimed = initiative.quarter == quarter or bool(active)
        candidate = initiative.status is Status.PROPOSED
        if not aimed or not (candidate or initiative.status in PLANNED):
            continue
        fte = round(sum(a.fte for a in active), 2)
        initiatives[initiative_id] = (
            initiative.status.value,
            candidate,
            not active and not candidate,
            fte,
        )
        for a in active:
            involved.add(a.team_id)
            if candidate:
                candidate_fte[a.team_id] += a.fte
            else:
                allocated[a.team_id] += a.fte
        if initiative.status is Status.IN_PROGRESS:
            for team_id in {a.team_id for a in active}:
                in_progress[team_id] += 1
    loads = {}
    for team_id in involved:
        team = teams[team_id]
        capacity = team.capacity.get(quarter, 0.0)
        used = round(allocated[team_id], 2)
        loads[team_id] = {
            "capacity_fte": capacity,
            "allocated_fte": used,
            "candidate_fte": round(candidate_fte[team_id], 2),
            "load_percent": round(100 * used / capacity, 1) if capacity else None,
            "over_allocated": used > capacity,
            "in_progress": in_progress[team_id],
            "over_wip_limit": team.wip_limit is not None and in_progress[team_id] > team.wip_limit,
            "name": team.name,
        }
    return {"initiatives": initiatives, "teams": loads}


def _numbers(plan: QuarterPlan) -> dict[str, Any]:
    return {
        "initiatives": {
            i.id: (i.status, i.candidate, i.unassigned, i.fte) for i in plan.initiatives
        },
        "teams": {
            t.id: {
                "capacity_fte": t.capacity_fte,
                "allocated_fte": t.allocated_fte,
                "candidate_fte": t.candidate_fte,
                "load_percent": t.load_percent,
                "over_allocated": t.over_allocated,
                "in_progress": t.in_progress,
                "over_wip_limit": t.over_wip_limit,
                "name": t.name,
            }
            for t in plan.teams
        },
    }


def _stored_plans(dsn: str) -> dict[str, QuarterPlan]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f"SELECT quarter, plan::text FROM {PLANS.name}").fetchall()  # noqa: S608
    return {q: msgspec.json.decode(text, type=QuarterPlan) for q, text in rows}


@pytest.mark.usefixtures("portfolio_runners")
def test_every_number_of_every_quarter_equals_a_recomputation_from_the_aggregates(
    portfolio: PortfolioStore,
) -> None:
    app, made, dsn = portfolio.app, portfolio.made, portfolio.target.dsn
    until_tracked(dsn, made.head, [quarter_plan.VIEW])
    live = _stored_plans(dsn)
    mapper = MsgspecMapper()
    with psycopg.connect(dsn) as conn:
        log = [(mapper.to_domain_event(e), p) for e, p in events_after(conn, 0, 10**9)]
    in_memory = replay(quarter_plan.VIEW, log, batch_size=37)  # batches of any size agree
    assert set(live) == set(QUARTERS)
    for quarter in QUARTERS:
        expected = _expected(app, made, quarter)
        plan = live[quarter]
        assert _numbers(plan) == expected, quarter
        assert expected["initiatives"]
        assert expected["teams"]
        row = in_memory.get(PLANS, quarter)
        assert row is not None
        assert msgspec.json.decode(row.plan, type=QuarterPlan) == plan
        totals = plan.totals
        planned = [v for v in expected["initiatives"].values() if not v[1]]
        assert totals.initiatives == len(planned)
        assert totals.candidates == len(expected["initiatives"]) - len(planned)
        assert totals.unassigned == sum(v[2] for v in planned)
        assert totals.allocated_fte == round(
            sum(t["allocated_fte"] for t in expected["teams"].values()), 2
        )
        assert totals.teams_over_allocated == sum(
            t["over_allocated"] for t in expected["teams"].values()
        )
    assert any(p.totals.teams_over_allocated for p in live.values())  # the case occurs
    assert sum(p.totals.initiatives + p.totals.candidates for p in live.values()) >= 10


def test_plan_rows_do_not_depend_on_how_events_are_batched(portfolio: PortfolioStore) -> None:
    mapper = MsgspecMapper()
    with psycopg.connect(portfolio.target.dsn) as conn:
        log = [(mapper.to_domain_event(e), p) for e, p in events_after(conn, 0, 10**9)]
    one_by_one = replay(quarter_plan.VIEW, log, batch_size=1)
    all_at_once = replay(quarter_plan.VIEW, log, batch_size=len(log))
    for table in quarter_plan.VIEW.tables:
        assert one_by_one.tables.get(table.name) == all_at_once.tables.get(table.name)
    ids: set[UUID] = {k[0] for k in one_by_one.tables[quarter_plan.INITIATIVES.name]}
    assert ids
