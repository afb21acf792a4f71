"""/v1/initiatives/{id}/decisions: take a decision (a tagged union on `kind`) and read the log."""

from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from roadmap_svc.api import schemas
from roadmap_svc.api.auth import READ, WRITE
from roadmap_svc.api.dependencies import PoolDep
from roadmap_svc.api.requests import WriteDep
from roadmap_svc.api.writes import answer
from roadmap_svc.application import DecisionInput, Written
from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.domain.details import InitiativeProposed
from roadmap_svc.domain.errors import NotFoundError
from roadmap_svc.projections.event_views import Decision, decision_record
from roadmap_svc.storage.event_log import aggregate_events
from roadmap_svc.storage.pool import Pool


def _decided(written: Written[DecisionTaken]) -> Response[Decision]:
    record = decision_record(written.value, written.position)
    location = f"/v1/initiatives/{written.id}/decisions/{record.version}"
    return answer(written, record, status_code=201, location=location)


class DecisionController(Controller):
    path = "/v1/initiatives/{initiative_id:uuid}/decisions"
    tags = ("decisions",)

    @post(
        "/",
        operation_id="TakeDecision",
        opt=WRITE,
        summary="Record a decision: approve, start, reject, defer, pause, resume, cancel, complete",
    )
    async def take(
        self,
        *,
        initiative_id: FromPath[UUID],
        data: JSONBody[schemas.DecisionTake],
        write: WriteDep,
    ) -> Response[Decision]:
        # The tagged union checked each kind's fields; the command takes the same shape.
        decision = msgspec.convert(msgspec.to_builtins(data), DecisionInput)
        return await write.answer(
            write.roadmap.decide,
            _decided,
            initiative_id,
            decision,
            write.because(data.rationale),
            write.expected_version,
        )

    @get("/", operation_id="ListDecisions", opt=READ, summary="The decision log")
    async def list(self, initiative_id: FromPath[UUID], pool: PoolDep) -> schemas.DecisionList:
        return schemas.DecisionList(items=await _decisions(pool, initiative_id))

    @get(
        "/{version:int}",
        operation_id="GetDecision",
        opt=READ,
        summary="One decision, by the initiative version it produced",
    )
    async def read(
        self, initiative_id: FromPath[UUID], version: FromPath[int], pool: PoolDep
    ) -> Decision:
        for item in await _decisions(pool, initiative_id):
            if item.version == version:
                return item
        raise NotFoundError("decision", f"{initiative_id}@{version}")


async def _decisions(pool: Pool, initiative_id: UUID) -> list[Decision]:
    events = await aggregate_events(pool, initiative_id)
    if not events or not isinstance(events[0].event, InitiativeProposed):
        raise NotFoundError("initiative", initiative_id)
    return [
        decision_record(e.event, e.position) for e in events if isinstance(e.event, DecisionTaken)
    ]
