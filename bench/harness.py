"""What every benchmark shares: a fresh database, the service in its own process, the load
generator in another, and the median of alternating rounds."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import psutil

from roadmap_svc.storage.database import DatabaseTarget, parse_database_url
from roadmap_svc.storage.embedded import embedded_postgres
from roadmap_svc.storage.server import drop_database, ensure_database

ROUNDS = 3  # alternating baseline and measures; the median round is reported
TOKEN = "bench-admin-token-0123456789"  # noqa: S105 - a throwaway bench token
HERE = Path(__file__).resolve().parent


@contextmanager
def bench_database() -> Iterator[tuple[DatabaseTarget, str]]:
    url = os.environ.get("TEST_POSTGRES_SERVER_URL")
    with tempfile.TemporaryDirectory() as tmp:
        if url and url.lower() != "none":
            server_cm: Any = _given(parse_database_url(url))
            where = f"server {parse_database_url(url)!r}"
        else:
            server_cm = embedded_postgres(Path(tmp), dbname="postgres")
            where = "embedded PostgreSQL"
        with server_cm as server:
            name = f"roadmap_bench_{uuid4().hex[:8]}"
            ensure_database(server, name)
            try:
                yield server.with_database(name), where
            finally:
                drop_database(server, name)


@contextmanager
def _given(value: DatabaseTarget) -> Iterator[DatabaseTarget]:
    yield value


@dataclass
class Service:
    url: str
    process: psutil.Process

    def cpu_seconds(self) -> float:
        """Of the service's process and its children (`api --processes N`'s workers)."""
        total = 0.0
        for process in [self.process, *self.process.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total


@contextmanager
def serve(
    target: DatabaseTarget,
    port: int = 8765,
    command: tuple[str, ...] = ("-m", "roadmap_svc.cli", "serve"),
) -> Iterator[Service]:
    """`roadmap-svc serve` (or another ASGI server command) in its own process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_")}
    env |= {
        "ROADMAP_DATABASE_URL": target.dsn,
        "ROADMAP_ADMIN_TOKEN": TOKEN,
        "ROADMAP_PORT": str(port),
        "ROADMAP_LOG_LEVEL": "WARNING",
        "ROADMAP_RATE_LIMIT_PER_MINUTE": "0",  # the load is the point
    }
    log = tempfile.NamedTemporaryFile("w+b", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 - our own commands
        [sys.executable, *command], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError("serve did not start:\n" + log.read().decode()[-3000:])
            time.sleep(0.1)
        yield Service(url, psutil.Process(process.pid))
    finally:
        process.terminate()
        process.wait(30)
        log.close()
        Path(log.name).unlink()


@contextmanager
def worker(target: DatabaseTarget) -> Iterator[psutil.Process]:
    """`roadmap-svc worker` (the views and webhooks, apart from the API) in its own process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_")}
    env |= {"ROADMAP_DATABASE_URL": target.dsn, "ROADMAP_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "roadmap_svc.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(30)


def load(service: Service, plan: list[list[dict[str, Any]]], seconds: float) -> dict[str, Any]:
    """Run bench/load.py in its own process; its report, with the service's CPU added."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(plan, f)
    try:
        before = service.cpu_seconds()
        done = subprocess.run(  # noqa: S603 - our own script
            [
                *(sys.executable, str(HERE / "load.py"), "--url", service.url, "--token", TOKEN),
                *("--seconds", str(seconds), "--plan", f.name),
            ],
            capture_output=True,
            check=True,
            text=True,
        )
        report: dict[str, Any] = json.loads(done.stdout)
        report["server_cpu_seconds"] = service.cpu_seconds() - before
        if report["errors"]:
            raise RuntimeError(f"{report['errors']} error answers: {done.stderr[-2000:]}")
        return report
    finally:
        Path(f.name).unlink()


def median_round(
    rounds: list[dict[str, Any]], ratio: Callable[[dict[str, Any]], float]
) -> dict[str, Any]:
    return sorted(rounds, key=ratio)[len(rounds) // 2]
