"""The projection kit's three ways agree: live, rebuilt (offline or while writes go on) and
replayed in memory give the same rows, row for row."""

from __future__ import annotations

import os
import threading
from typing import Any

import psycopg
import pytest

from roadmap_svc.application import RoadmapApplication
from roadmap_svc.projections import initiative_summary, view_tables
from roadmap_svc.projections.kit import View
from roadmap_svc.projections.rebuild import SHADOW, RebuildError, rebuild
from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.projections.runner import SupervisedRunner
from roadmap_svc.schema import migrate_database
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import eventsourcing_env
from tests.application_helpers import propose
from tests.conftest import PortfolioStore
from tests.portfolio import write_portfolio
from tests.projections.view_helpers import replayed, stored_view, tracked, until, until_tracked

EXTENDED = os.environ.get("HYPOTHESIS_PROFILE") == "extended"
BOUND_SECONDS = 60.0


def test_rebuild_equals_live_and_an_in_memory_replay_row_for_row(
    portfolio: PortfolioStore,
    portfolio_runners: list[SupervisedRunner],
    request: pytest.FixtureRequest,
) -> None:
    migrated_database, made = portfolio.target, portfolio.made
    # At least 10,000 events: the portfolio, and more of it. On one backend only: writing
    # them one command at a time beside five live runners takes about 4 minutes, and what
    # is checked (views row for row) does not depend on the server.
    if EXTENDED and request.node.callspec.params.get("server") == "embedded":
        made = write_portfolio(portfolio.app, 10_000, seed=99)
    until_tracked(migrated_database.dsn, made.head)
    live = {view.name: stored_view(migrated_database.dsn, view) for view in VIEWS}

    with psycopg.connect(migrated_database.dsn, autocommit=True) as conn:
        assert rebuild(conn, VIEWS) == made.head
    for view in VIEWS:
        rebuilt = stored_view(migrated_database.dsn, view)
        in_memory, head = replayed(migrated_database.dsn, view)
        assert head == made.head
        assert rebuilt == live[view.name] == in_memory
        assert all(rows for rows in rebuilt.values())  # the portfolio reached every table
        assert tracked(migrated_database.dsn, view) == made.head
    for runner in portfolio_runners:  # they followed the swap, not restarted by an error
        assert (runner.is_running, runner.restarts) == (True, 0), runner.last_error


def test_an_online_rebuild_during_writes_ends_equal_to_a_fresh_replay(
    portfolio: PortfolioStore, portfolio_runners: list[SupervisedRunner]
) -> None:
    migrated_database, made, app = portfolio.target, portfolio.made, portfolio.app
    until_tracked(migrated_database.dsn, made.head)
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        while not stop.is_set():
            propose(app, f"during the rebuild {len(written)}")
            written.append(1)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        until(lambda: len(written) >= 20)  # writes are under way when the rebuild starts
        with psycopg.connect(migrated_database.dsn, autocommit=True) as conn:
            rebuilt_at = rebuild(conn, VIEWS)
        at_swap = len(written)
        until(lambda: len(written) >= at_swap + 20)  # and go on after the swap
    finally:
        stop.set()
        writer.join()
    assert rebuilt_at > made.head
    with psycopg.connect(migrated_database.dsn) as conn:
        (head,) = conn.execute("SELECT max(notification_id) FROM roadmap_events").fetchone() or (0,)
    assert head > rebuilt_at  # some writes landed after the swap, and the runner took them
    until_tracked(migrated_database.dsn, head)
    for view in VIEWS:
        in_memory, _ = replayed(migrated_database.dsn, view)
        assert stored_view(migrated_database.dsn, view) == in_memory
    for runner in portfolio_runners:
        assert (runner.is_running, runner.restarts) == (True, 0), runner.last_error


def _broken(rows: Any, domain_event: Any, position: int) -> None:
    if position == 3:
        raise ValueError("this fold cannot take event 3")
    initiative_summary.VIEW.apply(rows, domain_event, position)


def test_a_failed_rebuild_leaves_the_live_view_as_it_was(
    migrated_database: DatabaseTarget, app: RoadmapApplication
) -> None:
    for n in range(4):
        propose(app, f"Initiative {n}")
    summary = initiative_summary.VIEW
    broken = View(summary.name, summary.tables, _broken)
    with psycopg.connect(migrated_database.dsn, autocommit=True) as conn:
        rebuild(conn, [summary])
        before = stored_view(migrated_database.dsn, summary)
        with pytest.raises(RebuildError, match=r"initiative_summary .* after position 0"):
            rebuild(conn, [broken])
        shadow = conn.execute(
            "SELECT to_regclass(%s)", (summary.tables[0].name + SHADOW,)
        ).fetchone()
    assert shadow == (None,)
    assert stored_view(migrated_database.dsn, summary) == before
    assert len(before["initiative_summary_view"]) == 4


def test_a_view_whose_shape_changed_is_recreated_and_replays_the_log(
    fresh_database: DatabaseTarget,
) -> None:
    migrate_database(fresh_database)
    app = RoadmapApplication(env=eventsourcing_env(fresh_database, pool_size=1))
    try:
        propose(app, "Kept in the log")
    finally:
        app.close()
    summary = initiative_summary.VIEW
    with psycopg.connect(fresh_database.dsn, autocommit=True) as conn:
        rebuild(conn, [summary])
        generation = view_tables.generation(conn, summary.name)
        assert view_tables.ensure_views(conn, VIEWS) == []  # unchanged: left alone
        revised = View(summary.name, summary.tables, summary.apply, revision=summary.revision + 1)
        assert view_tables.ensure_views(conn, (revised,)) == [summary.name]
        assert view_tables.generation(conn, summary.name) == generation + 1
        (count,) = conn.execute("SELECT count(*) FROM initiative_summary_view").fetchone() or (0,)
    assert count == 0
    assert tracked(fresh_database.dsn, summary) == 0  # so its runner replays from the start
