"""/v1/initiatives/{id}/history: every event, in order, with actor, reason, both times, position."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath

from roadmap_svc.api import schemas
from roadmap_svc.api.auth import AUDIT
from roadmap_svc.api.dependencies import PoolDep
from roadmap_svc.domain.details import InitiativeProposed
from roadmap_svc.domain.errors import NotFoundError
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.projections.event_views import history_entry
from roadmap_svc.storage.event_log import aggregate_events
from roadmap_svc.storage.pool import Pool


class HistoryController(Controller):
    path = "/v1/initiatives/{initiative_id:uuid}/history"
    tags = ("history",)

    @get(
        "/",
        operation_id="GetInitiativeHistory",
        opt=AUDIT,
        description="For auditor and admin tokens: each event names its actor, reason and "
        "request id.",
        summary="Every event of an initiative, oldest first",
    )
    async def history(self, initiative_id: FromPath[UUID], pool: PoolDep) -> schemas.History:
        return await history_of(pool, initiative_id, InitiativeProposed, "initiative")


async def history_of(
    pool: Pool, aggregate_id: UUID, created: type[RoadmapEvent], kind: str
) -> schemas.History:
    """Every event of one aggregate, if it is of the kind whose first event is `created`."""
    events = await aggregate_events(pool, aggregate_id)
    if not events or not isinstance(events[0].event, created):
        raise NotFoundError(kind, aggregate_id)
    return schemas.History(
        items=[
            history_entry(e.event, e.position) for e in events if isinstance(e.event, RoadmapEvent)
        ]
    )
