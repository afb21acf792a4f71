"""The projection kit's three ways agree: live, rebuilt (offline or while writes go on) and
replayed in memory give the same rows, row for row."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from roadmap_svc.application import APPLICATION_NAME, RoadmapApplication
from roadmap_svc.projections import initiative_summary, view_tables
from roadmap_svc.projections.kit import Key, View, replay
from roadmap_svc.projections.rebuild import SHADOW, RebuildError, rebuild
from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.projections.runner import SupervisedRunner, start_runners, stop_runners
from roadmap_svc.projections.tables import TableSQL
from roadmap_svc.schema import migrate_database
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.event_log import events_after
from roadmap_svc.storage.eventstore import eventsourcing_env
from roadmap_svc.storage.transcoder import MsgspecMapper
from tests.application_helpers import propose
from tests.conftest import PortfolioStore
from tests.portfolio import write_portfolio

EXTENDED = os.environ.get("HYPOTHESIS_PROFILE") == "extended"
BOUND_SECONDS = 60.0


def _stored(dsn: str, view: View) -> dict[str, dict[Key, Any]]:
    found: dict[str, dict[Key, Any]] = {}
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        for table in view.tables:
            sql = TableSQL(table)
            rows = conn.execute(sql.select_all).fetchall()
            found[table.name] = {table.key_of(r): r for r in map(sql.decode, rows)}
    return found


def _replayed(dsn: str, view: View) -> tuple[dict[str, dict[Key, Any]], int]:
    mapper = MsgspecMapper()
    with psycopg.connect(dsn) as conn:
        log = events_after(conn, 0, 10**9)
    rows = replay(view, [(mapper.to_domain_event(e), p) for e, p in log])
    return {t.name: dict(rows.tables.get(t.name, {})) for t in view.tables}, log[-1][1]


def _tracked(dsn: str, view: View) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            f"SELECT notification_id FROM {view_tables.tracking_table(view.name)}"  # noqa: S608
            " WHERE application_name = %s",
            (APPLICATION_NAME,),
        ).fetchone()
    return int(row[0]) if row else 0


def _until(condition: Callable[[], bool], what: str = "waited in vain") -> None:
    deadline = time.monotonic() + BOUND_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def _until_tracked(dsn: str, position: int) -> None:
    _until(lambda: all(_tracked(dsn, v) >= position for v in VIEWS), "the views lag")


@pytest.fixture
def runners(portfolio: PortfolioStore) -> Iterator[list[SupervisedRunner]]:
    started = start_runners(eventsourcing_env(portfolio.target, pool_size=1))
    try:
        yield started
    finally:
        stop_runners(started)


def test_rebuild_equals_live_and_an_in_memory_replay_row_for_row(
    portfolio: PortfolioStore, runners: list[SupervisedRunner]
) -> None:
    migrated_database, made = portfolio.target, portfolio.made
    if EXTENDED:  # at least 10,000 events: the portfolio, and more of it
        made = write_portfolio(portfolio.app, 10_000, seed=99)
    _until_tracked(migrated_database.dsn, made.head)
    live = {view.name: _stored(migrated_database.dsn, view) for view in VIEWS}

    with psycopg.connect(migrated_database.dsn, autocommit=True) as conn:
        assert rebuild(conn, VIEWS) == made.head
    for view in VIEWS:
        rebuilt = _stored(migrated_database.dsn, view)
        replayed, head = _replayed(migrated_database.dsn, view)
        assert head == made.head
        assert rebuilt == live[view.name] == replayed
        assert all(rows for rows in rebuilt.values())  # the portfolio reached every table
        assert _tracked(migrated_database.dsn, view) == made.head
    for runner in runners:  # they followed the swap, not restarted by an error
        assert (runner.is_running, runner.restarts) == (True, 0), runner.last_error


def test_an_online_rebuild_during_writes_ends_equal_to_a_fresh_replay(
    portfolio: PortfolioStore, runners: list[SupervisedRunner]
) -> None:
    migrated_database, made, app = portfolio.target, portfolio.made, portfolio.app
    _until_tracked(migrated_database.dsn, made.head)
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        while not stop.is_set():
            propose(app, f"during the rebuild {len(written)}")
            written.append(1)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        _until(lambda: len(written) >= 20)  # writes are under way when the rebuild starts
        with psycopg.connect(migrated_database.dsn, autocommit=True) as conn:
            rebuilt_at = rebuild(conn, VIEWS)
        at_swap = len(written)
        _until(lambda: len(written) >= at_swap + 20)  # and go on after the swap
    finally:
        stop.set()
        writer.join()
    assert rebuilt_at > made.head
    with psycopg.connect(migrated_database.dsn) as conn:
        (head,) = conn.execute("SELECT max(notification_id) FROM roadmap_events").fetchone() or (0,)
    assert head > rebuilt_at  # some writes landed after the swap, and the runner took them
    _until_tracked(migrated_database.dsn, head)
    for view in VIEWS:
        replayed, _ = _replayed(migrated_database.dsn, view)
        assert _stored(migrated_database.dsn, view) == replayed
    for runner in runners:
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
        before = _stored(migrated_database.dsn, summary)
        with pytest.raises(RebuildError, match=r"initiative_summary .* after position 0"):
            rebuild(conn, [broken])
        shadow = conn.execute(
            "SELECT to_regclass(%s)", (summary.tables[0].name + SHADOW,)
        ).fetchone()
    assert shadow == (None,)
    assert _stored(migrated_database.dsn, summary) == before
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
    assert _tracked(fresh_database.dsn, summary) == 0  # so its runner replays from the start
