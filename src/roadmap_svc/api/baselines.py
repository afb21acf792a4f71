"""/v1/planning/quarters/{quarter}/baselines and …/drift: named, immutable records of a
quarter's plan and its milestones' targets, and what changed since one of them."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from roadmap_svc.api.as_of import AsOf, as_of_position, as_of_time
from roadmap_svc.api.auth import READ, WRITE
from roadmap_svc.api.dependencies import AppStateDep
from roadmap_svc.api.requests import WriteDep
from roadmap_svc.api.schemas import QuarterInPath, Reason, ShortText, _Input
from roadmap_svc.api.state import AppState
from roadmap_svc.api.writes import answer
from roadmap_svc.application import Written
from roadmap_svc.domain.baselines import Baseline, PlanSnapshot, QuarterBaselines
from roadmap_svc.domain.drift import Drift, drift
from roadmap_svc.domain.errors import NotFoundError
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.text import LINE_PATTERN
from roadmap_svc.projections.plan_snapshots import plan_snapshot

BaselineName = Annotated[str, QueryParameter(min_length=1, max_length=200, pattern=LINE_PATTERN)]
BaselineInPath = Annotated[str, PathParameter(min_length=1, max_length=200, pattern=LINE_PATTERN)]


class BaselineTake(_Input, kw_only=True):
    name: ShortText  # unique in the quarter, ignoring case
    note: Reason | None = None


class BaselineSummary(msgspec.Struct, kw_only=True):
    quarter: str
    name: str
    note: str | None
    taken_at: datetime
    taken_by: str
    plan_position: int  # the last event of the log the recorded plan reflects
    totals: dict[str, float | None]
    position: int | None = None  # of the event that recorded it (in a write's answer)


class BaselineDetail(BaselineSummary, kw_only=True):
    plan: PlanSnapshot  # the plan, its milestones and standings, as recorded


class BaselineList(msgspec.Struct, kw_only=True):
    items: list[BaselineSummary]  # oldest first


class DriftReport(Drift, frozen=True, kw_only=True):
    against: datetime | None  # the `against` time asked for (None: the log's head)


def _summary(quarter: str, baseline: Baseline) -> BaselineSummary:
    return BaselineSummary(
        quarter=quarter,
        name=baseline.name,
        note=baseline.note,
        taken_at=baseline.taken_at,
        taken_by=baseline.taken_by,
        plan_position=baseline.plan.position,
        totals=baseline.plan.totals,
    )


def _detail(quarter: str, baseline: Baseline, position: int | None = None) -> BaselineDetail:
    summary = msgspec.structs.asdict(_summary(quarter, baseline))
    return BaselineDetail(**{**summary, "position": position}, plan=baseline.plan)


def _location(quarter: str, name: str) -> str:
    return f"/v1/planning/quarters/{quarter}/baselines/{quote(name, safe='')}"


async def _snapshot(
    state: AppState, quarter: str, position: int | None, also: list[UUID]
) -> PlanSnapshot:
    def run() -> PlanSnapshot:
        with state.application.connection() as conn:
            return plan_snapshot(conn, quarter, position, also)

    return await asyncio.to_thread(run)


def _baselines(state: AppState, quarter: str) -> QuarterBaselines | None:
    return state.application.quarter_baselines(quarter)


class BaselineController(Controller):
    path = "/v1/planning/quarters/{quarter:str}"
    tags = ("planning",)

    @post(
        "/baselines",
        operation_id="TakeBaseline",
        opt=WRITE,
        summary="Record the quarter's plan and its milestones' targets now, under a name",
        description="Recorded as an event: the plan as of the log's head (its initiatives, "
        "teams, allocations, capacities and totals), every milestone of its initiatives with "
        "its target date and re-plans, and where each initiative stands. Immutable; the name "
        "is unique in the quarter, ignoring case (409 `baseline-name-taken`).",
    )
    async def take(
        self,
        *,
        quarter: QuarterInPath,
        data: JSONBody[BaselineTake],
        write: WriteDep,
        app_state: AppStateDep,
    ) -> Response[BaselineDetail]:
        name = str(Quarter.parse(quarter))
        plan = await _snapshot(app_state, name, None, [])

        def render(written: Written[QuarterBaselines]) -> Response[BaselineDetail]:
            baseline = written.value.named(data.name)
            body = _detail(name, baseline, written.position)
            location = _location(name, baseline.name)
            return answer(written, body, status_code=201, location=location)

        return await write.answer(
            write.roadmap.take_baseline,
            render,
            name,
            name=data.name,
            note=data.note,
            plan=plan,
            meta=write.because(data.note),
        )

    @get(
        "/baselines",
        operation_id="ListBaselines",
        opt=READ,
        summary="The quarter's baselines, oldest first",
    )
    async def baselines(self, *, quarter: QuarterInPath, app_state: AppStateDep) -> BaselineList:
        name = str(Quarter.parse(quarter))
        found = await asyncio.to_thread(_baselines, app_state, name)
        items = [] if found is None else [_summary(name, b) for b in found.baselines.values()]
        return BaselineList(items=items)

    @get(
        "/baselines/{baseline:str}",
        operation_id="GetBaseline",
        opt=READ,
        summary="One baseline, with the plan it recorded",
    )
    async def baseline(
        self, *, quarter: QuarterInPath, baseline: FromPath[BaselineInPath], app_state: AppStateDep
    ) -> BaselineDetail:
        name = str(Quarter.parse(quarter))
        return _detail(name, await _named(app_state, name, baseline))

    @get(
        "/drift",
        operation_id="GetDrift",
        opt=READ,
        summary="What changed in the quarter's plan since a baseline",
        description="Against the log's head, or the plan as of `against`: initiatives added, "
        "removed, deferred, cancelled or in another status; milestones slipped (days, and "
        "each re-plan since with its reason and who recorded it), pulled in or added; "
        "allocations and capacities changed; every total then, now and the change. Rules "
        "in the README (*Baselines and drift*).",
    )
    async def drift(
        self,
        *,
        quarter: QuarterInPath,
        baseline: BaselineName,
        app_state: AppStateDep,
        against: AsOf = None,
    ) -> DriftReport:
        name = str(Quarter.parse(quarter))
        then = (await _named(app_state, name, baseline)).plan
        position = None if against is None else await as_of_position(app_state.pool, against)
        also = [i.id for i in then.initiatives]
        now = await _snapshot(app_state, name, position, also)
        found = drift(baseline, then, now)
        when = None if against is None else as_of_time(against)
        return DriftReport(**msgspec.structs.asdict(found), against=when)


async def _named(state: AppState, quarter: str, name: str) -> Baseline:
    found = await asyncio.to_thread(_baselines, state, quarter)
    if found is None:
        raise NotFoundError("baseline", f"{name} of {quarter}")
    return found.named(name)
