"""Row versions (as-of views): the quarter plan and the progress rows as of any position, from
the versions the live runner (or a rebuild) wrote, and the events after them, equal an
in-memory replay of the log up to that position, row for row: inside the runner's batches,
after a rebuild, and past where the runner is."""

from __future__ import annotations

import random
from typing import Any

import msgspec
import psycopg

from roadmap_svc.projections import progress, quarter_plan, row_versions
from roadmap_svc.projections.as_of_reads import progress_as_of, quarter_plan_as_of
from roadmap_svc.projections.kit import MemoryRows, replay
from roadmap_svc.projections.quarter_plan import QuarterPlan, empty_plan
from roadmap_svc.projections.rebuild import rebuild
from roadmap_svc.projections.runner import SupervisedRunner
from roadmap_svc.storage.event_log import events_after
from roadmap_svc.storage.transcoder import MsgspecMapper
from tests.conftest import PortfolioStore
from tests.portfolio import QUARTERS, write_portfolio
from tests.projections.view_helpers import until_tracked


def _log(dsn: str) -> list[tuple[Any, int]]:
    mapper = MsgspecMapper()
    with psycopg.connect(dsn) as conn:
        return [(mapper.to_domain_event(e), p) for e, p in events_after(conn, 0, 10**9)]


def _plan(rows: MemoryRows, quarter: str) -> QuarterPlan:
    stored = rows.get(quarter_plan.PLANS, quarter)
    if stored is None:
        return empty_plan(quarter)
    return msgspec.json.decode(bytes(stored.plan), type=QuarterPlan)


def _check(dsn: str, log: list[tuple[Any, int]], positions: list[int]) -> None:
    with psycopg.connect(dsn) as conn:
        for position in positions:
            prefix = [(e, p) for e, p in log if p <= position]
            plans = replay(quarter_plan.VIEW, prefix, batch_size=97)
            for quarter in QUARTERS:
                assert quarter_plan_as_of(conn, quarter, position) == _plan(plans, quarter), (
                    quarter,
                    position,
                )
            rows = replay(progress.VIEW, prefix, batch_size=97)
            for initiative in list(rows.all(progress.INITIATIVES))[:12]:
                found, portfolio = progress_as_of(conn, initiative.id, position)
                assert found == initiative, position
                expected = {
                    (m.initiative_id, m.id): m
                    for m in rows.all(progress.MILESTONES)
                    if m.initiative_id in portfolio.initiatives
                }
                assert dict(portfolio.milestones) == expected, position


def test_the_views_as_of_any_position_equal_an_in_memory_replay_then(
    portfolio: PortfolioStore, portfolio_runners: list[SupervisedRunner]
) -> None:
    dsn, head = portfolio.target.dsn, portfolio.made.head
    until_tracked(dsn, head, [quarter_plan.VIEW, progress.VIEW])
    log = _log(dsn)
    rng = random.Random(3)  # noqa: S311 - test data
    # the runner caught up in batches: most of these fall inside one
    positions = [1, head, *rng.sample(range(2, head), 8)]
    _check(dsn, log, positions)
    with psycopg.connect(dsn) as conn:
        written = conn.execute(
            "SELECT DISTINCT valid_from FROM quarter_plan_initiatives__versions"
        ).fetchall()
        kept = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables").fetchall()}
    assert len(written) > head // 4  # kept by event, though the runner caught up in batches
    assert row_versions.versions_name(quarter_plan.PLANS.name) not in kept  # derived
    assert row_versions.versions_name(quarter_plan.MEMBERS.name) in kept

    for runner in portfolio_runners:  # a rebuild writes the versions anew
        runner.stop()
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert rebuild(conn, [quarter_plan.VIEW, progress.VIEW]) == head
    _check(dsn, log, [head, *rng.sample(range(2, head), 4)])

    # past where the views are (their runners stopped): the events between are folded
    later = write_portfolio(portfolio.app, head + 60, seed=11, teams=1).head
    _check(dsn, _log(dsn), [later, *rng.sample(range(head + 1, later), 3)])
