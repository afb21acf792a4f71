"""kill -9 of `serve` mid-write, then start again: no acknowledged event lost, none doubled,
and the summary view catches up to exactly what a replay of the event store gives."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg.rows import dict_row

from roadmap_svc.projections.initiative_summary import fold
from roadmap_svc.storage.transcoder import MsgspecMapper
from tests.e2e.serve_process import ServeProcess, embedded_dsn, free_port

WRITES_BEFORE_KILL = 40


def _writer(serve: ServeProcess, acknowledged: list[dict[str, Any]], stop: threading.Event) -> None:
    """Propose and decide until the server dies; remember every acknowledged write."""
    with serve.client() as client:
        n = 0
        while not stop.is_set():
            try:
                response = client.post(
                    "/v1/initiatives",
                    json={
                        "title": f"crash test {n}",
                        "problem_statement": "p",
                        "business_case": "b",
                        "owner": "crash",
                    },
                )
                if response.status_code != 201:
                    continue
                body = response.json()
                acknowledged.append({"id": body["id"], "version": 1})
                decision = client.post(
                    f"/v1/initiatives/{body['id']}/decisions",
                    json={"kind": "approve", "rationale": "go", "quarter": "2030-Q1"},
                )
                if decision.status_code == 201:
                    acknowledged[-1]["version"] = 2
            except httpx.TransportError:
                return
            n += 1


def _postgres_for(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(cmdline):
            found.append(proc)
    return found


def _view_and_replay(dsn: str) -> tuple[dict[str, Any], dict[str, Any], int, int]:
    mapper = MsgspecMapper()
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state, notification_id"
            " FROM roadmap_events ORDER BY notification_id"
        ).fetchall()
        view = {
            str(r["id"]): (r["status"], r["version"], r["position"])
            for r in conn.execute(
                "SELECT id, status, version, position FROM initiative_summary_view"
            )
        }
        tracked = conn.execute(
            "SELECT notification_id FROM initiative_summary_tracking"
            " WHERE application_name = 'roadmap'"
        ).fetchone()
    by_initiative: dict[str, list[Any]] = {}
    for r in rows:
        event = mapper.to_domain_event(
            StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
        )
        by_initiative.setdefault(str(r["originator_id"]), []).append((event, r["notification_id"]))
    replay = {}
    for initiative_id, events in by_initiative.items():
        summary = fold(events)
        assert summary is not None
        replay[initiative_id] = (summary.status, summary.version, summary.position)
    head = rows[-1]["notification_id"] if rows else 0
    return view, replay, head, (tracked or {}).get("notification_id", 0)


def test_kill_9_mid_write_loses_nothing_and_the_view_matches_a_replay(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    first = ServeProcess(data_dir, port)
    acknowledged: list[dict[str, Any]] = []
    stop = threading.Event()
    try:
        first.wait_healthy()
        writer = threading.Thread(target=_writer, args=(first, acknowledged, stop))
        writer.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < WRITES_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        first.kill_hard()  # while the writer is still sending
        writer.join(timeout=30)
    finally:
        stop.set()
        if first.process.poll() is None:
            first.kill_hard()
    assert len(acknowledged) >= WRITES_BEFORE_KILL

    second = ServeProcess(data_dir, port)
    try:
        second.wait_healthy()
        with second.client() as client:
            for write in acknowledged:
                history = client.get(f"/v1/initiatives/{write['id']}/history").json()["items"]
                versions = [item["version"] for item in history]
                assert versions[: write["version"]] == list(range(1, write["version"] + 1))
            deadline = time.monotonic() + 30
            while client.get("/readyz").json()["projections"][0]["lag"] > 0:
                assert time.monotonic() < deadline, "projection did not catch up"
                time.sleep(0.05)
        dsn = embedded_dsn(data_dir)
        view, replay, head, tracked = _view_and_replay(dsn)
        assert tracked == head
        assert view == replay
        assert {w["id"] for w in acknowledged} <= set(view)
    finally:
        assert second.stop() == 0, second.log.read_text()
    assert _postgres_for(data_dir / "pgdata") == [], "embedded PostgreSQL left running"
