"""`as_of`: a read of the log as it was recorded by a past time, the prefix of the log up to
the last position recorded by then (the audit chain keeps each position's recording time).
A time in the future, or before the first event, is answered as such, never guessed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar.params import QueryParameter

from roadmap_svc.api.patterns import RFC3339_PATTERN
from roadmap_svc.api.problems import problem
from roadmap_svc.api.times import parse_time
from roadmap_svc.storage.audit_chain import FIRST_RECORDED, POSITION_AT
from roadmap_svc.storage.pool import Pool

AsOf = Annotated[
    str | None,
    QueryParameter(
        pattern=RFC3339_PATTERN,
        description="Read as recorded by this time (RFC 3339 with an offset, e.g. "
        "2026-03-01T09:30:00Z): the log up to the last event recorded by then. The answer's "
        "`as_of_position` says which. 422 for a time in the future or before the first event.",
    ),
]


async def as_of_position(pool: Pool, raw: str) -> int:
    """The last position recorded by `raw` (an RFC 3339 time)."""
    when = as_of_time(raw)
    position = int(await pool.fetchval(POSITION_AT, when))
    if position == 0:
        raise before_the_log(raw, await pool.fetchval(FIRST_RECORDED))
    return position


def as_of_time(raw: str) -> datetime:
    when = parse_time(raw, "as_of", "query")
    if when > datetime.now(UTC):
        raise _out_of_range(raw, "is in the future")
    return when


def before_the_log(raw: str, first: datetime | None) -> Exception:
    began = (
        "nothing is recorded yet"
        if first is None
        else f"the log begins at {first.isoformat().replace('+00:00', 'Z')}"
    )
    return _out_of_range(raw, f"is before the first event ({began})")


def _out_of_range(raw: str, why: str) -> Exception:
    return problem(
        "as-of-out-of-range",
        f"as_of {raw} {why}",
        errors=[{"field": "as_of", "message": why, "source": "query"}],
    )
