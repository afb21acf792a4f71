"""An event a view cannot apply, put straight into the store: the view keeps every event before
it, waits at it and says where and why (runner, table, /readyz, the operator command), retries
with a growing back-off and a log line per try, and goes on once it is fixed and retried."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.rows import dict_row

from roadmap_svc import cli
from roadmap_svc.api.app import create_app
from roadmap_svc.application import RoadmapApplication
from roadmap_svc.projections import failures, runner
from roadmap_svc.projections.runner import SupervisedRunner, start_runners, stop_runners
from roadmap_svc.projections.status import ViewStatus, views_status
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import EVENTS_TABLE, eventsourcing_env
from tests.application_helpers import propose
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.contract_check import conforming

VIEW = "initiative_summary"
BOUND_SECONDS = 20.0  # a bound on waits, not a sleep


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "FIRST_POISON_BACKOFF_SECONDS", 0.05)
    monkeypatch.setattr(runner, "RETRY_CHECK_SECONDS", 0.02)


def _propose(app: RoadmapApplication, title: str) -> int:
    """Propose; the position of its event."""
    propose(app, title)
    position = app.recorder.max_notification_id()
    assert position is not None
    return position


def _nul_in_the_title(state: dict[str, Any]) -> bytes:
    state["title"] = "a\u0000b"  # what the API let through before the text policy
    return json.dumps(state).encode()


def _not_json(_: dict[str, Any]) -> bytes:
    return b"\xff\x00 not an event"


def _inject(target: DatabaseTarget, like_position: int, poison: Callable[..., bytes]) -> int:
    """A copy of the event at `like_position`, for a new initiative, its state made poison."""
    with psycopg.connect(target.dsn, autocommit=True, row_factory=dict_row) as conn:
        row = conn.execute(
            f"SELECT topic, state FROM {EVENTS_TABLE} WHERE notification_id = %s",  # noqa: S608
            (like_position,),
        ).fetchone()
        assert row is not None
        state = poison(json.loads(bytes(row["state"])))
        inserted = conn.execute(
            f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state)"  # noqa: S608
            " VALUES (%s, 1, %s, %s) RETURNING notification_id",
            (uuid4(), row["topic"], state),
        ).fetchone()
        assert inserted is not None
        return int(inserted["notification_id"])


def _repair(target: DatabaseTarget, position: int, like_position: int) -> None:
    """Stands for the fix an operator deploys (here: the event made applicable again)."""
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        conn.execute(
            f"UPDATE {EVENTS_TABLE} SET state = (SELECT state FROM {EVENTS_TABLE}"  # noqa: S608
            " WHERE notification_id = %s) WHERE notification_id = %s",
            (like_position, position),
        )


def _until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + BOUND_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def _view_rows(target: DatabaseTarget) -> dict[UUID, str]:
    with psycopg.connect(target.dsn) as conn:
        rows = conn.execute("SELECT id, title FROM initiative_summary_view").fetchall()
    return {row[0]: row[1] for row in rows}


def _status(conn: psycopg.Connection[Any], view: str = VIEW) -> ViewStatus:
    (found,) = [s for s in views_status(conn) if s.name == view]
    return found


def _projection(readyz: dict[str, Any], view: str = VIEW) -> dict[str, Any]:
    (found,) = [p for p in readyz["projections"] if p["name"] == view]
    return dict(found)


@pytest.fixture
def running() -> Iterator[list[SupervisedRunner]]:
    started: list[SupervisedRunner] = []
    try:
        yield started
    finally:
        stop_runners(started)


@pytest.mark.parametrize("poison", [_nul_in_the_title, _not_json])
def test_a_poison_event_is_named_retried_and_passed_once_fixed(
    migrated_database: DatabaseTarget,
    app: RoadmapApplication,
    running: list[SupervisedRunner],
    poison: Callable[..., bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="roadmap_svc.projections.runner")
    before = _propose(app, "before the poison")
    bad = _inject(migrated_database, before, poison)
    after = _propose(app, "after the poison")
    running.extend(start_runners(eventsourcing_env(migrated_database, pool_size=1)))
    view_runner = next(r for r in running if r.name == VIEW)

    _until(lambda: view_runner.failure and view_runner.failure.attempts >= 3, "no retries")
    failure = view_runner.failure
    assert failure is not None
    assert (failure.view, failure.position, failure.originator_version) == (VIEW, bad, 1)
    assert failure.error
    # everything before the poison event is in the view, nothing after it
    assert sorted(_view_rows(migrated_database).values()) == ["before the poison"]
    with psycopg.connect(migrated_database.dsn) as conn:
        status = _status(conn)
    assert status.position == before
    assert status.lag == after - before
    assert status.failure is not None
    assert status.failure.position == bad
    assert status.failure.attempts >= 2
    # the back-off doubles with each try
    waited = (status.failure.next_attempt_at - status.failure.last_failed_at).total_seconds()
    expected = runner.FIRST_POISON_BACKOFF_SECONDS * 2 ** (status.failure.attempts - 1)
    assert waited == pytest.approx(expected, abs=0.001)
    records = [
        r
        for r in caplog.records
        if str(bad) in r.getMessage() and r.getMessage().startswith(f"projection {VIEW} ")
    ]
    assert [r.levelno for r in records][:1] == [logging.ERROR]  # the whole story once
    assert sum(r.levelno == logging.ERROR for r in records) == 1
    assert all(r.levelno == logging.WARNING for r in records[1:])  # then a line per try

    _repair(migrated_database, bad, before)
    with psycopg.connect(migrated_database.dsn, autocommit=True) as conn:
        cleared = failures.clear(conn)  # `projections retry`: every view waiting at it
        assert VIEW in {f.view for f in cleared}
        assert {f.position for f in cleared} == {bad}

    def past_it() -> bool:
        with psycopg.connect(migrated_database.dsn) as conn:
            status = _status(conn)
        # the rows commit before the runner forgets its failure: wait for both
        return view_runner.failure is None and (status.position, status.lag, status.failure) == (
            after,
            0,
            None,
        )

    _until(past_it, "not past the repaired event")
    assert len(_view_rows(migrated_database)) == 3


@pytest.fixture
async def serving(migrated_database: DatabaseTarget) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(make_settings(), migrated_database)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield conforming(client)


async def test_readyz_and_the_operator_command_name_the_view_the_event_and_the_error(
    migrated_database: DatabaseTarget,
    app: RoadmapApplication,
    serving: AsyncTestClient[Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Only the operator's retry can bring the next try this soon.
    monkeypatch.setattr(runner, "FIRST_POISON_BACKOFF_SECONDS", 120.0)
    bad = _inject(migrated_database, _propose(app, "fine"), _nul_in_the_title)
    deadline = time.monotonic() + BOUND_SECONDS
    while _projection((response := await serving.get("/readyz")).json())["failure"] is None:
        assert time.monotonic() < deadline, response.text
    body = response.json()
    assert response.status_code == 503
    assert f"view {VIEW} cannot apply the event at position {bad}" in body["status"]
    failure = _projection(body)["failure"]
    assert (failure["view"], failure["position"], failure["originator_version"]) == (VIEW, bad, 1)
    assert _projection(body)["running"] is False  # waiting at the event
    # PostgreSQL text cannot hold it: "NUL (0x00)" in text parameters, "0x00" in binary ones
    assert "0x00" in failure["error"], failure

    monkeypatch.setenv("ROADMAP_DATABASE_URL", migrated_database.dsn)
    assert cli.main(["projections", "status"]) == 1
    shown = capsys.readouterr()
    (shown_view,) = [v for v in map(json.loads, shown.out.splitlines()) if v["name"] == VIEW]
    assert shown_view["failure"]["position"] == bad
    assert f"waits at position {bad}" in shown.err
    assert cli.main(["projections", "retry", VIEW]) == 0
    assert f"retrying the event at position {bad} now" in capsys.readouterr().out
    # not fixed: it is tried again at once (not after its back-off), fails again, says so
    with psycopg.connect(migrated_database.dsn) as conn:
        deadline = time.monotonic() + BOUND_SECONDS
        while (status := _status(conn)).failure is None:
            assert time.monotonic() < deadline, "not tried again"
            await asyncio.sleep(0.01)
    assert (failure["attempts"], status.failure.attempts) == (1, 2)
    assert (await serving.get("/readyz")).status_code == 503


def _nul_in_the_proposer(state: dict[str, Any]) -> bytes:
    state["proposer"] = "a\u0000b"  # only the summary stores the proposer
    return json.dumps(state).encode()


def test_a_poison_event_in_one_view_does_not_stop_another(
    migrated_database: DatabaseTarget, app: RoadmapApplication, running: list[SupervisedRunner]
) -> None:
    before = _propose(app, "before the poison")
    bad = _inject(migrated_database, before, _nul_in_the_proposer)
    after = _propose(app, "after the poison")
    running.extend(start_runners(eventsourcing_env(migrated_database, pool_size=1)))
    summary = next(r for r in running if r.name == VIEW)
    _until(lambda: summary.failure is not None, "the summary did not stop at the poison")

    def others_past_it() -> bool:
        with psycopg.connect(migrated_database.dsn) as conn:
            statuses = [s for s in views_status(conn) if s.name != VIEW]
        return bool(statuses) and all(s.position == after and s.failure is None for s in statuses)

    _until(others_past_it, "another view stopped too")
    assert summary.failure is not None
    assert summary.failure.position == bad
    with psycopg.connect(migrated_database.dsn) as conn:
        assert _status(conn).position == before
