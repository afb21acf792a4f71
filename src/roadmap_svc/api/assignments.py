"""/v1/initiatives/{id}/assignments and /metrics: who works on it, and how success is measured."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, patch, post
from litestar.params import FromPath, JSONBody

from roadmap_svc.api import planning_schemas as ps
from roadmap_svc.api.auth import can_write
from roadmap_svc.api.dependencies import RoadmapDep
from roadmap_svc.api.requests import event_meta, if_match
from roadmap_svc.api.writes import written_part
from roadmap_svc.domain.assignments import Assignment
from roadmap_svc.domain.metrics import Metric

BASE = "/v1/initiatives/{initiative_id:uuid}"


class AssignmentController(Controller):
    path = f"{BASE}/assignments"
    tags = ("assignments",)

    @post(
        "/",
        operation_id="AssignTeam",
        guards=[can_write],
        sync_to_thread=True,
        summary="Assign a team (optionally a person and role) for a quarter at an FTE",
    )
    def assign(
        self,
        request: Request[Any, Any, Any],
        initiative_id: FromPath[UUID],
        data: JSONBody[ps.AssignmentCreate],
        roadmap: RoadmapDep,
    ) -> Response[Assignment]:
        outcome = roadmap.assign_team(
            initiative_id,
            team_id=data.team_id,
            quarter=data.quarter,
            fte=data.fte,
            person=data.person,
            role=data.role,
            meta=event_meta(request),
            expected_version=if_match(request),
        )
        assignment_id = outcome.event.assignment_id
        return written_part(
            roadmap,
            outcome,
            lambda i: i.assignment(assignment_id),
            status_code=201,
            location=f"/v1/initiatives/{initiative_id}/assignments/{assignment_id}",
        )

    @patch(
        "/{assignment_id:uuid}",
        operation_id="ChangeAssignment",
        guards=[can_write],
        sync_to_thread=True,
        summary="Change FTE, person or role",
    )
    def change(
        self,
        request: Request[Any, Any, Any],
        initiative_id: FromPath[UUID],
        assignment_id: FromPath[UUID],
        data: JSONBody[ps.AssignmentChange],
        roadmap: RoadmapDep,
    ) -> Response[Assignment]:
        outcome = roadmap.change_assignment(
            initiative_id,
            assignment_id,
            data.changes(),
            meta=event_meta(request, data.reason),
            expected_version=if_match(request),
        )
        return written_part(roadmap, outcome, lambda i: i.assignment(assignment_id))

    @post(
        "/{assignment_id:uuid}/release",
        operation_id="ReleaseAssignment",
        guards=[can_write],
        sync_to_thread=True,
        status_code=200,
        summary="Release a team from the initiative",
    )
    def release(
        self,
        request: Request[Any, Any, Any],
        initiative_id: FromPath[UUID],
        assignment_id: FromPath[UUID],
        data: JSONBody[ps.AssignmentRelease],
        roadmap: RoadmapDep,
    ) -> Response[Assignment]:
        outcome = roadmap.release_assignment(
            initiative_id,
            assignment_id,
            reason=data.reason,
            meta=event_meta(request, data.reason),
            expected_version=if_match(request),
        )
        return written_part(roadmap, outcome, lambda i: i.assignment(assignment_id))


class MetricController(Controller):
    path = f"{BASE}/metrics"
    tags = ("metrics",)

    @post(
        "/",
        operation_id="DefineMetric",
        guards=[can_write],
        sync_to_thread=True,
        summary="Define a success metric: baseline, target, direction",
    )
    def define(
        self,
        request: Request[Any, Any, Any],
        initiative_id: FromPath[UUID],
        data: JSONBody[ps.MetricDefine],
        roadmap: RoadmapDep,
    ) -> Response[Metric]:
        outcome = roadmap.define_metric(
            initiative_id,
            name=data.name,
            unit=data.unit,
            baseline=data.baseline,
            target=data.target,
            direction=data.direction,
            meta=event_meta(request),
            expected_version=if_match(request),
        )
        metric_id = outcome.event.metric_id
        return written_part(
            roadmap,
            outcome,
            lambda i: i.metrics[metric_id],
            status_code=201,
            location=f"/v1/initiatives/{initiative_id}/metrics/{metric_id}",
        )

    @post(
        "/{metric_id:uuid}/measurements",
        operation_id="RecordMeasurement",
        guards=[can_write],
        sync_to_thread=True,
        summary="Record a measurement",
    )
    def measure(
        self,
        request: Request[Any, Any, Any],
        initiative_id: FromPath[UUID],
        metric_id: FromPath[UUID],
        data: JSONBody[ps.MeasurementRecord],
        roadmap: RoadmapDep,
    ) -> Response[Metric]:
        outcome = roadmap.record_measurement(
            initiative_id,
            metric_id,
            value=data.value,
            measured_on=data.measured_on or roadmap.today(),
            note=data.note,
            meta=event_meta(request, data.note),
            expected_version=if_match(request),
        )
        return written_part(
            roadmap,
            outcome,
            lambda i: i.metrics[metric_id],
            status_code=201,
            location=f"/v1/initiatives/{initiative_id}/metrics/{metric_id}",
        )
