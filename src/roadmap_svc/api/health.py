"""/healthz (the process answers) and /readyz (database reachable, projections running)."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Response, get
from litestar.openapi import ResponseSpec

from roadmap_svc.api import schemas
from roadmap_svc.api.dependencies import AppStateDep
from roadmap_svc.api.state import AppState
from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections.positions import event_store_position, projection_position
from roadmap_svc.projections.runner import SupervisedRunner
from roadmap_svc.projections.view_tables import tracking_table
from roadmap_svc.storage.eventstore import EVENTS_TABLE


class HealthController(Controller):
    tags = ("health",)

    @get("/healthz", operation_id="GetHealth", summary="Liveness")
    async def health(self) -> schemas.Liveness:
        return schemas.Liveness(status="ok")

    @get(
        "/readyz",
        operation_id="GetReadiness",
        summary="Readiness, with projection lag",
        responses={
            503: ResponseSpec(
                schemas.Readiness,
                description="Not ready: the database is unreachable, or a view is not running "
                "or waits at an event it cannot apply (`status` says which)",
            )
        },
    )
    async def ready(self, app_state: AppStateDep) -> Response[schemas.Readiness]:
        try:
            head = await event_store_position(app_state.pool, EVENTS_TABLE)
            projections = [await _status(app_state, runner, head) for runner in app_state.runners]
        except (OSError, asyncpg.PostgresError) as exc:
            body = schemas.Readiness(
                status=f"database unavailable: {type(exc).__name__}",
                event_store_position=0,
                projections=[],
            )
            return Response(body, status_code=503)
        stuck = [p.failure for p in projections if p.failure is not None]
        ready = not stuck and all(p.running or p.standing_by for p in projections)
        if stuck:
            status = "; ".join(
                f"view {f.view} cannot apply the event at position {f.position} "
                f"({f.originator_id} v{f.originator_version}): {f.error}"
                for f in stuck
            )
        else:
            status = "ready" if ready else "projections not running"
        body = schemas.Readiness(
            status=status,
            event_store_position=head,
            projections=projections,
        )
        return Response(body, status_code=200 if ready else 503)


async def _status(
    app_state: AppState, runner: SupervisedRunner, head: int
) -> schemas.ProjectionStatus:
    position = await projection_position(
        app_state.pool, tracking_table(runner.name), APPLICATION_NAME
    )
    return schemas.ProjectionStatus(
        name=runner.name,
        running=runner.is_running,
        standing_by=runner.standing_by,
        position=position,
        lag=max(head - position, 0),
        restarts=runner.restarts,
        last_error=runner.last_error,
        failure=runner.failure,
    )
