"""Read-your-writes: how far a projection has got, and a bounded wait for a position."""

from __future__ import annotations

import asyncio
import time

from roadmap_svc.storage.pool import Pool

FIRST_POLL_SECONDS = 0.002
MAX_POLL_SECONDS = 0.05


async def projection_position(pool: Pool, tracking_table: str, application_name: str) -> int:
    # tracking_table comes from the projection registry, never from a request.
    value = await pool.fetchval(
        f"SELECT notification_id FROM {tracking_table} WHERE application_name = $1",  # noqa: S608
        application_name,
    )
    return int(value or 0)


async def event_store_position(pool: Pool, events_table: str) -> int:
    value = await pool.fetchval(f"SELECT max(notification_id) FROM {events_table}")  # noqa: S608
    return int(value or 0)


async def wait_for_position(
    pool: Pool, tracking_table: str, application_name: str, position: int, wait_seconds: float
) -> bool:
    """True once the projection has processed `position`; False if `wait_seconds` ran out first.

    Polls with a short, growing interval instead of the library's wait(), whose ~100 ms floor
    would be added to every read-after-write (NOTES pitfall 1).
    """
    deadline = time.monotonic() + wait_seconds
    interval = FIRST_POLL_SECONDS
    while True:
        if await projection_position(pool, tracking_table, application_name) >= position:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        await asyncio.sleep(min(interval, remaining))
        interval = min(interval * 2, MAX_POLL_SECONDS)
