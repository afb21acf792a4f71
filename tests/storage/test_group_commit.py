"""Group commit against real PostgreSQL: commands that arrive together share a transaction,
each gets its own exact answer, and one command's conflict or failure never fails another's.

To make "arrive together" certain rather than likely, a test holds the events table's write
lock from another connection while its commands queue up behind the committer's first batch,
then lets go: the rest are then stored as one batch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any
from uuid import UUID

import psycopg
import pytest

from roadmap_svc.application import RoadmapApplication, Work, Written
from roadmap_svc.domain.errors import TeamNameTakenError
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import eventsourcing_env
from roadmap_svc.storage.group_commit import CommitConflictError, GroupCommitter

META = EventMeta(actor="group-commit-test")
COMMANDS = 24


@pytest.fixture
def app(migrated_database: DatabaseTarget) -> Iterator[RoadmapApplication]:
    application = RoadmapApplication(
        env=eventsourcing_env(migrated_database, pool_size=2, aggregate_cache_size=1000)
    )
    try:
        yield application
    finally:
        application.close()


@contextmanager
def one_batch(target: DatabaseTarget, app: RoadmapApplication, commands: int) -> Iterator[None]:
    """The next `commands` commands are stored in one transaction.

    Holds the write lock while one warm-up command takes the committer's first batch (and
    waits for the lock), until `commands` more wait in the queue behind it; then lets go.
    """
    with psycopg.connect(target.dsn) as conn:
        conn.execute("LOCK TABLE roadmap_events IN EXCLUSIVE MODE")
        warm_up = threading.Thread(target=propose, args=(app, -1))
        warm_up.start()
        _until(lambda: _waiting_for_the_lock(target) == 1)
        yield
        _until(lambda: app.committer._queue.qsize() == commands)  # noqa: SLF001
        conn.rollback()
        warm_up.join()


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 4  # well within the committer's lock timeout
    while not condition():
        assert time.monotonic() < deadline, "commands did not queue up"
        time.sleep(0.005)


def _waiting_for_the_lock(target: DatabaseTarget) -> int:
    with psycopg.connect(target.dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def _submit(calls: list[Callable[[], object]]) -> list[Future[Any]]:
    pool = ThreadPoolExecutor(max_workers=len(calls))
    futures = [pool.submit(call) for call in calls]
    pool.shutdown(wait=False)
    return futures


def _results(futures: list[Future[Any]]) -> list[Any]:
    return [
        f.result(timeout=60) if f.exception(timeout=60) is None else f.exception() for f in futures
    ]


def propose(app: RoadmapApplication, n: int) -> UUID:
    return app.propose_initiative(
        title=f"Initiative {n}",
        problem_statement="p",
        business_case="b",
        owner="o",
        sponsor=None,
        tags=(),
        meta=META,
    ).id


def stored_events(target: DatabaseTarget) -> list[tuple[int, UUID, int, bytes]]:
    with psycopg.connect(target.dsn) as conn:
        rows = conn.execute(
            "SELECT notification_id, originator_id, originator_version, state"
            " FROM roadmap_events ORDER BY notification_id"
        ).fetchall()
    return [(int(p), UUID(str(i)), int(v), bytes(s)) for p, i, v, s in rows]


def test_commands_arriving_together_share_one_transaction_and_each_gets_its_own_answer(
    app: RoadmapApplication, migrated_database: DatabaseTarget
) -> None:
    initiatives = [propose(app, n) for n in range(COMMANDS)]
    batches = app.committer.batches
    head = len(stored_events(migrated_database)) + 1  # and the warm-up's

    with one_batch(migrated_database, app, COMMANDS):
        futures = _submit(
            [
                partial(
                    app.add_stakeholder,
                    i,
                    name=f"person {n}",
                    role=None,
                    meta=META,
                    expected_version=None,
                )
                for n, i in enumerate(initiatives)
            ]
        )
    results = _results(futures)

    assert all(isinstance(r, Written) for r in results), results
    assert app.committer.batches - batches == 2  # the warm-up alone, then all the others
    events = stored_events(migrated_database)
    assert len(events) == head + COMMANDS  # nothing lost, nothing twice
    assert [p for p, *_ in events] == list(range(1, len(events) + 1))  # gap-free
    by_position = {p: (i, v, state) for p, i, v, state in events}
    for n, (initiative_id, written) in enumerate(zip(initiatives, results, strict=True)):
        # Each answer is its own command's: its initiative, version and event.
        assert (written.id, written.version) == (initiative_id, 2)
        assert written.value.stakeholders["person " + str(n)].name == f"person {n}"
        event_id, event_version, state = by_position[written.position]
        assert (event_id, event_version) == (initiative_id, 2)
        assert f'"person {n}"'.encode() in state


def test_a_conflicting_command_in_a_batch_leaves_the_others_stored(
    app: RoadmapApplication, migrated_database: DatabaseTarget
) -> None:
    initiatives = [propose(app, n) for n in range(COMMANDS)]
    stale = Work(app)
    loser = stale.load(Initiative, initiatives[0])
    loser.add_stakeholder("too late", None, META)
    app.add_stakeholder(initiatives[0], name="first", role=None, meta=META, expected_version=1)
    batches = app.committer.batches

    with one_batch(migrated_database, app, COMMANDS):
        futures = _submit(
            [
                stale.commit,
                *(
                    partial(
                        app.add_stakeholder,
                        i,
                        name="kept",
                        role=None,
                        meta=META,
                        expected_version=None,
                    )
                    for i in initiatives[1:]
                ),
            ]
        )
    results = _results(futures)

    assert isinstance(results[0], CommitConflictError)
    assert all(isinstance(r, Written) for r in results[1:]), results
    assert app.committer.batches - batches == 2
    assert set(app.get_initiative(initiatives[0]).stakeholders) == {"first"}
    for initiative_id in initiatives[1:]:
        assert set(app.get_initiative(initiative_id).stakeholders) == {"kept"}


def test_two_claims_of_one_name_in_a_batch_one_wins_the_others_are_kept(
    app: RoadmapApplication, migrated_database: DatabaseTarget
) -> None:
    names = ["Platform", "PLATFORM"] + [f"Team {n}" for n in range(COMMANDS - 2)]
    batches = app.committer.batches

    with one_batch(migrated_database, app, COMMANDS):
        futures = _submit(
            [partial(app.register_team, name=name, wip_limit=None, meta=META) for name in names]
        )
    results = _results(futures)

    # The warm-up and the batch, where one claim of the name lost to the other; decided again,
    # that command finds the name held (or, if it retried before the batch committed, loses
    # once more in a third transaction, then finds it held).
    assert app.committer.batches - batches in {2, 3}
    refused = [r for r in results if isinstance(r, Exception)]
    assert [type(r) for r in refused] == [TeamNameTakenError], results
    registered = {r.value.name for r in results if isinstance(r, Written)}
    assert len(registered) == COMMANDS - 1
    assert {f"Team {n}" for n in range(COMMANDS - 2)} <= registered


def test_a_read_aggregate_changed_earlier_in_the_same_batch_refuses_the_reader(
    app: RoadmapApplication, migrated_database: DatabaseTarget
) -> None:
    writer_id, reader_id = propose(app, 1), propose(app, 2)
    writer, reader = Work(app), Work(app)
    writer.load(Initiative, writer_id).add_stakeholder("changed", None, META)
    reader.load(Initiative, reader_id).add_stakeholder("read it", None, META)
    assert reader.find(Initiative, writer_id) is not None  # read, not changed

    with one_batch(migrated_database, app, 2):
        futures = _submit([writer.commit])  # queued first, so earlier in the batch
        _until(lambda: app.committer._queue.qsize() == 1)  # noqa: SLF001
        futures += _submit([reader.commit])
    results = _results(futures)

    assert isinstance(results[0], int)
    assert isinstance(results[1], CommitConflictError)
    assert set(app.get_initiative(reader_id).stakeholders) == set()


def test_a_commit_whose_answer_is_lost_is_read_back_not_repeated(
    app: RoadmapApplication, migrated_database: DatabaseTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    initiative_id = propose(app, 1)
    real_insert = GroupCommitter._insert_batch  # noqa: SLF001
    lost = {"after": 1, "before": 1}

    def flaky(self: GroupCommitter, batch: Any) -> dict[tuple[UUID, int], int]:
        if lost["before"]:  # the connection dies before anything is stored
            lost["before"] -= 1
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        stored = real_insert(self, batch)
        if lost["after"]:  # stored and committed, but the answer never arrives
            lost["after"] -= 1
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return stored

    monkeypatch.setattr(GroupCommitter, "_insert_batch", flaky)
    first = app.add_stakeholder(
        initiative_id, name="a", role=None, meta=META, expected_version=None
    )
    second = app.add_stakeholder(
        initiative_id, name="b", role=None, meta=META, expected_version=None
    )

    assert lost == {"after": 0, "before": 0}
    assert (first.version, second.version) == (2, 3)
    events = stored_events(migrated_database)
    assert [(i, v) for _, i, v, _ in events] == [
        (initiative_id, 1),
        (initiative_id, 2),
        (initiative_id, 3),
    ]
    assert [first.position, second.position] == [2, 3]


def test_commands_survive_the_database_dropping_every_connection(
    app: RoadmapApplication, migrated_database: DatabaseTarget
) -> None:
    initiative_id = propose(app, 1)
    app.get_initiative(initiative_id)
    with psycopg.connect(migrated_database.dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

    written = app.add_stakeholder(
        initiative_id, name="after the restart", role=None, meta=META, expected_version=None
    )

    assert written.version == 2
    assert [v for _, i, v, _ in stored_events(migrated_database) if i == initiative_id] == [1, 2]
