"""/v1/planning/quarters: the quarter plan (per team: capacity, allocation, load, WIP) and the
list of quarters with their totals."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any, cast
from uuid import UUID

import msgspec
from litestar import Controller, MediaType, Request, Response, get

from roadmap_svc.api.as_of import AsOf, as_of_position
from roadmap_svc.api.auth import READ
from roadmap_svc.api.csv_export import CSV_NOTE, OFFERS_CSV, csv_response, fields_of, wants_csv
from roadmap_svc.api.dependencies import AppStateDep, PoolDep, SettingsDep
from roadmap_svc.api.progress import PROGRESS_TRACKING
from roadmap_svc.api.reads import MinPosition, ensure_position
from roadmap_svc.api.schemas import QuarterInPath, QuarterInQuery
from roadmap_svc.api.state import AppState
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.projections import planning_queries, progress_queries
from roadmap_svc.projections.as_of_reads import quarter_plan_as_of
from roadmap_svc.projections.planning_queries import QuarterSummary
from roadmap_svc.projections.progress import ProgressInitiative
from roadmap_svc.projections.quarter_plan import VIEW, QuarterPlan, empty_plan
from roadmap_svc.projections.view_tables import tracking_table

PLAN_TRACKING = tracking_table(VIEW.name)


class QuarterList(msgspec.Struct, kw_only=True):
    items: list[QuarterSummary]


class RevisitItem(msgspec.Struct, kw_only=True):
    id: UUID
    title: str
    owner: str
    status: str
    revisit_on: date | None
    last_event_on: date
    days_quiet: int  # days since its latest event


class Revisits(msgspec.Struct, kw_only=True):
    today: date
    stale_days: int  # ROADMAP_REVISIT_STALE_DAYS
    due: list[RevisitItem]  # deferred, revisit date reached
    stale: list[RevisitItem]  # open, no event for stale_days or more


def _revisit(row: ProgressInitiative, today: date) -> RevisitItem:
    return RevisitItem(
        id=row.id,
        title=row.title,
        owner=row.owner,
        status=row.status,
        revisit_on=row.revisit_on,
        last_event_on=row.last_event_on,
        days_quiet=(today - row.last_event_on).days,
    )


async def plan_as_of(app_state: AppState, quarter: str, position: int) -> QuarterPlan:
    """The quarter's plan as of a position of the log, in a thread (it folds events)."""

    def run() -> QuarterPlan:
        with app_state.application.connection() as conn:
            return quarter_plan_as_of(conn, quarter, position)

    plan = await asyncio.to_thread(run)
    return msgspec.structs.replace(plan, as_of_position=position)


class PlanningController(Controller):
    path = "/v1/planning/quarters"
    tags = ("planning",)

    @get(
        "/{quarter:str}",
        operation_id="GetQuarterPlan",
        opt=READ,
        summary="The quarter plan: planned and candidate initiatives, each team's load and WIP",
        description="Per team: capacity, allocated FTE, load %, over-allocation and the "
        "initiatives in progress against its WIP limit; planned initiatives with no team "
        "assigned are flagged. Rules in the README (*Quarter plan*). `as_of` answers the "
        "plan as it stood then, computed by the view's own code from its kept row versions "
        "(`as_of_position` says up to which position of the log).",
    )
    async def plan(
        self,
        *,
        quarter: QuarterInPath,
        app_state: AppStateDep,
        min_position: MinPosition = None,
        as_of: AsOf = None,
    ) -> Response[QuarterPlan]:
        name = str(Quarter.parse(quarter))
        pool = app_state.pool
        if as_of is not None:
            position = await as_of_position(pool, as_of)
            return Response(await plan_as_of(app_state, name, position))
        wait = app_state.settings.read_wait_seconds
        await ensure_position(pool, PLAN_TRACKING, min_position, wait)
        # After a write, the copy must be checked: the announcement may still be on its way.
        stored = await app_state.plans.plan_json(pool, name, confirmed_ok=min_position is None)
        if stored is None:
            return Response(empty_plan(name))
        # The view stored the plan as JSON already: serve those bytes, no decode and encode.
        return cast("Response[QuarterPlan]", Response(stored, media_type=MediaType.JSON))

    @get(
        "/",
        operation_id="ListQuarters",
        opt={**READ, OFFERS_CSV: True},
        summary="Quarters with anything planned, with their totals",
        description=CSV_NOTE,
    )
    async def quarters(
        self,
        *,
        request: Request[Any, Any, Any],
        pool: PoolDep,
        settings: SettingsDep,
        first: QuarterInQuery = None,
        last: QuarterInQuery = None,
        min_position: MinPosition = None,
    ) -> QuarterList:
        await ensure_position(pool, PLAN_TRACKING, min_position, settings.read_wait_seconds)
        bounds: list[Any] = [None if q is None else str(Quarter.parse(q)) for q in (first, last)]
        items = await planning_queries.list_quarters(pool, *bounds)
        if wants_csv(request):
            return cast("QuarterList", csv_response(items, fields_of(QuarterSummary), None))
        return QuarterList(items=items)


class RevisitController(Controller):
    path = "/v1/planning/revisits"
    tags = ("planning",)

    @get(
        "/",
        operation_id="ListRevisits",
        opt=READ,
        summary="Deferred initiatives due for a revisit, and open ones that went quiet",
    )
    async def revisits(
        self, *, app_state: AppStateDep, min_position: MinPosition = None
    ) -> Revisits:
        pool = app_state.pool
        wait = app_state.settings.read_wait_seconds
        await ensure_position(pool, PROGRESS_TRACKING, min_position, wait)
        today = app_state.application.clock().date()
        stale_days = app_state.settings.revisit_stale_days
        due, stale = await progress_queries.revisits(
            pool, today, today - timedelta(days=stale_days)
        )
        return Revisits(
            today=today,
            stale_days=stale_days,
            due=[_revisit(r, today) for r in due],
            stale=[_revisit(r, today) for r in stale],
        )
