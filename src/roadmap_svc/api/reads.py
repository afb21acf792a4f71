"""Read-your-writes for view reads: wait (bounded) until the view has a client's position."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from roadmap_svc.api.problems import problem
from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections.positions import (
    event_store_position,
    projection_position,
    wait_for_position,
)
from roadmap_svc.storage.eventstore import EVENTS_TABLE
from roadmap_svc.storage.pool import Pool

MinPosition = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        description="Wait (briefly) until the view includes this event position, e.g. the "
        "`position` a write returned: read-your-writes.",
    ),
]


async def ensure_position(
    pool: Pool, tracking_table: str, min_position: int | None, wait_seconds: float
) -> None:
    if min_position is None or min_position <= 0:
        return
    if await projection_position(pool, tracking_table, APPLICATION_NAME) >= min_position:
        return
    # A position no write has returned yet cannot arrive by waiting: say so at once.
    head = await event_store_position(pool, EVENTS_TABLE)
    if min_position > head:
        raise problem(
            "position-not-recorded",
            f"min_position {min_position} is past the newest recorded event ({head}); "
            "pass the position a write returned",
            errors=[
                {"field": "min_position", "message": "past the newest event", "source": "query"}
            ],
            event_store_position=head,
        )
    if not await wait_for_position(
        pool, tracking_table, APPLICATION_NAME, min_position, wait_seconds
    ):
        raise problem(
            "projection-lagging",
            f"the view has not reached position {min_position} within {wait_seconds:g}s; retry",
            headers={"Retry-After": "1"},
            min_position=min_position,
        )
