"""/v1/initiatives/{id}/history: every event, in order, with actor, reason and position."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath

from roadmap_svc.api import schemas
from roadmap_svc.api.auth import can_read
from roadmap_svc.api.dependencies import PoolDep
from roadmap_svc.domain.errors import NotFoundError
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.projections.event_views import history_entry
from roadmap_svc.storage.event_log import aggregate_events


class HistoryController(Controller):
    path = "/v1/initiatives/{initiative_id:uuid}/history"
    tags = ("history",)

    @get(
        "/",
        operation_id="GetInitiativeHistory",
        guards=[can_read],
        summary="Every event of an initiative, oldest first",
    )
    async def history(self, initiative_id: FromPath[UUID], pool: PoolDep) -> schemas.History:
        events = await aggregate_events(pool, initiative_id)
        if not events or not isinstance(events[0].event, Initiative.Proposed):
            raise NotFoundError("initiative", initiative_id)
        return schemas.History(items=[history_entry(e.event, e.position) for e in events])
