"""The quarter plan and an initiative's progress as they stood at a past position of the log:
the views' own rows and code (row_versions), read in one snapshot. Synchronous: they fold
events, so the API runs them in a thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg

from roadmap_svc.projections import progress, quarter_plan
from roadmap_svc.projections.health import Portfolio, PortfolioNeeds
from roadmap_svc.projections.progress import ProgressInitiative
from roadmap_svc.projections.quarter_plan import QuarterPlan
from roadmap_svc.projections.row_versions import view_as_of


def quarter_plan_as_of(conn: psycopg.Connection[Any], quarter: str, position: int) -> QuarterPlan:
    with snapshot(conn):
        rows = view_as_of(conn, quarter_plan.VIEW, position)
        parts = range(quarter_plan.MEMBER_PARTS)
        rows.prefetch(quarter_plan.MEMBERS, [(quarter, n) for n in parts])
        members = quarter_plan.members_of(rows, quarter)
        if members is not None:  # one query for each kind of row the plan reads
            initiatives, teams = members
            rows.prefetch(quarter_plan.INITIATIVES, [(i,) for i in initiatives])
            # and the teams with work here but no capacity, known once those are read
            working = {
                a.team_id
                for i in initiatives
                for a in getattr(rows.get(quarter_plan.INITIATIVES, i), "assignments", ())
            }
            rows.prefetch(quarter_plan.TEAMS, [(t,) for t in teams | working])
        return quarter_plan.plan_at(rows, quarter)


def progress_as_of(
    conn: psycopg.Connection[Any], initiative_id: UUID, position: int
) -> tuple[ProgressInitiative | None, Portfolio]:
    """The initiative's progress row then (None: it did not exist yet) and the rows its
    forecasts read."""
    with snapshot(conn):
        rows = view_as_of(conn, progress.VIEW, position)
        found = rows.get(progress.INITIATIVES, initiative_id)
        needs = PortfolioNeeds([] if found is None else [found])
        while needs.wanted:
            missing = needs.add_milestones(
                rows.where(progress.MILESTONES, "initiative_id", needs.wanted)
            )
            if missing:
                rows.prefetch(progress.INITIATIVES, [(k,) for k in missing])
                needs.add_initiatives(
                    i for i in (rows.get(progress.INITIATIVES, k) for k in missing) if i
                )
        return found, needs.portfolio()


@contextmanager
def snapshot(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """One REPEATABLE READ, read-only transaction for what follows (or the caller's)."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        yield  # in the caller's transaction: its snapshot
        return
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
