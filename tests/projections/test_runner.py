"""The projection runner against a real event store: view = fold, exactly once, rebuildable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from roadmap_svc.application import APPLICATION_NAME, DecisionInput, RoadmapApplication
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.stakeholders import Stance
from roadmap_svc.projections.initiative_queries import get_initiative_summary
from roadmap_svc.projections.initiative_summary import VIEW, InitiativeSummary, fold
from roadmap_svc.projections.positions import (
    event_store_position,
    projection_position,
    wait_for_position,
)
from roadmap_svc.projections.rebuild import rebuild
from roadmap_svc.projections.registry import VIEWS, construct_view
from roadmap_svc.projections.runner import SupervisedRunner, start_runners, stop_runners
from roadmap_svc.projections.view_tables import tracking_table
from roadmap_svc.schema import migrate_database
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.event_log import aggregate_events
from roadmap_svc.storage.eventstore import EVENTS_TABLE, eventsourcing_env
from roadmap_svc.storage.pool import Pool, create_pool

TRACKING_TABLE = tracking_table(VIEW.name)
CATCH_UP_SECONDS = 30.0  # a bound, not a sleep: the wait returns as soon as the view is there


@dataclass
class Store:
    target: DatabaseTarget
    app: RoadmapApplication
    pool: Pool

    @property
    def runner_env(self) -> dict[str, str]:
        return eventsourcing_env(self.target, pool_size=2)


@pytest.fixture
async def store(migrated_database: DatabaseTarget) -> AsyncIterator[Store]:
    app = RoadmapApplication(env=eventsourcing_env(migrated_database))
    try:
        pool = await create_pool(migrated_database, 2)
        try:
            yield Store(migrated_database, app, pool)
        finally:
            await pool.close()
    finally:
        app.close()


class Runners:
    """Runners started and stopped by a test; always stopped at the end (see `runners`)."""

    def __init__(self) -> None:
        self.active: list[SupervisedRunner] = []

    def start(self, env: dict[str, str]) -> list[SupervisedRunner]:
        assert not self.active
        self.active = start_runners(env)
        return self.active

    def stop(self) -> None:
        active, self.active = self.active, []
        stop_runners(active)
        assert not any(r.is_running for r in active)


@pytest.fixture
def runners(store: Store) -> Iterator[Runners]:
    del store  # runners are stopped before the store closes and its database is dropped
    started = Runners()
    try:
        yield started
    finally:
        started.stop()


def _meta(reason: str | None = None) -> EventMeta:
    return EventMeta(actor="test-runner", reason=reason, request_id=uuid4().hex)


def _write_history(app: RoadmapApplication) -> tuple[list[UUID], int]:
    """Propose five initiatives and take decisions on most; returns their ids and the head."""
    positions: list[int] = []
    ids: list[UUID] = []
    for n in range(5):
        result = app.propose_initiative(
            title=f"Initiative {n} {uuid4().hex[:6]}",
            problem_statement="Something is slow.",
            business_case="Faster is cheaper.",
            owner=f"owner-{n % 2}",
            sponsor="cfo" if n % 2 else None,
            tags=("payments", f"team-{n}"),
            meta=_meta("pitch"),
        )
        ids.append(result.id)
        positions.append(result.position)
    first, second, third, fourth, _fifth = ids

    def decide(initiative_id: UUID, kind: DecisionKind, **fields: Any) -> None:
        decision = DecisionInput(
            kind=kind, rationale=f"because {kind.value}", decided_by="steering", **fields
        )
        positions.append(app.decide(initiative_id, decision, _meta(), None).position)

    positions.append(
        app.add_stakeholder(
            first, name="Linus", role="security", meta=_meta(), expected_version=1
        ).position
    )
    positions.append(
        app.add_stakeholder(
            first, name="Margaret", role=None, meta=_meta(), expected_version=2
        ).position
    )
    positions.append(
        app.record_stance(
            first,
            name="linus",
            stance=Stance.HAS_CONCERNS,
            note="threat model first",
            meta=_meta(),
            expected_version=3,
        ).position
    )
    decide(first, DecisionKind.APPROVE, quarter="2031-Q1")
    decide(first, DecisionKind.START)
    decide(second, DecisionKind.REJECT)
    decide(first, DecisionKind.PAUSE)
    positions.append(
        app.revise_initiative(
            third, {"title": "Renamed", "tags": ["web"]}, _meta(), expected_version=None
        ).position
    )
    positions.append(
        app.revise_initiative(fourth, {"sponsor": None}, _meta(), expected_version=1).position
    )
    next_year = datetime.now(UTC).year + 1
    decide(fourth, DecisionKind.DEFER, quarter=f"{next_year}-Q3")
    decide(third, DecisionKind.APPROVE, quarter=f"{next_year}-Q1")
    decide(third, DecisionKind.CANCEL)
    assert positions == sorted(positions)
    return ids, positions[-1]


async def _caught_up(pool: Pool, position: int) -> bool:
    """Every view has the position (and its runner follows again)."""
    for view in VIEWS:
        table = tracking_table(view.name)
        if not await wait_for_position(pool, table, APPLICATION_NAME, position, CATCH_UP_SECONDS):
            return False
    return True


async def _view_rows(pool: Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT * FROM initiative_summary_view ORDER BY id")
    return [dict(row) for row in rows]


async def _expected(pool: Pool, initiative_id: UUID) -> InitiativeSummary:
    events = await aggregate_events(pool, initiative_id)
    summary = fold((e.event, e.position) for e in events)
    assert summary is not None
    return summary


async def _tracking_row(pool: Pool) -> int | None:
    value = await pool.fetchval(
        f"SELECT notification_id FROM {TRACKING_TABLE} WHERE application_name = $1",  # noqa: S608
        APPLICATION_NAME,
    )
    return None if value is None else int(value)


def _assert_healthy(active: list[SupervisedRunner]) -> None:
    for runner in active:
        assert runner.is_running, runner.name
        assert runner.restarts == 0, runner.last_error
        assert runner.last_error is None


async def test_view_equals_the_fold_and_rebuild_replays_it(store: Store, runners: Runners) -> None:
    ids, head = await asyncio.to_thread(_write_history, store.app)
    assert await event_store_position(store.pool, EVENTS_TABLE) == head

    active = await asyncio.to_thread(runners.start, store.runner_env)
    assert await _caught_up(store.pool, head)
    _assert_healthy(active)
    assert await projection_position(store.pool, TRACKING_TABLE, APPLICATION_NAME) == head

    rows = await _view_rows(store.pool)
    assert {row["id"] for row in rows} == set(ids)
    for initiative_id in ids:
        expected = await _expected(store.pool, initiative_id)
        assert await get_initiative_summary(store.pool, initiative_id) == expected
        (row,) = (r for r in rows if r["id"] == initiative_id)
        assert tuple(row["stakeholders_without_stance"]) == expected.stakeholders_without_stance
        # The aggregate itself agrees with the view.
        aggregate = store.app.get_initiative(initiative_id)
        assert (expected.status, expected.version) == (aggregate.status.value, aggregate.version)

    by_id = {row["id"]: row for row in rows}
    first, second, third, fourth, fifth = ids
    assert (by_id[first]["status"], by_id[first]["quarter"]) == ("paused", "2031-Q1")
    assert by_id[first]["stakeholders_without_stance"] == ["Margaret"]
    assert by_id[second]["status"] == "rejected"
    assert (by_id[third]["status"], by_id[third]["title"]) == ("cancelled", "Renamed")
    assert (by_id[fourth]["status"], by_id[fourth]["last_decision"]) == ("proposed", "defer")
    assert by_id[fourth]["sponsor"] is None
    assert (by_id[fifth]["status"], by_id[fifth]["version"]) == ("proposed", 1)

    # Rebuild, online: the runner keeps following while the log is replayed into new
    # tables that are swapped in; then the runner follows those.
    with psycopg.connect(store.target.dsn, autocommit=True) as conn:
        assert await asyncio.to_thread(rebuild, conn, VIEWS) == head
    assert await _view_rows(store.pool) == rows
    assert await _tracking_row(store.pool) == head
    later = await asyncio.to_thread(
        store.app.propose_initiative,
        title="After the rebuild",
        problem_statement="p",
        business_case="b",
        owner="o",
        sponsor=None,
        tags=(),
        meta=_meta(),
    )
    assert await _caught_up(store.pool, later.position)
    _assert_healthy(active)
    assert await get_initiative_summary(store.pool, later.value.id) == await _expected(
        store.pool, later.value.id
    )


async def test_runner_follows_new_events_while_running(store: Store, runners: Runners) -> None:
    _ids, head = await asyncio.to_thread(_write_history, store.app)
    active = await asyncio.to_thread(runners.start, store.runner_env)
    assert await _caught_up(store.pool, head)

    later = await asyncio.to_thread(
        store.app.propose_initiative,
        title="Proposed while the runner runs",
        problem_statement="p",
        business_case="b",
        owner="o",
        sponsor=None,
        tags=(),
        meta=_meta(),
    )
    assert later.position > head
    assert await _caught_up(store.pool, later.position)
    _assert_healthy(active)
    assert await get_initiative_summary(store.pool, later.id) == await _expected(
        store.pool, later.id
    )


async def test_redelivered_event_is_refused_and_changes_nothing(
    store: Store, runners: Runners
) -> None:
    ids, head = await asyncio.to_thread(_write_history, store.app)
    await asyncio.to_thread(runners.start, store.runner_env)
    assert await _caught_up(store.pool, head)
    await asyncio.to_thread(runners.stop)
    rows = await _view_rows(store.pool)

    # The first initiative's Proposed event: applied again it would reset the row to
    # "proposed, version 1", so a view write that escaped the rollback would show.
    proposed = (await aggregate_events(store.pool, ids[0]))[0]
    stale = fold([(proposed.event, proposed.position)])
    assert stale is not None
    assert await get_initiative_summary(store.pool, ids[0]) != stale
    # ...and the event at the head, the very last one the runner tracked.
    (head_event,) = [
        positioned
        for initiative_id in ids
        for positioned in await aggregate_events(store.pool, initiative_id)
        if positioned.position == head
    ]

    view = construct_view(VIEW, eventsourcing_env(store.target, pool_size=1))
    try:
        for redelivered in (proposed, head_event):
            tracking = Tracking(
                application_name=APPLICATION_NAME, notification_id=redelivered.position
            )
            with pytest.raises(IntegrityError):
                await asyncio.to_thread(view.apply_event, redelivered.event, tracking)
            assert await _view_rows(store.pool) == rows
            assert await _tracking_row(store.pool) == head

        # Control: the same event under a new position does reach the row, so the checks
        # above would have seen a write that was not rolled back.
        fresh = Tracking(application_name=APPLICATION_NAME, notification_id=head + 1)
        await asyncio.to_thread(view.apply_event, proposed.event, fresh)
        assert await _tracking_row(store.pool) == head + 1
        summary = await get_initiative_summary(store.pool, ids[0])
        assert summary == fold([(proposed.event, head + 1)])
    finally:
        view.datastore.close()


async def test_wait_for_position_gives_up_within_its_bound(store: Store, runners: Runners) -> None:
    _ids, head = await asyncio.to_thread(_write_history, store.app)
    await asyncio.to_thread(runners.start, store.runner_env)
    assert await _caught_up(store.pool, head)

    bound = 0.3
    started = time.monotonic()
    reached = await wait_for_position(store.pool, TRACKING_TABLE, APPLICATION_NAME, head + 1, bound)
    elapsed = time.monotonic() - started
    assert reached is False
    assert bound <= elapsed < bound + 2.0

    # A position already reached answers at once, even with no time to wait.
    assert await wait_for_position(store.pool, TRACKING_TABLE, APPLICATION_NAME, head, 0.0)


async def test_wait_for_position_on_an_untracked_projection(store: Store) -> None:
    assert await projection_position(store.pool, TRACKING_TABLE, APPLICATION_NAME) == 0
    assert await wait_for_position(store.pool, TRACKING_TABLE, APPLICATION_NAME, 0, 0.0)
    assert not await wait_for_position(store.pool, TRACKING_TABLE, APPLICATION_NAME, 1, 0.05)


def test_runner_tables_are_the_migrated_ones(fresh_database: DatabaseTarget) -> None:
    migrate_database(fresh_database)
    with psycopg.connect(fresh_database.dsn) as conn:
        for table in (TRACKING_TABLE, EVENTS_TABLE, "initiative_summary_view"):
            found = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
            assert found == (table,)


async def test_a_failed_batch_leaves_no_rows_no_position_and_nothing_in_memory(
    store: Store,
) -> None:
    ids, head = await asyncio.to_thread(_write_history, store.app)
    events = [
        (positioned.event, positioned.position)
        for initiative_id in ids
        for positioned in await aggregate_events(store.pool, initiative_id)
    ]
    events.sort(key=lambda pair: pair[1])
    view = construct_view(VIEW, eventsourcing_env(store.target, pool_size=1))
    try:
        first_half = events[: len(events) // 2]
        tracked = first_half[-1][1]
        await asyncio.to_thread(view.apply_events, first_half, Tracking(APPLICATION_NAME, tracked))
        rows = await _view_rows(store.pool)
        # A batch that fails part-way: an event of an initiative the view never saw proposed.
        orphan = next(e for e, _ in events if e.originator_version > 1)
        bad = [*events[len(events) // 2 :], (_as_of_other_initiative(orphan), head + 1)]
        with pytest.raises(ValueError, match="before Proposed"):
            await asyncio.to_thread(view.apply_events, bad, Tracking(APPLICATION_NAME, head + 1))
        assert await _view_rows(store.pool) == rows
        assert await _tracking_row(store.pool) == tracked
        # The rest, applied again as a good batch, lands as a full replay would.
        rest = events[len(events) // 2 :]
        await asyncio.to_thread(view.apply_events, rest, Tracking(APPLICATION_NAME, head))
        for initiative_id in ids:
            assert await get_initiative_summary(store.pool, initiative_id) == await _expected(
                store.pool, initiative_id
            )
    finally:
        view.datastore.close()


def _as_of_other_initiative(domain_event: Any) -> Any:
    """The same event, as if of an initiative the view has no row for."""
    return type(domain_event)(**{**vars(domain_event), "originator_id": uuid4()})


async def test_a_runner_whose_view_another_runner_moved_on_writes_nothing(store: Store) -> None:
    # Two followers from the same position: the one that lost its lock (its connection
    # ended) without knowing it, and the one that took the view over.
    ids, head = await asyncio.to_thread(_write_history, store.app)
    events = [
        (positioned.event, positioned.position)
        for initiative_id in ids
        for positioned in await aggregate_events(store.pool, initiative_id)
    ]
    events.sort(key=lambda pair: pair[1])
    half = len(events) // 2
    stale = construct_view(VIEW, eventsourcing_env(store.target, pool_size=1))
    current = construct_view(VIEW, eventsourcing_env(store.target, pool_size=1))
    try:
        assert await asyncio.to_thread(stale.start_following, APPLICATION_NAME) == 0
        assert await asyncio.to_thread(current.start_following, APPLICATION_NAME) == 0
        first = events[:half]
        await asyncio.to_thread(
            current.apply_events, first, Tracking(APPLICATION_NAME, first[-1][1])
        )
        rows = await _view_rows(store.pool)

        with pytest.raises(IntegrityError, match="no longer 0"):
            await asyncio.to_thread(stale.apply_events, events, Tracking(APPLICATION_NAME, head))
        assert await _view_rows(store.pool) == rows
        assert await _tracking_row(store.pool) == first[-1][1]

        # The current one goes on from where it left the view.
        rest = events[half:]
        await asyncio.to_thread(current.apply_events, rest, Tracking(APPLICATION_NAME, head))
        assert await _tracking_row(store.pool) == head
        for initiative_id in ids:
            expected = await _expected(store.pool, initiative_id)
            assert await get_initiative_summary(store.pool, initiative_id) == expected
    finally:
        stale.datastore.close()
        current.datastore.close()
