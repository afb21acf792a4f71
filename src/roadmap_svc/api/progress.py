"""/v1/initiatives/{id}/progress and /v1/progress: milestones, forecasts and health with
their reasons, computed at read time against the service's clock."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Annotated, Any, cast
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery, QueryParameter

from roadmap_svc.api import schemas
from roadmap_svc.api.as_of import AsOf, as_of_position, as_of_time
from roadmap_svc.api.auth import READ
from roadmap_svc.api.csv_export import CSV_NOTE, OFFERS_CSV, csv_response, fields_of, wants_csv
from roadmap_svc.api.cursors import Cursor, decode_cursor, next_page, paged
from roadmap_svc.api.dependencies import AppStateDep
from roadmap_svc.api.problems import problem
from roadmap_svc.api.reads import MinPosition, ensure_position
from roadmap_svc.api.state import AppState
from roadmap_svc.domain.errors import NotFoundError
from roadmap_svc.domain.lifecycle import Status
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.text import LINE_PATTERN
from roadmap_svc.projections.as_of_reads import progress_as_of
from roadmap_svc.projections.health import (
    Forecaster,
    Health,
    HealthRules,
    InitiativeProgress,
    Portfolio,
    progress_of,
)
from roadmap_svc.projections.progress import VIEW, ProgressInitiative
from roadmap_svc.projections.progress_queries import (
    get_progress_initiative,
    list_progress_initiatives,
    portfolio_for,
)
from roadmap_svc.projections.view_tables import tracking_table

PROGRESS_TRACKING = tracking_table(VIEW.name)


class ProgressPage(msgspec.Struct, kw_only=True):
    items: list[InitiativeProgress]
    next_cursor: str | None  # pass it as `cursor` for the next page; null on the last
    next: str | None  # the next page's link (also in the `Link` header)


def _rules(state: AppState) -> HealthRules:
    return HealthRules(off_track_days=state.settings.health_off_track_days)


async def _progress_as_of(state: AppState, initiative_id: UUID, as_of: str) -> InitiativeProgress:
    position = await as_of_position(state.pool, as_of)

    def run() -> tuple[ProgressInitiative | None, Portfolio]:
        with state.application.connection() as conn:
            return progress_as_of(conn, initiative_id, position)

    found, portfolio = await asyncio.to_thread(run)
    if found is None:
        raise problem("not-found", f"initiative {initiative_id} did not exist by {as_of}")
    today = as_of_time(as_of).astimezone(UTC).date()
    answer = progress_of(found, portfolio, today, _rules(state))
    return msgspec.structs.replace(answer, as_of_position=position)


class ProgressController(Controller):
    tags = ("progress",)

    @get(
        "/v1/initiatives/{initiative_id:uuid}/progress",
        operation_id="GetInitiativeProgress",
        opt=READ,
        summary="An initiative's milestones, forecasts and health, with the reasons",
        description="Rules in the README (*Progress and health*); what depends on today is "
        "computed now, against the service's clock. `as_of` answers it as it stood then: "
        "the view's rows then, and that day as today (`as_of_position` says up to which "
        "position of the log); 404 if the initiative did not exist yet.",
    )
    async def one(
        self,
        *,
        initiative_id: FromPath[UUID],
        app_state: AppStateDep,
        min_position: MinPosition = None,
        as_of: AsOf = None,
    ) -> InitiativeProgress:
        pool = app_state.pool
        if as_of is not None:
            return await _progress_as_of(app_state, initiative_id, as_of)
        await ensure_position(
            pool, PROGRESS_TRACKING, min_position, app_state.settings.read_wait_seconds
        )
        found = await get_progress_initiative(pool, initiative_id)
        if found is None:
            raise NotFoundError("initiative", str(initiative_id))
        portfolio = await portfolio_for(pool, [found])
        today = app_state.application.clock().date()
        return progress_of(found, portfolio, today, _rules(app_state))

    @get(
        "/v1/progress",
        operation_id="ListProgress",
        opt={**READ, OFFERS_CSV: True},
        summary="The portfolio's progress and health, filterable",
        description=CSV_NOTE + " (The CSV leaves out the per-milestone lines.)",
    )
    async def portfolio(
        self,
        *,
        request: Request[Any, Any, Any],
        app_state: AppStateDep,
        status: FromQuery[Status | None] = None,
        health: FromQuery[Health | None] = None,
        quarter: schemas.QuarterInQuery = None,
        owner: Annotated[str | None, QueryParameter(max_length=200, pattern=LINE_PATTERN)] = None,
        cursor: Cursor = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        min_position: MinPosition = None,
    ) -> Response[ProgressPage]:
        pool = app_state.pool
        await ensure_position(
            pool, PROGRESS_TRACKING, min_position, app_state.settings.read_wait_seconds
        )
        after = decode_cursor(cursor)
        initiatives = await list_progress_initiatives(
            pool,
            None if status is None else status.value,
            None if quarter is None else str(Quarter.parse(quarter)),
            owner,
        )
        initiatives = [i for i in initiatives if i.proposed_position > after]
        portfolio = await portfolio_for(pool, initiatives)
        today = app_state.application.clock().date()
        rules = _rules(app_state)
        forecaster = Forecaster(portfolio)  # each milestone's forecast once for the page
        items: list[InitiativeProgress] = []
        last = after
        for initiative in initiatives:
            if len(items) == limit:
                break
            last = initiative.proposed_position
            progress = progress_of(initiative, portfolio, today, rules, forecaster)
            if health is None or progress.health is health:
                items.append(progress)
        more = bool(initiatives) and last != initiatives[-1].proposed_position
        following = next_page(request, last) if more else None
        if wants_csv(request):
            fields = [f for f in fields_of(InitiativeProgress) if f != "milestone_progress"]
            return cast("Response[ProgressPage]", csv_response(items, fields, following))
        return paged(ProgressPage, items, following)
