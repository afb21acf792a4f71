"""Rate limits per token: at most ROADMAP_RATE_LIMIT_PER_MINUTE requests in a clock minute,
counted by every API process together, through PostgreSQL.

Each process admits against the last total it read plus what it admitted since, and about once
a second adds its count to the token's row of the minute and reads the new total back (one
statement for all the tokens it saw). So the processes share one limit without a round trip
per request; together they can overshoot it by what they admit within one such second.
A refused request is a 429 problem with `Retry-After`: the seconds to the next minute.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

import asyncpg

from roadmap_svc.api.problems import problem
from roadmap_svc.storage.availability import describe
from roadmap_svc.storage.pool import Pool

logger = logging.getLogger(__name__)
SYNC_SECONDS = 1.0
WINDOW_SECONDS = 60
KEEP_WINDOWS = 5  # older minutes are deleted

_ADD = """
INSERT INTO rate_limit_windows (scope, window_start, count)
SELECT s, to_timestamp(w * 60), c FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(s, w, c)
ON CONFLICT (scope, window_start) DO UPDATE SET count = rate_limit_windows.count + EXCLUDED.count
RETURNING scope, (extract(epoch FROM window_start) / 60)::bigint AS w, count
"""
_FORGET = "DELETE FROM rate_limit_windows WHERE window_start < to_timestamp($1::bigint * 60)"


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._shared: dict[tuple[str, int], int] = {}  # every process's count, as last read
        self._pending: dict[tuple[str, int], int] = {}  # admitted here since
        self._forgotten = 0  # the last minute old rows were deleted in

    def admit(self, scope: str, now: float | None = None) -> None:
        """Count a request of this token, or refuse it (429) if its minute is used up."""
        if self.per_minute <= 0:
            return
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        slot = (scope, window)
        used = self._shared.get(slot, 0) + self._pending.get(slot, 0)
        if used >= self.per_minute:
            wait = math.ceil((window + 1) * WINDOW_SECONDS - now)
            raise problem(
                "rate-limited",
                f"this token may send {self.per_minute} requests a minute; retry in {wait} s",
                headers={"Retry-After": str(max(wait, 1))},
                limit=self.per_minute,
            )
        self._pending[slot] = self._pending.get(slot, 0) + 1

    async def sync(self, pool: Pool) -> None:
        """Add what this process admitted to the shared counts; read the totals back."""
        pending, self._pending = self._pending, {}
        current = int(time.time() // WINDOW_SECONDS)
        if pending:
            try:
                rows = await pool.fetch(
                    _ADD,
                    [scope for scope, _ in pending],
                    [window for _, window in pending],
                    list(pending.values()),
                )
            except BaseException:
                for slot, count in pending.items():  # count them again at the next sync
                    self._pending[slot] = self._pending.get(slot, 0) + count
                raise
            for row in rows:
                self._shared[(row["scope"], row["w"])] = row["count"]
        self._shared = {slot: n for slot, n in self._shared.items() if slot[1] >= current - 1}
        if current % KEEP_WINDOWS == 0 and self._forgotten != current:
            self._forgotten = current
            await pool.execute(_FORGET, current - KEEP_WINDOWS)

    async def run(self, pool: Pool) -> None:
        """Sync for as long as the app runs (a task of its lifespan)."""
        while True:
            await asyncio.sleep(SYNC_SECONDS)
            try:
                await self.sync(pool)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                logger.warning("could not share the rate-limit counts (%s)", describe(exc))
