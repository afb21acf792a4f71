"""A local webhook receiver for tests: verifies every delivery's Standard Webhooks signature
with the `standardwebhooks` package, and can fail at random (500, 429, too slow to answer,
slow but fine) as real receivers do, up to `max_failures` times a message; on a path ending
in /gone it answers 410."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    secret: str | None = None  # set once the endpoint is registered
    flaky: bool = False
    timeout_seconds: float = 1.0  # the dispatcher's: "too slow" sleeps past it
    verified: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # webhook-id -> bodies
    forged: list[str] = field(default_factory=list)  # deliveries whose signature failed
    answers: dict[int, int] = field(default_factory=dict)  # status -> how many
    failed: dict[str, int] = field(default_factory=dict)  # webhook-id -> failures dealt
    max_failures: int = 3  # per message, so that its retries (backing off) end in time
    lock: threading.Lock = field(default_factory=threading.Lock)

    def positions(self) -> set[int]:
        with self.lock:
            return {int(m.removeprefix("msg_")) for m in self.verified}


def _handler(received: Received) -> type[BaseHTTPRequestHandler]:  # noqa: C901 - its class
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # quiet

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if self.path.endswith("/gone"):
                return self._answer(410)  # "stop sending": the endpoint is to be disabled
            message = self.headers.get("webhook-id", "?")
            failures = received.failed.get(message, 0)
            if received.flaky and failures < received.max_failures and self._fail():
                with received.lock:
                    received.failed[message] = failures + 1
                return None
            headers = dict(self.headers.items())
            try:
                assert received.secret is not None
                payload = Webhook(received.secret).verify(body, headers)
            except (WebhookVerificationError, AssertionError, ValueError):
                with received.lock:
                    received.forged.append(self.headers.get("webhook-id", "?"))
                return self._answer(400)
            with received.lock:
                received.verified.setdefault(self.headers["webhook-id"], []).append(payload)
            return self._answer(200)

        def _fail(self) -> bool:
            """Fail as real receivers do, at random; False: answer this one properly."""
            roll = random.random()  # noqa: S311 - a test's dice
            if roll < 0.25:
                self._answer(500)
            elif roll < 0.35:
                self._answer(429, {"Retry-After": "1"})
            elif roll < 0.45:
                time.sleep(received.timeout_seconds + 0.5)  # the sender gives up first
                self._answer(200)
            else:
                if roll < 0.55:
                    time.sleep(received.timeout_seconds / 3)  # slow, but in time
                return False
            return True

        def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
            with received.lock:
                received.answers[status] = received.answers.get(status, 0) + 1
            try:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(json.dumps({}).encode())
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender stopped waiting

    return Handler


@contextmanager
def receiver(received: Received) -> Iterator[str]:
    """A running receiver; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(received))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/roadmap"
    finally:
        server.shutdown()
        server.server_close()
