"""kill -9 of `serve`, again and again, while clients write and retry every write they did not
see answered, as an integration does: with one Idempotency-Key per write, every write is
recorded exactly once (none lost, none twice). The control run retries with a fresh key each
time and must record some writes twice, or the harness could not see what it looks for.
Extended tier (`./dev test-extended`), with CI.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from tests.e2e.serve_process import ADMIN_TOKEN, ServeProcess, free_port

pytestmark = pytest.mark.extended

KILLS = 20
CONTROL_KILLS = 40  # at most: the control stops at its first duplicate
WRITERS = 8


class Service:
    """`serve` on one port and data directory, killed and started again on demand."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.process = ServeProcess(data_dir, self.port)
        self.process.wait_healthy()

    def kill_and_restart(self) -> None:
        self.process.kill_hard()
        self.process = ServeProcess(self.data_dir, self.port)
        self.process.wait_healthy()


def _writer(
    base_url: str, owner: str, key_per_attempt: bool, done: list[str], stop: threading.Event
) -> None:
    """Propose one initiative after another, each retried until it is answered."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        while not stop.is_set():
            title = f"{owner} {uuid4().hex[:12]}"
            key = str(uuid4())
            while True:
                attempt_key = str(uuid4()) if key_per_attempt else key
                try:
                    response = client.post(
                        "/v1/initiatives",
                        json={
                            "title": title,
                            "problem_statement": "p",
                            "business_case": "b",
                            "owner": owner,
                        },
                        headers={"Idempotency-Key": attempt_key},
                    )
                    if response.status_code == 201:
                        done.append(title)
                        break
                except httpx.TransportError:
                    pass  # the server died, or is starting again: retry
                time.sleep(0.02)


def _recorded(base_url: str, owner: str) -> Counter[str]:
    """How many initiatives each title has, from the list view once it has every write."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        head = client.get("/readyz").json()["event_store_position"]
        titles: Counter[str] = Counter()
        params: dict[str, str | int] = {"owner": owner, "limit": 200, "min_position": head}
        while True:
            page = client.get("/v1/initiatives", params=params)
            assert page.status_code == 200, page.text
            body = page.json()
            titles.update(item["title"] for item in body["items"])
            if body["next_cursor"] is None:
                return titles
            params = {"owner": owner, "limit": 200, "cursor": body["next_cursor"]}


def _run(
    service: Service,
    owner: str,
    kills: int,
    enough: Callable[[], bool],
    *,
    key_per_attempt: bool,
) -> tuple[list[str], Counter[str], int]:
    done: list[str] = []
    stop = threading.Event()
    base_url = f"http://127.0.0.1:{service.port}"
    writers = [
        threading.Thread(target=_writer, args=(base_url, owner, key_per_attempt, done, stop))
        for _ in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    killed = 0
    try:
        for _ in range(kills):
            time.sleep(random.uniform(0.2, 0.6))  # noqa: S311 - timing, not secrets
            service.kill_and_restart()
            killed += 1
            if enough():
                break
    finally:
        stop.set()
        for writer in writers:
            writer.join(60)
    return done, _recorded(base_url, owner), killed


def test_writes_retried_across_20_kills_are_recorded_exactly_once(tmp_path: Path) -> None:
    service = Service(tmp_path / "data")
    try:
        done, recorded, killed = _run(service, "keyed", KILLS, lambda: False, key_per_attempt=False)
        assert killed == KILLS
        assert len(done) > KILLS
        twice = {title: n for title, n in recorded.items() if n > 1}
        lost = set(done) - set(recorded)
        assert (twice, lost) == ({}, set())
        assert set(recorded) == set(done)  # and nothing unacknowledged besides

        # The control: a fresh key per retry, which is what no key at all amounts to.
        seen: dict[str, Counter[str]] = {}

        def duplicated() -> bool:
            base_url = f"http://127.0.0.1:{service.port}"
            seen["now"] = _recorded(base_url, "control")
            return any(n > 1 for n in seen["now"].values())

        _, control, control_kills = _run(
            service, "control", CONTROL_KILLS, duplicated, key_per_attempt=True
        )
        doubled = sum(1 for n in control.values() if n > 1)
        assert doubled > 0, f"no write recorded twice in {control_kills} kills: a blind harness"
        print(  # noqa: T201 - the figures for the note
            f"keyed: {len(done)} writes over {killed} kills, none twice, none lost; "
            f"control: {doubled} recorded twice within {control_kills} kills"
        )
    finally:
        assert service.process.stop() == 0, service.process.log.read_text()
