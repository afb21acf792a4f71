"""/healthz (the process answers) and /readyz (database reachable; every view keeping up,
running if this process keeps it, and applying every event)."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Response, get
from litestar.openapi import ResponseSpec

from roadmap_svc.api import schemas
from roadmap_svc.api.dependencies import AppStateDep
from roadmap_svc.api.state import AppState
from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections import failures
from roadmap_svc.projections.failures import PoisonEvent
from roadmap_svc.projections.positions import event_store_position, projection_position
from roadmap_svc.projections.registry import VIEWS
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
            stuck = {f.view: f for f in await failures.waiting(app_state.pool)}
            here = {runner.name: runner for runner in app_state.runners}
            projections = [
                await _status(app_state, view.name, here.get(view.name), head, stuck)
                for view in VIEWS
            ]
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


async def _status(
    app_state: AppState,
    name: str,
    runner: SupervisedRunner | None,
    head: int,
    stuck: dict[str, PoisonEvent],
) -> schemas.ProjectionStatus:
    position = await projection_position(app_state.pool, tracking_table(name), APPLICATION_NAME)
    return schemas.ProjectionStatus(
        name=name,
        kept_here=runner is not None,
        running=runner is not None and runner.is_running,
        standing_by=runner is not None and runner.standing_by,
        position=position,
        lag=max(head - position, 0),
        restarts=0 if runner is None else runner.restarts,
        last_error=None if runner is None else runner.last_error,
        failure=stuck.get(name, None if runner is None else runner.failure),
    )
