"""Metadata every event carries: who recorded it, why, under which request, and when it happened."""

from __future__ import annotations

from datetime import datetime

import msgspec


class EventMeta(msgspec.Struct, frozen=True, kw_only=True):
    actor: str  # the token's name, never a field of a request body
    reason: str | None = None
    request_id: str | None = None
    # The client's Idempotency-Key for the write that recorded it, if it sent one.
    idempotency_key: str | None = None
    # When it happened, if not when it was recorded (history imported from another tool).
    # None: it happened when it was recorded; read it as `event.occurred_at`.
    occurred_at: datetime | None = None
