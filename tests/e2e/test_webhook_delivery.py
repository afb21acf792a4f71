"""Webhooks as an integration receives them: a receiver that fails at random (500s, 429s,
answers too slow, slow ones) still gets every event, each signature verified with the
`standardwebhooks` package, none missing after the worker that dispatches is killed (-9) and
another started. Extended tier (`./dev test-extended`), with CI.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.serve_process import ServeProcess, embedded_dsn, free_port
from tests.e2e.webhook_receiver import Received, receiver

pytestmark = pytest.mark.extended

TIMEOUT_SECONDS = 1.0
WEBHOOK_ENV = {
    "ROADMAP_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",  # the receiver is on loopback
    "ROADMAP_WEBHOOK_FIRST_RETRY_SECONDS": "0.2",
    "ROADMAP_WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
}
INITIATIVES = 30
BOUND_SECONDS = 90.0


def _write(client: httpx.Client, n: int) -> None:
    created = client.post(
        "/v1/initiatives",
        json={
            "title": f"hooked {n}",
            "problem_statement": "p",
            "business_case": "b",
            "owner": "hooks",
        },
    )
    assert created.status_code == 201, created.text
    decided = client.post(
        f"/v1/initiatives/{created.json()['id']}/decisions",
        json={"kind": "approve", "rationale": "go", "quarter": "2030-Q1"},
    )
    assert decided.status_code == 201, decided.text


def test_a_flaky_receiver_gets_every_event_signed_across_a_killed_dispatcher(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    received = Received(flaky=True, timeout_seconds=TIMEOUT_SECONDS)
    api = ServeProcess(data_dir, free_port(), WEBHOOK_ENV, command="api")
    api.wait_healthy()
    worker = ServeProcess(data_dir, free_port(), WEBHOOK_ENV, command="worker")
    dsn = embedded_dsn(data_dir)
    try:
        with receiver(received) as url, api.client() as client:
            registered = client.post("/v1/webhooks", json={"url": url})
            assert registered.status_code == 201, registered.text
            received.secret = registered.json()["secret"]
            hook = registered.json()["id"]
            for n in range(INITIATIVES // 2):
                _write(client, n)
            deadline = time.monotonic() + BOUND_SECONDS
            while len(received.positions()) < 10:
                assert time.monotonic() < deadline, received.answers
                time.sleep(0.05)
            worker.kill_hard()  # mid-delivery: leases held, attempts in flight
            for n in range(INITIATIVES // 2, INITIATIVES):
                _write(client, n)  # events keep coming while no dispatcher runs
            worker = ServeProcess(data_dir, free_port(), WEBHOOK_ENV, command="worker")
            with psycopg.connect(dsn) as conn:
                rows = conn.execute("SELECT notification_id FROM roadmap_events").fetchall()
            expected = {row[0] for row in rows}
            assert len(expected) >= 2 * INITIATIVES
            while not expected <= received.positions():
                assert time.monotonic() < deadline, sorted(expected - received.positions())
                time.sleep(0.1)
            page = client.get(f"/v1/webhooks/{hook}/deliveries", params={"limit": 200}).json()
        statuses = {d["status"] for d in page["items"]}
        assert received.forged == []
        assert received.positions() == expected  # every event, nothing else
        for message_id, bodies in received.verified.items():
            assert all(b["data"]["position"] == int(message_id[4:]) for b in bodies)
        assert {b[0]["type"] for b in received.verified.values()} == {
            "InitiativeProposed",
            "InitiativeApproved",
        }
        assert statuses <= {"delivered", "pending"}  # pending: a late repeat of a delivered one
        assert received.answers.get(500, 0) > 0
        retried = sum(len(bodies) - 1 for bodies in received.verified.values())
        print(  # noqa: T201 - the figures for the note
            f"{len(expected)} events delivered and verified; receiver answers "
            f"{dict(sorted(received.answers.items()))}; {retried} received more than once"
        )
    finally:
        for process in (worker, api):
            if process.process.poll() is None:
                assert process.stop() == 0, process.log.read_text()
