"""Async reads of the progress view: the initiatives asked for, and every milestone their
forecasts reach (upstream milestones of other initiatives included)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from roadmap_svc.projections.health import Portfolio, PortfolioNeeds
from roadmap_svc.projections.progress import (
    INITIATIVES,
    MILESTONES,
    ProgressInitiative,
    ProgressMilestone,
)
from roadmap_svc.storage.pool import Pool

LIST_INITIATIVES = f"""
SELECT * FROM {INITIATIVES.name}
WHERE ($1::text IS NULL OR status = $1)
  AND ($2::text IS NULL OR quarter = $2)
  AND ($3::text IS NULL OR owner = $3)
ORDER BY proposed_position
"""  # noqa: S608 - constant
INITIATIVES_BY_ID = f"SELECT * FROM {INITIATIVES.name} WHERE id = ANY($1::uuid[])"  # noqa: S608
MILESTONES_OF = f"SELECT * FROM {MILESTONES.name} WHERE initiative_id = ANY($1::uuid[])"  # noqa: S608


async def list_progress_initiatives(
    pool: Pool, status: str | None, quarter: str | None, owner: str | None
) -> list[ProgressInitiative]:
    rows = await pool.fetch(LIST_INITIATIVES, status, quarter, owner)
    return [msgspec.convert(dict(row), ProgressInitiative) for row in rows]


DUE_REVISITS = f"""
SELECT * FROM {INITIATIVES.name}
WHERE status = 'proposed' AND revisit_on <= $1 ORDER BY revisit_on, proposed_position
"""  # noqa: S608 - constant
STALE = f"""
SELECT * FROM {INITIATIVES.name}
WHERE status IN ('proposed', 'approved', 'in_progress', 'paused') AND last_event_on < $1
ORDER BY last_event_on, proposed_position
"""  # noqa: S608 - constant


async def revisits(
    pool: Pool, today: date, stale_before: date
) -> tuple[list[ProgressInitiative], list[ProgressInitiative]]:
    """Deferred initiatives whose revisit date has come, and open ones quiet since before
    `stale_before`."""
    due = await pool.fetch(DUE_REVISITS, today)
    stale = await pool.fetch(STALE, stale_before)
    return (
        [msgspec.convert(dict(r), ProgressInitiative) for r in due],
        [msgspec.convert(dict(r), ProgressInitiative) for r in stale],
    )


async def get_progress_initiative(pool: Pool, initiative_id: UUID) -> ProgressInitiative | None:
    rows = await pool.fetch(INITIATIVES_BY_ID, [initiative_id])
    return msgspec.convert(dict(rows[0]), ProgressInitiative) if rows else None


async def portfolio_for(pool: Pool, initiatives: list[ProgressInitiative]) -> Portfolio:
    """The rows the progress of `initiatives` needs: their milestones and, transitively,
    the milestones (and initiatives) those depend on."""
    needs = PortfolioNeeds(initiatives)
    while needs.wanted:
        rows = await pool.fetch(MILESTONES_OF, list(needs.wanted))
        missing = needs.add_milestones(msgspec.convert(dict(r), ProgressMilestone) for r in rows)
        if missing:
            found = await pool.fetch(INITIATIVES_BY_ID, missing)
            needs.add_initiatives(msgspec.convert(dict(r), ProgressInitiative) for r in found)
    return needs.portfolio()
