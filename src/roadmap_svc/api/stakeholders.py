"""/v1/initiatives/{id}/stakeholders: consult a stakeholder and record their stance."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, post
from litestar.params import FromPath, JSONBody

from roadmap_svc.api import schemas
from roadmap_svc.api.auth import WRITE
from roadmap_svc.api.requests import WriteDep
from roadmap_svc.api.writes import initiative_written


class StakeholderController(Controller):
    path = "/v1/initiatives/{initiative_id:uuid}/stakeholders"
    tags = ("stakeholders",)

    @post(
        "/",
        operation_id="AddStakeholder",
        opt=WRITE,
        summary="Consult a stakeholder on an initiative",
    )
    async def add(
        self,
        *,
        initiative_id: FromPath[UUID],
        data: JSONBody[schemas.StakeholderAdd],
        write: WriteDep,
    ) -> Response[schemas.Initiative]:
        return await write.answer(
            write.roadmap.add_stakeholder,
            lambda written: initiative_written(
                written, status_code=201, location=f"/v1/initiatives/{initiative_id}"
            ),
            initiative_id,
            name=data.name,
            role=data.role,
            meta=write.because(data.reason),
            expected_version=write.expected_version,
        )

    @post(
        "/{name:str}/stance",
        operation_id="RecordStance",
        opt=WRITE,
        status_code=200,
        summary="Record a stakeholder's stance",
    )
    async def record_stance(
        self,
        *,
        initiative_id: FromPath[UUID],
        name: FromPath[str],
        data: JSONBody[schemas.StanceRecord],
        write: WriteDep,
    ) -> Response[schemas.Initiative]:
        return await write.answer(
            write.roadmap.record_stance,
            initiative_written,
            initiative_id,
            name=name,
            stance=data.stance,
            note=data.note,
            meta=write.because(data.note),
            expected_version=write.expected_version,
        )
