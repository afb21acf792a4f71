"""Webhook endpoints and their deliveries, as the API reads and changes them (asyncpg)."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

import msgspec

from roadmap_svc.domain.errors import NotFoundError
from roadmap_svc.storage.idempotency import Queries
from roadmap_svc.webhooks.events import public_type_names

# The event types a filter may name: the stable names of every public event.
WebhookEventType = StrEnum(  # type: ignore[misc]
    "WebhookEventType", {name: name for name in public_type_names()}
)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookEndpoint(msgspec.Struct, kw_only=True):
    id: UUID
    url: str
    event_types: list[str]  # empty: every type
    description: str | None
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpoint, kw_only=True):
    # Shown once, when the endpoint is registered or its secret rotated: verify with it.
    secret: str


class WebhookDelivery(msgspec.Struct, kw_only=True):
    id: int
    webhook_id: str  # the `webhook-id` header: the same on every attempt
    position: int
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None  # pending only
    last_attempt_at: datetime | None
    last_status: int | None  # the receiver's answer (none: no answer, e.g. a timeout)
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


_ENDPOINT = "id, url, event_types, description, enabled, disabled_reason, created_at, updated_at"
_DELIVERY = (
    "id, position, event_type, status, attempts, next_attempt_at, last_attempt_at,"
    " last_status, last_error, delivered_at, created_at"
)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _endpoint(row: Any, secret: str | None = None) -> WebhookEndpoint:  # noqa: ANN401 - a Record
    fields = {k: row[k] for k in _ENDPOINT.split(", ")}
    fields["event_types"] = list(fields["event_types"])
    if secret is None:
        return WebhookEndpoint(**fields)
    return WebhookEndpointWithSecret(**fields, secret=secret)


def _delivery(row: Any) -> WebhookDelivery:  # noqa: ANN401 - a Record
    fields = {k: row[k] for k in _DELIVERY.replace(" ", "").split(",")}
    if fields["status"] != DeliveryStatus.PENDING:
        fields["next_attempt_at"] = None
    return WebhookDelivery(**fields, webhook_id=f"msg_{row['position']}")


async def register(
    pool: Queries, url: str, event_types: list[str], description: str | None
) -> WebhookEndpointWithSecret:
    """A new endpoint: it gets the events recorded from now on."""
    secret = new_secret()
    row = await pool.fetchrow(
        f"INSERT INTO webhook_endpoints (id, url, event_types, description, secret,"  # noqa: S608
        " queued_through) VALUES ($1, $2, $3, $4, $5,"
        " (SELECT coalesce(max(position), 0) FROM webhook_outbox))"
        f" RETURNING {_ENDPOINT}",
        uuid4(),
        url,
        event_types,
        description,
        secret,
    )
    registered = _endpoint(row, secret)
    assert isinstance(registered, WebhookEndpointWithSecret)  # noqa: S101 - by _endpoint
    return registered


async def endpoints(pool: Queries) -> list[WebhookEndpoint]:
    rows = await pool.fetch(
        f"SELECT {_ENDPOINT} FROM webhook_endpoints ORDER BY created_at, id"  # noqa: S608
    )
    return [_endpoint(row) for row in rows]


async def endpoint(pool: Queries, endpoint_id: UUID) -> WebhookEndpoint:
    row = await pool.fetchrow(
        f"SELECT {_ENDPOINT} FROM webhook_endpoints WHERE id = $1",  # noqa: S608
        endpoint_id,
    )
    if row is None:
        raise NotFoundError("webhook endpoint", endpoint_id)
    return _endpoint(row)


async def change(pool: Queries, endpoint_id: UUID, changes: dict[str, Any]) -> WebhookEndpoint:
    """Change url, event types, description or enabled (enabling clears the reason)."""
    current = await endpoint(pool, endpoint_id)
    values = {**msgspec.structs.asdict(current), **changes}
    if changes.get("enabled"):
        values["disabled_reason"] = None
    elif changes.get("enabled") is False:
        values["disabled_reason"] = "disabled by an admin"
    row = await pool.fetchrow(
        "UPDATE webhook_endpoints SET url = $2, event_types = $3, description = $4,"  # noqa: S608
        " enabled = $5, disabled_reason = $6, updated_at = now()"
        f" WHERE id = $1 RETURNING {_ENDPOINT}",
        endpoint_id,
        values["url"],
        values["event_types"],
        values["description"],
        values["enabled"],
        values["disabled_reason"],
    )
    if row is None:
        raise NotFoundError("webhook endpoint", endpoint_id)
    return _endpoint(row)


async def rotate_secret(pool: Queries, endpoint_id: UUID) -> WebhookEndpointWithSecret:
    secret = new_secret()
    row = await pool.fetchrow(
        "UPDATE webhook_endpoints SET secret = $2, updated_at = now() WHERE id = $1"  # noqa: S608
        f" RETURNING {_ENDPOINT}",
        endpoint_id,
        secret,
    )
    if row is None:
        raise NotFoundError("webhook endpoint", endpoint_id)
    rotated = _endpoint(row, secret)
    assert isinstance(rotated, WebhookEndpointWithSecret)  # noqa: S101 - by _endpoint
    return rotated


async def delete(pool: Queries, endpoint_id: UUID) -> None:
    done = await pool.execute("DELETE FROM webhook_endpoints WHERE id = $1", endpoint_id)
    if done.endswith(" 0"):
        raise NotFoundError("webhook endpoint", endpoint_id)


async def deliveries(
    pool: Queries, endpoint_id: UUID, status: DeliveryStatus | None, after: int, limit: int
) -> list[WebhookDelivery]:
    await endpoint(pool, endpoint_id)  # 404 for an unknown endpoint
    rows = await pool.fetch(
        f"SELECT {_DELIVERY} FROM webhook_deliveries WHERE endpoint_id = $1"  # noqa: S608
        " AND ($2::text IS NULL OR status = $2) AND id > $3 ORDER BY id LIMIT $4",
        endpoint_id,
        None if status is None else status.value,
        after,
        limit,
    )
    return [_delivery(row) for row in rows]


async def redeliver(pool: Queries, endpoint_id: UUID, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now (delivered or failed ones too), with its own webhook-id."""
    row = await pool.fetchrow(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now()"  # noqa: S608
        f" WHERE id = $1 AND endpoint_id = $2 RETURNING {_DELIVERY}",
        delivery_id,
        endpoint_id,
    )
    if row is None:
        raise NotFoundError("webhook delivery", delivery_id)
    return _delivery(row)


class Backlog(msgspec.Struct, frozen=True, kw_only=True):
    by_status: dict[str, int]  # pending, delivered, failed
    oldest_pending_seconds: float  # 0 when nothing waits


async def backlog(pool: Queries) -> Backlog:
    """What /metrics reports of the deliveries: how many in each state, the oldest waiting."""
    rows = await pool.fetch(
        "SELECT status, count(*) AS n,"
        " coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest"
        " FROM webhook_deliveries GROUP BY status"
    )
    by_status = {"pending": 0, "delivered": 0, "failed": 0} | {r["status"]: r["n"] for r in rows}
    oldest = next((float(r["oldest"]) for r in rows if r["status"] == "pending"), 0.0)
    return Backlog(by_status=by_status, oldest_pending_seconds=oldest)
