"""GET /v1/stream over real HTTP (uvicorn on a local port, as a dashboard would connect):
a write's views announce themselves as they commit, Last-Event-ID resumes, an unknown one
resets."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from roadmap_svc.api.app import create_app
from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.storage.database import DatabaseTarget
from tests.api.helpers import proposal
from tests.conftest import ADMIN_TOKEN, make_settings

BOUND_SECONDS = 20.0
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def serving(migrated_database: DatabaseTarget) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(make_settings(), migrated_database), port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + BOUND_SECONDS
    while not running.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield base
    finally:
        running.should_exit = True
        thread.join(BOUND_SECONDS)


class Events:
    """Server-sent events read from a streaming response, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.iter_lines()

    def next(self) -> dict[str, Any]:
        event: dict[str, Any] = {}
        for line in self._lines:
            if not line:
                if "event" in event:  # ours all name theirs; the rest is retry/keep-alive
                    return event
                event = {}
                continue
            if line.startswith(":"):
                continue  # a comment: following, keep-alive
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")
        raise AssertionError("the stream ended")

    def until(self, wanted: Any) -> list[dict[str, Any]]:
        seen = []
        deadline = time.monotonic() + BOUND_SECONDS
        while time.monotonic() < deadline:
            event = self.next()
            seen.append(event)
            if wanted(event):
                return seen
        raise AssertionError(f"not announced in time; saw {seen}")


def _names(event: dict[str, Any], initiative: str) -> bool:
    if event.get("event") != "views":
        return False
    data = json.loads(event["data"])
    return initiative in data.get("changed", {}).get("initiatives", []) or data.get("everything")


def test_views_announce_a_write_and_a_reconnect_resumes(serving: str) -> None:
    with httpx.Client(base_url=serving, headers=HEADERS, timeout=BOUND_SECONDS) as client:
        with client.stream("GET", "/v1/stream") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = Events(response)
            created = client.post("/v1/initiatives", json=proposal()).json()
            seen = events.until(lambda e: _names(e, created["id"]))
            announced = json.loads(seen[-1]["data"])
            assert announced["position"] >= created["position"]
            # each view whose rows the write changed announces it, in its own words
            views = {json.loads(e["data"])["view"] for e in seen if e.get("event") == "views"}
            while not {"initiative_summary", "progress"} <= views:
                views.add(json.loads(events.next()["data"])["view"])
            first_id = seen[0]["id"]
            decided = client.post(
                f"/v1/initiatives/{created['id']}/decisions",
                json={"kind": "approve", "rationale": "go", "quarter": "2031-Q1"},
            ).json()
            wanted = {"quarter_plan", "decision_log"}  # the plan names the quarter, the log us
            later: list[dict[str, Any]] = []
            while wanted:
                later += events.until(lambda e: e.get("event") == "views")
                data = json.loads(later[-1]["data"])
                if data["view"] == "quarter_plan" and "2031-Q1" in data["changed"]["quarters"]:
                    wanted.discard("quarter_plan")
                if (
                    data["view"] == "decision_log"
                    and created["id"] in data["changed"]["initiatives"]
                ):
                    wanted.discard("decision_log")
                    assert data["position"] >= decided["position"]
            assert {v.name for v in VIEWS} >= views

        # Reconnecting with the first event's id: what came after it, replayed.
        resumed = {"Last-Event-ID": first_id}
        with client.stream("GET", "/v1/stream", headers=resumed) as response:
            replay = Events(response).until(lambda e: e["id"] == later[-1]["id"])
            assert first_id not in [e["id"] for e in replay]
            assert replay[0]["id"] != first_id

        # An id this process never gave: read everything again.
        with client.stream("GET", "/v1/stream", headers={"Last-Event-ID": "nope-1"}) as response:
            assert Events(response).next()["event"] == "reset"


def test_the_stream_needs_a_token(serving: str) -> None:
    response = httpx.get(f"{serving}/v1/stream", timeout=BOUND_SECONDS)
    assert response.status_code == 401
