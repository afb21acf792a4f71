"""The unit of work against real PostgreSQL: one typed round trip per command, the aggregate
cache and its copies, snapshots taken and used, occurred time checked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest

from roadmap_svc.application import RoadmapApplication
from roadmap_svc.domain.errors import InvalidValueError, VersionMismatchError
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import Milestone
from roadmap_svc.domain.stakeholders import Stance
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import eventsourcing_env

META = EventMeta(actor="uow-test")
INTERVAL = 5


def _app(target: DatabaseTarget, *, cache: int, snapshots: int = INTERVAL) -> RoadmapApplication:
    return RoadmapApplication(
        env=eventsourcing_env(
            target, pool_size=2, aggregate_cache_size=cache, snapshot_interval=snapshots
        )
    )


@pytest.fixture
def app(migrated_database: DatabaseTarget) -> Iterator[RoadmapApplication]:
    application = _app(migrated_database, cache=100)
    try:
        yield application
    finally:
        application.close()


@pytest.fixture
def other(migrated_database: DatabaseTarget) -> Iterator[RoadmapApplication]:
    """Another process's application on the same database (its own cache)."""
    application = _app(migrated_database, cache=100)
    try:
        yield application
    finally:
        application.close()


def propose(app: RoadmapApplication) -> UUID:
    return app.propose_initiative(
        title="Faster checkout",
        problem_statement="Slow.",
        business_case="Money.",
        owner="ana",
        sponsor=None,
        tags=(),
        meta=META,
    ).id


def stakeholder(app: RoadmapApplication, initiative_id: UUID, name: str) -> int:
    return app.add_stakeholder(
        initiative_id, name=name, role=None, meta=META, expected_version=None
    ).version


def snapshot_versions(target: DatabaseTarget, aggregate_id: UUID) -> list[int]:
    with psycopg.connect(target.dsn) as conn:
        rows = conn.execute(
            "SELECT originator_version FROM roadmap_snapshots WHERE originator_id = %s"
            " ORDER BY originator_version",
            (aggregate_id,),
        ).fetchall()
    return [version for (version,) in rows]


def full_replay(app: RoadmapApplication, aggregate_id: UUID) -> Initiative:
    aggregate: Initiative | None = None
    for domain_event in app.events.get(aggregate_id):
        aggregate = domain_event.mutate(aggregate)  # type: ignore[attr-defined]
    assert isinstance(aggregate, Initiative)
    return aggregate


# ---- typed round trip ---------------------------------------------------------------------


def test_a_command_answers_what_it_changed_with_version_and_position(
    app: RoadmapApplication,
) -> None:
    initiative_id = propose(app)
    written = app.add_milestone(
        initiative_id,
        title="Beta",
        success_criteria="ten users",
        target_date=date(2027, 3, 1),
        meta=META,
        expected_version=1,
    )
    assert isinstance(written.value, Milestone)
    assert written.value.title == "Beta"
    assert (written.id, written.version) == (initiative_id, 2)
    assert written.position == app.recorder.max_notification_id()
    stored = full_replay(app, initiative_id)
    assert stored.milestones[written.value.id] == written.value


def test_a_command_on_a_cached_aggregate_reads_nothing_from_the_store(
    app: RoadmapApplication, migrated_database: DatabaseTarget
) -> None:
    initiative_id = propose(app)
    with psycopg.connect(migrated_database.dsn, autocommit=True) as conn:
        before = _event_reads(conn)
        for n in range(5):
            stakeholder(app, initiative_id, f"person {n}")
        after = _event_reads(conn)
    # Only the committer touches the table (its refusal check and insert), no loads.
    assert after - before <= 5 * 2


