"""Metadata every event carries: who recorded it, why, and under which request."""

from __future__ import annotations

import msgspec


class EventMeta(msgspec.Struct, frozen=True, kw_only=True):
    actor: str
    reason: str | None = None
    request_id: str | None = None
