"""Async queries over the decision log view."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from roadmap_svc.projections.decision_log import DECISIONS
from roadmap_svc.projections.event_views import Decision
from roadmap_svc.projections.tables import TableSQL
from roadmap_svc.storage.pool import Pool

_SQL = TableSQL(DECISIONS)
# Every filter is optional: a NULL parameter matches everything.
LIST_DECISIONS = f"""
{_SQL.select_all}
WHERE position > $1
  AND ($2::uuid IS NULL OR initiative_id = $2)
  AND ($3::text IS NULL OR kind = $3)
  AND ($4::text IS NULL OR decided_by = $4)
  AND ($5::text IS NULL OR quarter = $5)
  AND ($6::timestamptz IS NULL OR occurred_at >= $6)
  AND ($7::timestamptz IS NULL OR occurred_at < $7)
  AND ($9::bigint IS NULL OR position <= $9)
ORDER BY position
LIMIT $8
"""


class DecisionFilter(msgspec.Struct, frozen=True, kw_only=True):
    initiative_id: UUID | None = None
    kind: str | None = None
    decided_by: str | None = None
    quarter: str | None = None
    since: datetime | None = None  # occurred at or after
    until: datetime | None = None  # occurred before
    through: int | None = None  # recorded at or before this position (as-of reads)


async def list_decisions(
    pool: Pool, where: DecisionFilter, after: int, limit: int
) -> list[Decision]:
    rows = await pool.fetch(
        LIST_DECISIONS,
        after,
        where.initiative_id,
        where.kind,
        where.decided_by,
        where.quarter,
        where.since,
        where.until,
        limit,
        where.through,
    )
    return [msgspec.convert(dict(row), Decision) for row in rows]
