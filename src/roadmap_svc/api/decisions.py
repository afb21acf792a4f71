"""/v1/initiatives/{id}/decisions: take a decision (a tagged union on `kind`) and read the log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from roadmap_svc.api import schemas
from roadmap_svc.api.auth import can_read, can_write
from roadmap_svc.api.dependencies import PoolDep, RoadmapDep
from roadmap_svc.api.requests import event_meta, if_match
from roadmap_svc.api.writes import write_headers
from roadmap_svc.application import DecisionInput
from roadmap_svc.domain.errors import NotFoundError
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.projections.event_views import Decision, decision_record
from roadmap_svc.storage.event_log import aggregate_events
from roadmap_svc.storage.pool import Pool


class DecisionController(Controller):
    path = "/v1/initiatives/{initiative_id:uuid}/decisions"
    tags = ("decisions",)

    @post(
        "/",
        operation_id="TakeDecision",
        guards=[can_write],
        sync_to_thread=True,
        summary="Record a decision: approve, start, reject, defer, pause, resume, cancel, complete",
    )
    def take(
        self,
        request: Request[Any, Any, Any],
        initiative_id: FromPath[UUID],
        data: JSONBody[schemas.DecisionTake],
        roadmap: RoadmapDep,
    ) -> Response[Decision]:
        meta = event_meta(request, data.rationale)
        decision = DecisionInput(
            kind=DecisionKind(str(data.__struct_config__.tag)),
            rationale=data.rationale,
            decided_by=data.decided_by or meta.actor,
            alternatives_considered=tuple(data.alternatives_considered),
            quarter=getattr(data, "quarter", None),
            revisit_on=getattr(data, "revisit_on", None),
        )
        outcome = roadmap.decide(initiative_id, decision, meta, if_match(request))
        record = decision_record(outcome.event, outcome.result.position)
        return Response(
            record,
            status_code=201,
            headers=write_headers(
                outcome, f"/v1/initiatives/{initiative_id}/decisions/{record.version}"
            ),
        )

    @get("/", operation_id="ListDecisions", guards=[can_read], summary="The decision log")
    async def list(self, initiative_id: FromPath[UUID], pool: PoolDep) -> schemas.DecisionList:
        return schemas.DecisionList(items=await _decisions(pool, initiative_id))

    @get(
        "/{version:int}",
        operation_id="GetDecision",
        guards=[can_read],
        summary="One decision, by the initiative version it produced",
    )
    async def read(
        self, initiative_id: FromPath[UUID], version: FromPath[int], pool: PoolDep
    ) -> Decision:
        for item in await _decisions(pool, initiative_id):
            if item.version == version:
                return item
        raise NotFoundError("decision", f"{initiative_id}@{version}")


async def _decisions(pool: Pool, initiative_id: FromPath[UUID]) -> list[Decision]:
    events = await aggregate_events(pool, initiative_id)
    if not events or not isinstance(events[0].event, Initiative.Proposed):
        raise NotFoundError("initiative", initiative_id)
    return [
        decision_record(e.event, e.position)
        for e in events
        if isinstance(e.event, Initiative.DecisionTaken)
    ]
