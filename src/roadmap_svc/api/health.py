"""/healthz (the process answers) and /readyz (database reachable; every view keeping up,
running if this process keeps it, and applying every event)."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Response, get
from litestar.openapi import ResponseSpec

from roadmap_svc.api import schemas
from roadmap_svc.api.dependencies import AppStateDep
from roadmap_svc.projections.runner import SupervisedRunner
from roadmap_svc.projections.status import ViewStatus, views_now


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
            head, views = await views_now(app_state.pool)
            here = {runner.name: runner for runner in app_state.runners}
            projections = [_status(view, here.get(view.name)) for view in views]
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            body = schemas.Readiness(
                status=f"database unavailable: {type(exc).__name__}",
                event_store_position=0,
                projections=[],
            )
            return Response(body, status_code=503)
        problems = _problems(projections, app_state.settings.ready_max_lag)
        body = schemas.Readiness(
            status="; ".join(problems) or "ready",
            event_store_position=head,
            projections=projections,
        )
        return Response(body, status_code=503 if problems else 200)


def _problems(projections: list[schemas.ProjectionStatus], max_lag: int) -> list[str]:
    found = []
    for p in projections:
        if p.failure is not None:
            f = p.failure
            found.append(
                f"view {f.view} cannot apply the event at position {f.position} "
                f"({f.originator_id} v{f.originator_version}): {f.error}"
            )
        elif p.lag > max_lag:
            found.append(f"view {p.name} lags {p.lag} events (ROADMAP_READY_MAX_LAG {max_lag})")
        elif p.kept_here and not (p.running or p.standing_by):
            found.append(f"view {p.name}: its runner is not running")
    return found


def _status(view: ViewStatus, runner: SupervisedRunner | None) -> schemas.ProjectionStatus:
    return schemas.ProjectionStatus(
        name=view.name,
        kept_here=runner is not None,
        running=runner is not None and runner.is_running,
        standing_by=runner is not None and runner.standing_by,
        position=view.position,
        lag=view.lag,
        restarts=0 if runner is None else runner.restarts,
        last_error=None if runner is None else runner.last_error,
        failure=view.failure or (None if runner is None else runner.failure),
    )
