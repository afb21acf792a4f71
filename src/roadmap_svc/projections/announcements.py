"""What a view says when a batch commits: which view, up to which position, and what changed
(initiative ids, quarters), as a PostgreSQL NOTIFY on one channel. The API relays them to
`GET /v1/stream`. Sent inside the batch's transaction, so it is heard only if the batch
commits, and never before."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import Cursor

CHANNEL = "roadmap_views"
MAX_PAYLOAD_BYTES = 7_000  # PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more
_ENCODER = msgspec.json.Encoder()


class Announcement(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    view: str
    position: int  # the view has every event up to here
    changed: dict[str, list[str]] = {}  # e.g. {"initiatives": [...], "quarters": [...]}
    everything: bool = False  # too much changed to list (or a rebuild): read it all again


def encode(announcement: Announcement) -> str:
    payload = _ENCODER.encode(announcement)
    if len(payload) > MAX_PAYLOAD_BYTES:
        payload = _ENCODER.encode(
            Announcement(view=announcement.view, position=announcement.position, everything=True)
        )
    return payload.decode()


def announce(curs: Cursor[Any], announcement: Announcement) -> None:
    curs.execute("SELECT pg_notify(%s, %s)", (CHANNEL, encode(announcement)))
