"""Running `roadmap-svc serve` as a real child process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ADMIN_TOKEN = "e2e-admin-token-0123456789"
START_SECONDS = 60.0


def embedded_dsn(data_dir: Path) -> str:
    """The embedded server of a data directory (it listens only on a Unix socket there)."""
    return f"postgresql://postgres@/roadmap?host={data_dir.resolve() / 'pgdata'}"


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """`roadmap-svc ARGS` to its end, with only the ROADMAP_* settings given in `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_")} | env
    return subprocess.run(  # noqa: S603 - our own CLI, a fixed command
        [sys.executable, "-m", "roadmap_svc.cli", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServeProcess:
    """`roadmap-svc serve` (or `api`, or `worker`: it has no port to answer on)."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        extra_env: dict[str, str] | None = None,
        command: str = "serve",
    ) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = data_dir.parent / f"{command}-{port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_")}
        env |= {
            "ROADMAP_DATA_DIR": str(data_dir),
            "ROADMAP_ADMIN_TOKEN": ADMIN_TOKEN,
            "ROADMAP_PORT": str(port),
            "ROADMAP_LOG_LEVEL": "WARNING",
            "ROADMAP_RATE_LIMIT_PER_MINUTE": "0",  # the fuzz tier sends thousands a minute
        }
        env |= extra_env or {}
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI, a fixed command
            [sys.executable, "-m", "roadmap_svc.cli", command],
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10.0,
        )

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"serve not healthy within {START_SECONDS}s:\n{self.log.read_text()}")

    def kill_hard(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log_file.close()

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        self._log_file.close()
        return self.process.returncode
