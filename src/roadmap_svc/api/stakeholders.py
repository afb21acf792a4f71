"""/v1/initiatives/{id}/stakeholders: consult a stakeholder and record their stance."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.params import FromPath, JSONBody

from roadmap_svc.api import schemas
from roadmap_svc.api.auth import can_write
from roadmap_svc.api.dependencies import RoadmapDep
from roadmap_svc.api.requests import event_meta, if_match
from roadmap_svc.api.writes import written


class StakeholderController(Controller):
    path = "/v1/initiatives/{initiative_id:uuid}/stakeholders"
    tags = ("stakeholders",)

    @post(
        "/",
        operation_id="AddStakeholder",
        guards=[can_write],
        sync_to_thread=True,
        summary="Consult a stakeholder on an initiative",
    )
    def add(
        self,
        request: Request[Any, Any, Any],
        initiative_id: FromPath[UUID],
        data: JSONBody[schemas.StakeholderAdd],
        roadmap: RoadmapDep,
    ) -> Response[schemas.Initiative]:
        result = roadmap.add_stakeholder(
            initiative_id,
            name=data.name,
            role=data.role,
            meta=event_meta(request, data.reason),
            expected_version=if_match(request),
        )
        response = written(roadmap, result, status_code=201)
        response.headers["Location"] = f"/v1/initiatives/{initiative_id}"
        return response

    @post(
        "/{name:str}/stance",
        operation_id="RecordStance",
        guards=[can_write],
        sync_to_thread=True,
        status_code=200,
        summary="Record a stakeholder's stance",
    )
    def record_stance(
        self,
        request: Request[Any, Any, Any],
        initiative_id: FromPath[UUID],
        name: FromPath[str],
        data: JSONBody[schemas.StanceRecord],
        roadmap: RoadmapDep,
    ) -> Response[schemas.Initiative]:
        result = roadmap.record_stance(
            initiative_id,
            name=name,
            stance=data.stance,
            note=data.note,
            meta=event_meta(request, data.note),
            expected_version=if_match(request),
        )
        return written(roadmap, result)
