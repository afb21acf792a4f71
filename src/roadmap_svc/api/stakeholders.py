"""/v1/initiatives/{id}/stakeholders: consult a stakeholder and record their stance."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post

from roadmap_svc.api import schemas
from roadmap_svc.api.auth import can_write
from roadmap_svc.api.initiatives import written
from roadmap_svc.api.requests import event_meta, if_match
from roadmap_svc.application import RoadmapApplication


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
        initiative_id: UUID,
        data: schemas.StakeholderAdd,
        roadmap: RoadmapApplication,
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
        initiative_id: UUID,
        name: str,
        data: schemas.StanceRecord,
        roadmap: RoadmapApplication,
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
