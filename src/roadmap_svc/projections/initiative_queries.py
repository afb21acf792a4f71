"""Async queries over initiative_summary_view."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from roadmap_svc.projections.initiative_summary import InitiativeSummary
from roadmap_svc.storage.pool import Pool

_COLUMNS = (
    "id, title, status, owner, sponsor, proposer, quarter, tags, last_decision, stakeholders,"
    " stakeholders_without_stance, version, proposed_at, updated_at, proposed_position, position"
)
# Every filter is optional: a NULL parameter matches everything.
LIST_INITIATIVES = f"""
SELECT {_COLUMNS} FROM initiative_summary_view
WHERE proposed_position > $1
  AND ($2::text IS NULL OR status = $2)
  AND ($3::text IS NULL OR quarter = $3)
  AND ($4::text IS NULL OR owner = $4)
  AND ($5::text IS NULL OR tags @> ARRAY[$5::text])
ORDER BY proposed_position
LIMIT $6
"""  # noqa: S608 - constant
GET_SUMMARY = f"SELECT {_COLUMNS} FROM initiative_summary_view WHERE id = $1"  # noqa: S608


class InitiativeFilter(msgspec.Struct, frozen=True, kw_only=True):
    status: str | None = None
    quarter: str | None = None
    owner: str | None = None
    tag: str | None = None


async def list_initiatives(
    pool: Pool, where: InitiativeFilter, after: int, limit: int
) -> list[InitiativeSummary]:
    rows = await pool.fetch(
        LIST_INITIATIVES, after, where.status, where.quarter, where.owner, where.tag, limit
    )
    return [_summary(row) for row in rows]


async def get_initiative_summary(pool: Pool, initiative_id: UUID) -> InitiativeSummary | None:
    row = await pool.fetchrow(GET_SUMMARY, initiative_id)
    return None if row is None else _summary(row)


def _summary(row: asyncpg.Record) -> InitiativeSummary:
    return msgspec.convert(dict(row), InitiativeSummary)
