"""/v1/initiatives/{id}/assignments and /metrics: who works on it, and how success is measured."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, patch, post
from litestar.params import FromPath, JSONBody

from roadmap_svc.api import planning_schemas as ps
from roadmap_svc.api.auth import READ, WRITE
from roadmap_svc.api.dependencies import RoadmapDep
from roadmap_svc.api.etags import ETAG_HEADER, etag
from roadmap_svc.api.requests import WriteDep
from roadmap_svc.api.writes import part, part_written

BASE = "/v1/initiatives/{initiative_id:uuid}"


class AssignmentController(Controller):
    path = f"{BASE}/assignments"
    tags = ("assignments",)

    @get(
        "/",
        operation_id="ListAssignments",
        response_headers=[ETAG_HEADER],
        opt=READ,
        sync_to_thread=True,
        summary="Its teams",
    )
    def list(
        self, initiative_id: FromPath[UUID], roadmap: RoadmapDep
    ) -> Response[ps.AssignmentList]:
        initiative = roadmap.get_initiative(initiative_id)
        items = list(initiative.assignments.values())
        body = ps.AssignmentList(items=items, initiative_version=initiative.version)
        return Response(body, headers={"ETag": etag(initiative.version)})

    @get(
        "/{assignment_id:uuid}",
        operation_id="GetAssignment",
        response_headers=[ETAG_HEADER],
        opt=READ,
        sync_to_thread=True,
        summary="One assignment",
    )
    def read(
        self, initiative_id: FromPath[UUID], assignment_id: FromPath[UUID], roadmap: RoadmapDep
    ) -> Response[ps.AssignmentResponse]:
        initiative = roadmap.get_initiative(initiative_id)
        found = initiative.assignment(assignment_id)
        body = part(found, ps.AssignmentResponse, initiative.version)
        return Response(body, headers={"ETag": etag(initiative.version)})

    @post(
        "/",
        operation_id="AssignTeam",
        opt=WRITE,
        summary="Assign a team (optionally a person and role) for a quarter at an FTE",
    )
    async def assign(
        self,
        *,
        initiative_id: FromPath[UUID],
        data: JSONBody[ps.AssignmentCreate],
        write: WriteDep,
    ) -> Response[ps.AssignmentResponse]:
        return await write.answer(
            write.roadmap.assign_team,
            lambda written: part_written(
                written,
                ps.AssignmentResponse,
                status_code=201,
                location=f"/v1/initiatives/{initiative_id}/assignments/{written.value.id}",
            ),
            initiative_id,
            team_id=data.team_id,
            quarter=data.quarter,
            fte=data.fte,
            person=data.person,
            role=data.role,
            meta=write.meta,
            expected_version=write.expected_version,
        )

    @patch(
        "/{assignment_id:uuid}",
        operation_id="ChangeAssignment",
        opt=WRITE,
        summary="Change FTE, person or role",
    )
    async def change(
        self,
        *,
        initiative_id: FromPath[UUID],
        assignment_id: FromPath[UUID],
        data: JSONBody[ps.AssignmentChange],
        write: WriteDep,
    ) -> Response[ps.AssignmentResponse]:
        return await write.answer(
            write.roadmap.change_assignment,
            lambda written: part_written(written, ps.AssignmentResponse),
            initiative_id,
            assignment_id,
            data.changes(),
            meta=write.because(data.reason),
            expected_version=write.expected_version,
        )

    @post(
        "/{assignment_id:uuid}/release",
        operation_id="ReleaseAssignment",
        opt=WRITE,
        status_code=200,
        summary="Release a team from the initiative",
    )
    async def release(
        self,
        *,
        initiative_id: FromPath[UUID],
        assignment_id: FromPath[UUID],
        data: JSONBody[ps.AssignmentRelease],
        write: WriteDep,
    ) -> Response[ps.AssignmentResponse]:
        return await write.answer(
            write.roadmap.release_assignment,
            lambda written: part_written(written, ps.AssignmentResponse),
            initiative_id,
            assignment_id,
            reason=data.reason,
            meta=write.because(data.reason),
            expected_version=write.expected_version,
        )


class MetricController(Controller):
    path = f"{BASE}/metrics"
    tags = ("metrics",)

    @get(
        "/",
        operation_id="ListMetrics",
        response_headers=[ETAG_HEADER],
        opt=READ,
        sync_to_thread=True,
        summary="Its metrics",
    )
    def list(self, initiative_id: FromPath[UUID], roadmap: RoadmapDep) -> Response[ps.MetricList]:
        initiative = roadmap.get_initiative(initiative_id)
        items = list(initiative.metrics.values())
        body = ps.MetricList(items=items, initiative_version=initiative.version)
        return Response(body, headers={"ETag": etag(initiative.version)})

    @get(
        "/{metric_id:uuid}",
        operation_id="GetMetric",
        response_headers=[ETAG_HEADER],
        opt=READ,
        sync_to_thread=True,
        summary="One metric, with its measurements",
    )
    def read(
        self, initiative_id: FromPath[UUID], metric_id: FromPath[UUID], roadmap: RoadmapDep
    ) -> Response[ps.MetricResponse]:
        initiative = roadmap.get_initiative(initiative_id)
        body = part(initiative.metric(metric_id), ps.MetricResponse, initiative.version)
        return Response(body, headers={"ETag": etag(initiative.version)})

    @post(
        "/",
        operation_id="DefineMetric",
        opt=WRITE,
        summary="Define a success metric: baseline, target, direction",
    )
    async def define(
        self,
        *,
        initiative_id: FromPath[UUID],
        data: JSONBody[ps.MetricDefine],
        write: WriteDep,
    ) -> Response[ps.MetricResponse]:
        return await write.answer(
            write.roadmap.define_metric,
            lambda written: part_written(
                written,
                ps.MetricResponse,
                status_code=201,
                location=f"/v1/initiatives/{initiative_id}/metrics/{written.value.id}",
            ),
            initiative_id,
            name=data.name,
            unit=data.unit,
            baseline=data.baseline,
            target=data.target,
            direction=data.direction,
            meta=write.meta,
            expected_version=write.expected_version,
        )

    @post(
        "/{metric_id:uuid}/measurements",
        operation_id="RecordMeasurement",
        opt=WRITE,
        summary="Record a measurement",
    )
    async def measure(
        self,
        *,
        initiative_id: FromPath[UUID],
        metric_id: FromPath[UUID],
        data: JSONBody[ps.MeasurementRecord],
        write: WriteDep,
    ) -> Response[ps.MetricResponse]:
        return await write.answer(
            write.roadmap.record_measurement,
            lambda written: part_written(
                written,
                ps.MetricResponse,
                status_code=201,
                location=f"/v1/initiatives/{initiative_id}/metrics/{metric_id}",
            ),
            initiative_id,
            metric_id,
            value=data.value,
            measured_on=data.measured_on,
            note=data.note,
            meta=write.because(data.note),
            expected_version=write.expected_version,
        )
