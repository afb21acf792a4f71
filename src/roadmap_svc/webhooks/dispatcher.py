"""The webhook dispatcher: queues a delivery of every outbox entry to each endpoint that wants
its type, and sends the due ones, signed per Standard Webhooks.

At least once, nothing lost: a delivery is a row (queued in the transaction that moves the
endpoint's `queued_through`), claimed with a lease before it is sent, and marked only after
the receiver answered; a dispatcher that dies mid-send leaves its lease to run out, and the
delivery is sent again (with the same `webhook-id`). Several dispatchers (several workers)
share the work: claims skip rows another one holds. A delivery that fails is retried with
exponential back-off and jitter until ROADMAP_WEBHOOK_RETRY_HOURS after its event; `410 Gone`
disables the endpoint.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row
from standardwebhooks.webhooks import Webhook

from roadmap_svc.config import Settings
from roadmap_svc.storage.availability import describe
from roadmap_svc.webhooks.targets import TargetRefusedError, check_target

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.5
BATCH = 50
SENDERS = 8
MAX_BACKOFF_SECONDS = 6 * 3600.0
USER_AGENT = "roadmap-svc-webhooks/1"

_QUEUE = """
WITH head AS (SELECT coalesce(max(position), 0) AS p FROM webhook_outbox),
queued AS (
    INSERT INTO webhook_deliveries (endpoint_id, position, event_type)
    SELECT e.id, o.position, o.event_type
    FROM webhook_endpoints e
    JOIN webhook_outbox o ON o.position > e.queued_through AND o.position <= (SELECT p FROM head)
    WHERE e.enabled AND (cardinality(e.event_types) = 0 OR o.event_type = ANY (e.event_types))
    ON CONFLICT (endpoint_id, position) DO NOTHING
    RETURNING 1
)
UPDATE webhook_endpoints SET queued_through = (SELECT p FROM head)
WHERE enabled AND queued_through < (SELECT p FROM head)
RETURNING (SELECT count(*) FROM queued) AS queued
"""
_CLAIM = """
UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => %(lease)s)
FROM (
    SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.enabled
    ORDER BY d.next_attempt_at, d.id LIMIT %(limit)s
    FOR UPDATE OF d SKIP LOCKED
) due, webhook_endpoints e, webhook_outbox o
WHERE d.id = due.id AND e.id = d.endpoint_id AND o.position = d.position
RETURNING d.id, d.position, d.attempts, d.created_at, e.id AS endpoint_id, e.url, e.secret,
          o.body::text AS body
"""
_DELIVERED = """
UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1,
    last_attempt_at = now(), last_status = %(status)s, last_error = NULL, delivered_at = now()
WHERE id = %(id)s
"""
_FAILED = """
UPDATE webhook_deliveries SET status = %(outcome)s, attempts = attempts + 1,
    last_attempt_at = now(), last_status = %(status)s, last_error = %(error)s,
    next_attempt_at = now() + make_interval(secs => %(wait)s)
WHERE id = %(id)s
"""
_GONE = """
UPDATE webhook_endpoints SET enabled = false, updated_at = now(),
    disabled_reason = 'the receiver answered 410 Gone' WHERE id = %(id)s
"""


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    position: int
    attempts: int
    created_at: datetime
    endpoint_id: Any
    url: str
    secret: str
    body: str


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery: Delivery
    status: int | None  # the receiver's
    error: str | None
    retry_after: float | None = None


def signed_headers(secret: str, message_id: str, body: str, now: datetime) -> dict[str, str]:
    """Standard Webhooks' headers: the id, the time, and the signature of both with the body."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class Dispatcher:
    def __init__(self, conninfo: str, settings: Settings) -> None:
        self._conninfo = conninfo
        self._settings = settings
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="webhooks", daemon=True)
        self.sent = 0  # attempts made by this process (for tests and logs)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            try:
                self._run()
            except (psycopg.Error, OSError) as exc:
                logger.warning(
                    "webhook dispatcher: database unavailable (%s); retrying", describe(exc)
                )
                self._stopping.wait(1.0)

    def _run(self) -> None:
        timeout = self._settings.webhook_timeout_seconds
        with (
            psycopg.connect(self._conninfo, autocommit=True, row_factory=dict_row) as conn,
            httpx.Client(timeout=timeout, follow_redirects=False) as client,
            ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook-send") as senders,
        ):
            while not self._stopping.is_set():
                conn.execute(_QUEUE)
                due = [
                    Delivery(**row)
                    for row in conn.execute(_CLAIM, {"lease": timeout + 30, "limit": BATCH})
                ]
                if not due:
                    self._stopping.wait(POLL_SECONDS)
                    continue
                for outcome in senders.map(lambda d: self._send(client, d), due):
                    self._record(conn, outcome)

    def _send(self, client: httpx.Client, delivery: Delivery) -> Outcome:
        try:
            check_target(delivery.url, allow_private=self._settings.webhook_allow_private_targets)
            headers = signed_headers(
                delivery.secret, f"msg_{delivery.position}", delivery.body, datetime.now(UTC)
            )
            response = client.post(delivery.url, content=delivery.body.encode(), headers=headers)
        except TargetRefusedError as exc:
            return Outcome(delivery, None, f"target refused: {exc}")
        except httpx.HTTPError as exc:
            return Outcome(delivery, None, f"{type(exc).__name__}: {exc}")
        finally:
            self.sent += 1
        retry_after = response.headers.get("retry-after", "")
        return Outcome(
            delivery,
            response.status_code,
            None if response.is_success else f"HTTP {response.status_code}",
            float(retry_after) if retry_after.isdigit() else None,
        )

    def _record(self, conn: psycopg.Connection[Any], outcome: Outcome) -> None:
        delivery = outcome.delivery
        if outcome.status is not None and 200 <= outcome.status < 300:  # noqa: PLR2004
            conn.execute(_DELIVERED, {"id": delivery.id, "status": outcome.status})
            return
        if outcome.status == 410:  # noqa: PLR2004 - the receiver asks us to stop
            conn.execute(_GONE, {"id": delivery.endpoint_id})
        wait = backoff(delivery.attempts + 1, self._settings.webhook_first_retry_seconds)
        if outcome.retry_after is not None:
            wait = max(wait, outcome.retry_after)
        give_up_at = delivery.created_at + timedelta(hours=self._settings.webhook_retry_hours)
        gone = outcome.status == 410  # noqa: PLR2004
        late = datetime.now(UTC) + timedelta(seconds=wait) > give_up_at
        conn.execute(
            _FAILED,
            {
                "id": delivery.id,
                "outcome": "failed" if gone or late else "pending",
                "status": outcome.status,
                "error": outcome.error,
                "wait": wait,
            },
        )


def backoff(attempt: int, first_seconds: float) -> float:
    """The wait before the next attempt: doubling from the first, capped, with ±50 % jitter."""
    wait = min(first_seconds * 2.0 ** (attempt - 1), MAX_BACKOFF_SECONDS)
    return wait * random.uniform(0.5, 1.5)  # noqa: S311 - spreading retries, not secrets
