"""The production topology as processes: two `api` (one of them with two uvicorn processes)
and two `worker` processes on one PostgreSQL, under concurrent writes. One runner per view
is active (it holds the view's advisory lock); `kill -9` of the worker holding them hands
every view to the other within 5 s, no acknowledged write is lost, and every view ends
equal to a replay of the log (so no event was applied twice or skipped). Extended tier
(`./dev test-extended`), with CI.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from roadmap_svc.projections import initiative_summary
from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.projections.runner import LOCK_NAMESPACE, RUNNER_APPLICATION_NAME
from tests.e2e.serve_process import ServeProcess, embedded_dsn, free_port
from tests.projections.view_helpers import replayed, stored_view, until_tracked

pytestmark = pytest.mark.extended

FAILOVER_SECONDS = 5.0
WRITERS = 4


def _active(dsn: str) -> dict[str, int]:
    """Which process's runner holds each view's lock: view name -> pid."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND l.classid = %s AND l.granted",
            (LOCK_NAMESPACE,),
        ).fetchall()
    found = {}
    for (name,) in rows:
        match = re.fullmatch(rf"{RUNNER_APPLICATION_NAME} (\w+) pid (\d+)", name)
        assert match, name
        found[match[1]] = int(match[2])
    return found


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[tuple[list[ServeProcess], list[ServeProcess], str]]:
    data_dir = tmp_path / "data"
    # The first runs two uvicorn processes (ROADMAP_API_PROCESSES) on its port.
    first = ServeProcess(
        data_dir, free_port(), command="api", extra_env={"ROADMAP_API_PROCESSES": "2"}
    )
    first.wait_healthy()  # it starts the embedded server; the others join it
    apis = [first, ServeProcess(data_dir, free_port(), command="api")]
    apis[1].wait_healthy()
    workers = [ServeProcess(data_dir, free_port(), command="worker") for _ in range(2)]
    dsn = embedded_dsn(data_dir)
    deadline = time.monotonic() + 60
    while len(_active(dsn)) < len(VIEWS):
        assert time.monotonic() < deadline, "the workers did not take the views"
        time.sleep(0.1)
    yield apis, workers, dsn
    for process in [*workers, *reversed(apis)]:
        if process.process.poll() is None:
            assert process.stop() == 0, process.log.read_text()


def _write(api: ServeProcess, acknowledged: list[str], stop: threading.Event) -> None:
    with api.client() as client:
        while not stop.is_set():
            try:
                created = client.post(
                    "/v1/initiatives",
                    json={
                        "title": "t",
                        "problem_statement": "p",
                        "business_case": "b",
                        "owner": "workers",
                    },
                )
                if created.status_code != 201:
                    continue
                initiative = created.json()["id"]
                decided = client.post(
                    f"/v1/initiatives/{initiative}/decisions",
                    json={"kind": "approve", "rationale": "go", "quarter": "2030-Q1"},
                )
                if decided.status_code == 201:
                    acknowledged.append(initiative)
            except httpx.TransportError:
                return


def test_kill_9_of_the_active_worker_hands_its_views_over_and_loses_nothing(
    topology: tuple[list[ServeProcess], list[ServeProcess], str],
) -> None:
    apis, workers, dsn = topology
    acknowledged: list[str] = []
    stop = threading.Event()
    writers = [
        threading.Thread(target=_write, args=(apis[n % 2], acknowledged, stop))
        for n in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    try:
        while len(acknowledged) < 50:
            time.sleep(0.01)
        holders = _active(dsn)
        victim = max(workers, key=lambda w: sum(p == w.process.pid for p in holders.values()))
        survivor = workers[1 - workers.index(victim)]
        assert victim.process.pid in holders.values()
        victim.kill_hard()
        killed_at = time.monotonic()
        while set(_active(dsn).values()) != {survivor.process.pid} or len(_active(dsn)) < len(
            VIEWS
        ):
            assert time.monotonic() - killed_at < FAILOVER_SECONDS, _active(dsn)
            time.sleep(0.05)
        failover = time.monotonic() - killed_at
        count = len(acknowledged)
        while len(acknowledged) < count + 50:
            time.sleep(0.01)
    finally:
        stop.set()
        for writer in writers:
            writer.join(30)

    with psycopg.connect(dsn) as conn:
        head = conn.execute("SELECT max(notification_id) FROM roadmap_events").fetchone()
    assert head is not None
    until_tracked(dsn, head[0])
    views = {view.name: stored_view(dsn, view) for view in VIEWS}
    for view in VIEWS:
        in_memory, _ = replayed(dsn, view)
        assert views[view.name] == in_memory, view.name
    summaries = views[initiative_summary.VIEW.name][initiative_summary.SUMMARIES.name]
    approved = {str(key[0]) for key, row in summaries.items() if row.status == "approved"}
    assert set(acknowledged) <= approved
    print(f"failover {failover:.2f}s, {len(acknowledged)} acknowledged writes")  # noqa: T201
