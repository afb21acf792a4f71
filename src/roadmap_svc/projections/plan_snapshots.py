"""A quarter's plan at one position, as a baseline keeps it and drift compares it: the quarter
plan view's plan and the progress view's milestones and standings, both as of that position
(row_versions), in one snapshot of the database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from psycopg.rows import tuple_row

from roadmap_svc.domain.baselines import (
    BaselineAllocation,
    BaselineInitiative,
    BaselineMilestone,
    BaselineStanding,
    BaselineTeam,
    PlanSnapshot,
)
from roadmap_svc.projections import progress
from roadmap_svc.projections.as_of_reads import quarter_plan_as_of, snapshot
from roadmap_svc.projections.quarter_plan import QuarterPlan
from roadmap_svc.projections.row_versions import view_as_of
from roadmap_svc.storage.eventstore import EVENTS_TABLE


def head(conn: psycopg.Connection[Any]) -> int:
    with conn.cursor(row_factory=tuple_row) as curs:
        row = curs.execute(f"SELECT max(notification_id) FROM {EVENTS_TABLE}").fetchone()  # noqa: S608
    return int(row[0] or 0) if row else 0


def plan_snapshot(
    conn: psycopg.Connection[Any],
    quarter: str,
    position: int | None = None,
    also: Iterable[UUID] = (),
) -> PlanSnapshot:
    """The quarter's plan as of `position` (None: the log's head, read in the same snapshot),
    with the milestones and standings of its initiatives and of `also` (a baseline's)."""
    with snapshot(conn):
        at = head(conn) if position is None else position
        plan = quarter_plan_as_of(conn, quarter, at)
        ids = list(dict.fromkeys([*(i.id for i in plan.initiatives), *also]))
        rows = view_as_of(conn, progress.VIEW, at)
        rows.prefetch(progress.INITIATIVES, [(i,) for i in ids])
        standings = [
            BaselineStanding(
                id=row.id,
                title=row.title,
                status=row.status,
                quarter=row.quarter,
            )
            for row in (rows.get(progress.INITIATIVES, i) for i in ids)
            if row is not None
        ]
        order = {initiative_id: n for n, initiative_id in enumerate(ids)}
        milestones = sorted(
            rows.where(progress.MILESTONES, "initiative_id", ids),
            key=lambda m: (order[m.initiative_id], m.milestone.original_target_date, str(m.id)),
        )
        return _snapshot_of(plan, at, standings, milestones)


def _snapshot_of(
    plan: QuarterPlan,
    position: int,
    standings: list[BaselineStanding],
    milestones: list[progress.ProgressMilestone],
) -> PlanSnapshot:
    return PlanSnapshot(
        quarter=plan.quarter,
        position=position,
        totals={
            name: None if value is None else float(value)
            for name, value in msgspec.structs.asdict(plan.totals).items()
        },
        initiatives=tuple(
            BaselineInitiative(
                id=line.id,
                title=line.title,
                status=line.status,
                candidate=line.candidate,
                fte=line.fte,
                teams=tuple(BaselineAllocation(team_id=t.team_id, fte=t.fte) for t in line.teams),
            )
            for line in plan.initiatives
        ),
        teams=tuple(
            BaselineTeam(
                id=team.id,
                name=team.name,
                capacity_fte=team.capacity_fte,
                allocated_fte=team.allocated_fte,
            )
            for team in plan.teams
        ),
        milestones=tuple(
            BaselineMilestone(
                initiative_id=row.initiative_id,
                id=row.id,
                title=row.milestone.title,
                target_date=row.milestone.target_date,
                status=row.milestone.status.value,
                slips=row.milestone.slips,
            )
            for row in milestones
        ),
        standings=tuple(standings),
    )
