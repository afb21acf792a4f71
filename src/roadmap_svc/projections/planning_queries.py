"""Async queries over the quarter plan view."""

from __future__ import annotations

import msgspec

from roadmap_svc.projections.quarter_plan import PLANS, PlanTotals
from roadmap_svc.storage.pool import Pool

GET_PLAN = f"SELECT plan::text FROM {PLANS.name} WHERE quarter = $1"  # noqa: S608 - constant
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


async def quarter_plan_json(pool: Pool, quarter: str) -> bytes | None:
    """The stored plan, as the JSON the view encoded (served without decoding it)."""
    text: str | None = await pool.fetchval(GET_PLAN, quarter)
    return None if text is None else text.encode()


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
