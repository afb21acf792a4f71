"""Async queries over the quarter plan view."""

from __future__ import annotations

import msgspec

from roadmap_svc.projections.quarter_plan import PLANS, PlanTotals
from roadmap_svc.storage.pool import Pool

GET_PLAN = f"SELECT plan::text, position FROM {PLANS.name} WHERE quarter = $1"  # noqa: S608
GET_PLAN_POSITION = f"SELECT position FROM {PLANS.name} WHERE quarter = $1"  # noqa: S608
LIST_QUARTERS = f"""
SELECT quarter, totals::text, position FROM {PLANS.name}
WHERE ($1::text IS NULL OR quarter >= $1) AND ($2::text IS NULL OR quarter <= $2)
ORDER BY quarter
"""  # noqa: S608 - constant
_TOTALS = msgspec.json.Decoder(PlanTotals)


class QuarterSummary(msgspec.Struct, frozen=True, kw_only=True):
    quarter: str
    totals: PlanTotals
    position: int


class PlanCache:
    """The plans this process served last, by quarter, with the position each reflects. A
    read asks only for the stored plan's position (a few bytes, not the whole plan) and
    answers from here while it is the same; the view moves it whenever the plan changes."""

    QUARTERS_KEPT = 64

    def __init__(self) -> None:
        self._plans: dict[str, tuple[int, bytes]] = {}

    async def plan_json(self, pool: Pool, quarter: str) -> bytes | None:
        """The stored plan, as the JSON the view encoded (served without decoding it)."""
        cached = self._plans.get(quarter)
        if cached is not None and await pool.fetchval(GET_PLAN_POSITION, quarter) == cached[0]:
            return cached[1]
        row = await pool.fetchrow(GET_PLAN, quarter)
        if row is None:
            return None
        if len(self._plans) >= self.QUARTERS_KEPT:
            self._plans.pop(next(iter(self._plans)))
        plan: bytes = row["plan"].encode()
        self._plans[quarter] = (row["position"], plan)
        return plan


async def list_quarters(
    pool: Pool, first: str | None = None, last: str | None = None
) -> list[QuarterSummary]:
    rows = await pool.fetch(LIST_QUARTERS, first, last)
    return [
        QuarterSummary(
            quarter=row["quarter"], totals=_TOTALS.decode(row["totals"]), position=row["position"]
        )
        for row in rows
    ]
