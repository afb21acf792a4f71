"""/v1/initiatives/{id}/milestones: dated promises, their re-plans and their dependencies."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from roadmap_svc.api import planning_schemas as ps
from roadmap_svc.api.auth import READ, WRITE
from roadmap_svc.api.dependencies import RoadmapDep
from roadmap_svc.api.etags import ETAG_HEADER, etag
from roadmap_svc.api.requests import WriteDep
from roadmap_svc.api.writes import part, part_written
from roadmap_svc.application import Written
from roadmap_svc.domain.milestones import Milestone


def _milestone_written(
    written: Written[Milestone], status_code: int = 200
) -> Response[ps.MilestoneResponse]:
    location = f"/v1/initiatives/{written.id}/milestones/{written.value.id}"
    return part_written(
        written,
        ps.MilestoneResponse,
        status_code=status_code,
        location=location if status_code == 201 else None,  # noqa: PLR2004
    )


class MilestoneController(Controller):
    path = "/v1/initiatives/{initiative_id:uuid}/milestones"
    tags = ("milestones",)

    @post(
        "/",
        operation_id="AddMilestone",
        opt=WRITE,
        summary="Add a milestone",
    )
    async def add(
        self,
        *,
        initiative_id: FromPath[UUID],
        data: JSONBody[ps.MilestoneAdd],
        write: WriteDep,
    ) -> Response[ps.MilestoneResponse]:
        return await write.answer(
            write.roadmap.add_milestone,
            lambda written: _milestone_written(written, 201),
            initiative_id,
            title=data.title,
            success_criteria=data.success_criteria,
            target_date=data.target_date,
            meta=write.meta,
            expected_version=write.expected_version,
        )

    @get(
        "/",
        operation_id="ListMilestones",
        response_headers=[ETAG_HEADER],
        opt=READ,
        sync_to_thread=True,
        summary="The initiative's milestones",
    )
    def list(
        self, initiative_id: FromPath[UUID], roadmap: RoadmapDep
    ) -> Response[ps.MilestoneList]:
        initiative = roadmap.get_initiative(initiative_id)
        body = ps.MilestoneList(
            items=list(initiative.milestones.values()), initiative_version=initiative.version
        )
        return Response(body, headers={"ETag": etag(initiative.version)})

    @get(
        "/{milestone_id:uuid}",
        operation_id="GetMilestone",
        response_headers=[ETAG_HEADER],
        opt=READ,
        sync_to_thread=True,
        summary="One milestone, with its slips and dependencies",
    )
    def read(
        self, initiative_id: FromPath[UUID], milestone_id: FromPath[UUID], roadmap: RoadmapDep
    ) -> Response[ps.MilestoneResponse]:
        initiative = roadmap.get_initiative(initiative_id)
        milestone = part(
            initiative.milestone(milestone_id), ps.MilestoneResponse, initiative.version
        )
        return Response(milestone, headers={"ETag": etag(initiative.version)})

    @post(
        "/{milestone_id:uuid}/replans",
        operation_id="ReplanMilestone",
        opt=WRITE,
        summary="Move the target date, with a reason; the slip is kept",
    )
    async def replan(
        self,
        *,
        initiative_id: FromPath[UUID],
        milestone_id: FromPath[UUID],
        data: JSONBody[ps.MilestoneReplan],
        write: WriteDep,
    ) -> Response[ps.MilestoneResponse]:
        return await write.answer(
            write.roadmap.replan_milestone,
            lambda written: _milestone_written(written, 201),
            initiative_id,
            milestone_id,
            to_date=data.target_date,
            reason=data.reason,
            meta=write.because(data.reason),
            expected_version=write.expected_version,
        )

    @post(
        "/{milestone_id:uuid}/start",
        operation_id="StartMilestone",
        opt=WRITE,
        status_code=200,
        summary="Start work on a planned milestone",
    )
    async def start(
        self,
        *,
        initiative_id: FromPath[UUID],
        milestone_id: FromPath[UUID],
        write: WriteDep,
    ) -> Response[ps.MilestoneResponse]:
        return await write.answer(
            write.roadmap.start_milestone,
            _milestone_written,
            initiative_id,
            milestone_id,
            meta=write.meta,
            expected_version=write.expected_version,
        )

    @post(
        "/{milestone_id:uuid}/complete",
        operation_id="CompleteMilestone",
        opt=WRITE,
        status_code=200,
        summary="Complete (actual date, default the day it happened)",
    )
    async def complete(
        self,
        *,
        initiative_id: FromPath[UUID],
        milestone_id: FromPath[UUID],
        data: JSONBody[ps.MilestoneComplete],
        write: WriteDep,
    ) -> Response[ps.MilestoneResponse]:
        return await write.answer(
            write.roadmap.complete_milestone,
            _milestone_written,
            initiative_id,
            milestone_id,
            actual_date=data.actual_date,
            meta=write.meta,
            expected_version=write.expected_version,
        )

    @post(
        "/{milestone_id:uuid}/missed",
        operation_id="MarkMilestoneMissed",
        opt=WRITE,
        status_code=200,
        summary="Record that the date was missed",
    )
    async def missed(
        self,
        *,
        initiative_id: FromPath[UUID],
        milestone_id: FromPath[UUID],
        data: JSONBody[ps.MilestoneMiss],
        write: WriteDep,
    ) -> Response[ps.MilestoneResponse]:
        return await write.answer(
            write.roadmap.miss_milestone,
            _milestone_written,
            initiative_id,
            milestone_id,
            reason=data.reason,
            meta=write.because(data.reason),
            expected_version=write.expected_version,
        )

    @post(
        "/{milestone_id:uuid}/drop",
        operation_id="DropMilestone",
        opt=WRITE,
        status_code=200,
        summary="Drop a milestone, with a reason",
    )
    async def drop(
        self,
        *,
        initiative_id: FromPath[UUID],
        milestone_id: FromPath[UUID],
        data: JSONBody[ps.MilestoneDrop],
        write: WriteDep,
    ) -> Response[ps.MilestoneResponse]:
        return await write.answer(
            write.roadmap.drop_milestone,
            _milestone_written,
            initiative_id,
            milestone_id,
            reason=data.reason,
            meta=write.because(data.reason),
            expected_version=write.expected_version,
        )

    @post(
        "/{milestone_id:uuid}/dependencies",
        operation_id="AddMilestoneDependency",
        opt=WRITE,
        summary="Depend on another milestone (any initiative)",
    )
    async def add_dependency(
        self,
        *,
        initiative_id: FromPath[UUID],
        milestone_id: FromPath[UUID],
        data: JSONBody[ps.DependencyAdd],
        write: WriteDep,
    ) -> Response[ps.MilestoneResponse]:
        return await write.answer(
            write.roadmap.add_dependency,
            lambda written: _milestone_written(written, 201),
            initiative_id,
            milestone_id,
            upstream_initiative_id=data.upstream_initiative_id,
            upstream_milestone_id=data.upstream_milestone_id,
            type=data.type,
            lag_days=data.lag_days,
            meta=write.meta,
            expected_version=write.expected_version,
        )

    @delete(
        "/{milestone_id:uuid}/dependencies/{dependency_id:uuid}",
        operation_id="RemoveMilestoneDependency",
        opt=WRITE,
        status_code=200,
        summary="Remove a dependency",
    )
    async def remove_dependency(
        self,
        *,
        initiative_id: FromPath[UUID],
        milestone_id: FromPath[UUID],
        dependency_id: FromPath[UUID],
        write: WriteDep,
    ) -> Response[ps.MilestoneResponse]:
        return await write.answer(
            write.roadmap.remove_dependency,
            _milestone_written,
            initiative_id,
            milestone_id,
            dependency_id,
            meta=write.meta,
            expected_version=write.expected_version,
        )