def _event_reads(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute(
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
        " WHERE relname = 'roadmap_events'"
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


# ---- the cache and its copies -------------------------------------------------------------


def test_a_refused_command_leaves_the_cached_aggregate_as_committed(
    app: RoadmapApplication,
) -> None:
    initiative_id = propose(app)
    stakeholder(app, initiative_id, "Ada")
    cached = app.cache.get(initiative_id)
    assert isinstance(cached, Initiative)
    before = (cached.version, dict(cached.stakeholders))

    with pytest.raises(InvalidValueError):
        # Changes the copy (stance recorded), then fails on the blank name of the second.
        app.change_initiative(
            initiative_id,
            None,
            META,
            lambda i, _: (
                i.record_stance("Ada", Stance.OBJECTS, None, META),
                i.add_stakeholder("  ", None, META),
            ),
        )

    assert app.cache.get(initiative_id) is cached
    assert (cached.version, dict(cached.stakeholders)) == before
    assert app.get_initiative(initiative_id).stakeholders["ada"].stance is None


def test_a_stale_cache_is_refused_at_commit_and_the_command_decided_again(
    app: RoadmapApplication, other: RoadmapApplication
) -> None:
    initiative_id = propose(app)
    stakeholder(app, initiative_id, "Ada")  # app's cache: version 2
    stakeholder(other, initiative_id, "Grace")  # another process writes version 3

    version = stakeholder(app, initiative_id, "Linus")  # decided on v2, refused, decided on v3

    assert version == 4
    names = {s.name for s in full_replay(app, initiative_id).stakeholders.values()}
    assert names == {"Ada", "Grace", "Linus"}


def test_if_match_against_a_stale_cache_checks_the_store_before_refusing(
    app: RoadmapApplication, other: RoadmapApplication
) -> None:
    initiative_id = propose(app)
    stakeholder(app, initiative_id, "Ada")
    stakeholder(other, initiative_id, "Grace")  # version 3, unseen by app's cache

    written = app.add_stakeholder(
        initiative_id, name="Linus", role=None, meta=META, expected_version=3
    )
    assert written.version == 4
    with pytest.raises(VersionMismatchError) as stale:
        app.add_stakeholder(initiative_id, name="Bob", role=None, meta=META, expected_version=3)
    assert (stale.value.expected, stale.value.actual) == (3, 4)


def test_a_read_brings_a_cached_aggregate_up_to_date(
    app: RoadmapApplication, other: RoadmapApplication
) -> None:
    initiative_id = propose(app)
    stakeholder(app, initiative_id, "Ada")
    assert app.get_initiative(initiative_id).version == 2
    stakeholder(other, initiative_id, "Grace")

    current = app.get_initiative(initiative_id)

    assert current.version == 3
    assert set(current.stakeholders) == {"ada", "grace"}


# ---- snapshots ----------------------------------------------------------------------------


def test_snapshots_are_taken_every_interval_and_loads_start_from_them(
    migrated_database: DatabaseTarget,
) -> None:
    writer = _app(migrated_database, cache=0)
    try:
        initiative_id = propose(writer)
        milestone = writer.add_milestone(
            initiative_id,
            title="Beta",
            success_criteria="ten users",
            target_date=date(2027, 3, 1),
            meta=META,
            expected_version=None,
        ).value
        for n in range(3 * INTERVAL):
            writer.replan_milestone(
                initiative_id,
                milestone.id,
                to_date=date(2027, 3, 2) + timedelta(days=n),
                reason=f"slip {n}",
                meta=META,
                expected_version=None,
            )
        version = 2 + 3 * INTERVAL
        assert snapshot_versions(migrated_database, initiative_id) == [5, 10, 15]

        loaded = writer.get_initiative(initiative_id)
        replayed = full_replay(writer, initiative_id)
        assert loaded.version == version
        assert vars(loaded) == vars(replayed)
        # A past version is rebuilt from the snapshot at or before it.
        assert vars(writer.get_initiative(initiative_id, version=12)) == vars(
            _replay_to(writer, initiative_id, 12)
        )
        # And every command works on an aggregate restored from a snapshot.
        again = writer.replan_milestone(
            initiative_id,
            milestone.id,
            to_date=date(2028, 1, 1),
            reason="once more",
            meta=META,
            expected_version=version,
        )
        assert len(again.value.slips) == 3 * INTERVAL + 1
    finally:
        writer.close()


def _replay_to(app: RoadmapApplication, aggregate_id: UUID, version: int) -> Initiative:
    aggregate: Initiative | None = None
    for domain_event in app.events.get(aggregate_id, lte=version):
        aggregate = domain_event.mutate(aggregate)  # type: ignore[attr-defined]
    assert isinstance(aggregate, Initiative)
    return aggregate


def test_no_snapshots_when_the_interval_is_zero(migrated_database: DatabaseTarget) -> None:
    writer = _app(migrated_database, cache=0, snapshots=0)
    try:
        initiative_id = propose(writer)
        for n in range(2 * INTERVAL):
            stakeholder(writer, initiative_id, f"person {n}")
        assert snapshot_versions(migrated_database, initiative_id) == []
        assert writer.get_initiative(initiative_id).version == 1 + 2 * INTERVAL
    finally:
        writer.close()


# ---- occurred time ------------------------------------------------------------------------


def test_occurred_at_in_the_future_or_without_offset_is_refused(
    app: RoadmapApplication,
) -> None:
    initiative_id = propose(app)
    head = app.recorder.max_notification_id()
    future = EventMeta(actor="importer", occurred_at=datetime.now(UTC) + timedelta(minutes=5))
    naive = EventMeta(actor="importer", occurred_at=datetime(2025, 1, 1))  # noqa: DTZ001
    for meta in (future, naive):
        with pytest.raises(InvalidValueError) as refused:
            app.add_stakeholder(
                initiative_id, name="x", role=None, meta=meta, expected_version=None
            )
        assert refused.value.field == "occurred_at"
    assert app.recorder.max_notification_id() == head


def test_days_count_from_when_it_happened(app: RoadmapApplication) -> None:
    imported = EventMeta(actor="importer", occurred_at=datetime(2025, 2, 10, 9, tzinfo=UTC))
    initiative_id = app.propose_initiative(
        title="Imported",
        problem_statement="p",
        business_case="b",
        owner="o",
        sponsor=None,
        tags=(),
        meta=EventMeta(actor="importer", occurred_at=datetime(2025, 1, 6, tzinfo=UTC)),
    ).id
    milestone = app.add_milestone(
        initiative_id,
        title="M",
        success_criteria="s",
        target_date=date(2025, 3, 1),
        meta=imported,
        expected_version=None,
    ).value
    # Default actual date: the day it happened, not today; later than that is refused.
    done = app.complete_milestone(
        initiative_id, milestone.id, actual_date=None, meta=imported, expected_version=None
    )
    assert done.value.actual_date == date(2025, 2, 10)
    history = list(app.events.get(initiative_id))
    assert [e.occurred_at.date() for e in history] == [  # type: ignore[attr-defined]
        date(2025, 1, 6),
        date(2025, 2, 10),
        date(2025, 2, 10),
    ]
    assert all(e.timestamp.date() == datetime.now(UTC).date() for e in history)  # type: ignore[attr-defined]


# ---- awaited on the event loop ------------------------------------------------------------


async def test_an_awaited_command_loads_what_the_cache_lacks_then_decides(
    app: RoadmapApplication, other: RoadmapApplication
) -> None:
    initiative_id = propose(other)  # written elsewhere: not in app's cache
    assert app.cache.get(initiative_id) is None

    written = await app.add_stakeholder.asynchronously(
        initiative_id, name="Ada", role=None, meta=META, expected_version=1
    )

    assert (written.version, set(written.value.stakeholders)) == (2, {"ada"})
    assert app.cache.get(initiative_id) is written.value


async def test_an_awaited_command_reads_other_aggregates_off_the_loop(
    app: RoadmapApplication, other: RoadmapApplication
) -> None:
    team = other.register_team(name=f"Team {uuid4().hex[:6]}", wip_limit=None, meta=META).id
    initiative_id = propose(other)

    written = await app.assign_team.asynchronously(
        initiative_id,
        team_id=team,
        quarter="2027-Q1",
        fte=1.5,
        person=None,
        role=None,
        meta=META,
        expected_version=None,
    )

    assert written.value.team_id == team
    with pytest.raises(InvalidValueError) as unknown:
        await app.assign_team.asynchronously(
            initiative_id,
            team_id=uuid4(),  # looked up, found absent: refused, not retried forever
            quarter="2027-Q1",
            fte=1,
            person=None,
            role=None,
            meta=META,
            expected_version=None,
        )
    assert unknown.value.field == "team_id"


async def test_awaited_if_match_against_a_stale_cache_checks_the_store(
    app: RoadmapApplication, other: RoadmapApplication
) -> None:
    initiative_id = propose(app)
    stakeholder(other, initiative_id, "Grace")  # version 2, unseen by app's cache

    written = await app.add_stakeholder.asynchronously(
        initiative_id, name="Linus", role=None, meta=META, expected_version=2
    )
    assert written.version == 3
    with pytest.raises(VersionMismatchError):
        await app.add_stakeholder.asynchronously(
            initiative_id, name="Bob", role=None, meta=META, expected_version=2
        )


async def test_an_awaited_command_on_a_stale_cache_is_decided_again(
    app: RoadmapApplication, other: RoadmapApplication
) -> None:
    initiative_id = propose(app)
    stakeholder(other, initiative_id, "Grace")

    written = await app.add_stakeholder.asynchronously(
        initiative_id, name="Linus", role=None, meta=META, expected_version=None
    )

    assert written.version == 3
    assert set(full_replay(app, initiative_id).stakeholders) == {"grace", "linus"}


async def test_awaited_commands_on_one_aggregate_take_turns_and_are_all_kept(
    app: RoadmapApplication,
) -> None:
    initiative_id = propose(app)
    results = await asyncio.gather(
        *(
            app.add_stakeholder.asynchronously(
                initiative_id, name=f"person {n}", role=None, meta=META, expected_version=None
            )
            for n in range(20)
        )
    )
    assert sorted(r.version for r in results) == list(range(2, 22))
    assert len(full_replay(app, initiative_id).stakeholders) == 20


async def test_an_awaited_refusal_records_nothing(app: RoadmapApplication) -> None:
    initiative_id = propose(app)
    head = app.recorder.max_notification_id()
    with pytest.raises(InvalidValueError):
        await app.add_stakeholder.asynchronously(
            initiative_id, name="  ", role=None, meta=META, expected_version=None
        )
    assert app.recorder.max_notification_id() == head
    assert app.get_initiative(initiative_id).version == 1


async def test_without_a_cache_an_awaited_command_runs_in_a_thread(
    migrated_database: DatabaseTarget,
) -> None:
    uncached = _app(migrated_database, cache=0)
    try:
        initiative_id = propose(uncached)
        written = await uncached.add_stakeholder.asynchronously(
            initiative_id, name="Ada", role=None, meta=META, expected_version=1
        )
        assert written.version == 2
    finally:
        uncached.close()
