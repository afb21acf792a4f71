"""/v1/decisions: the decision log across every initiative, filtered and paged."""

from __future__ import annotations

from typing import Annotated, Any, cast
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromQuery, QueryParameter

from roadmap_svc.api import schemas
from roadmap_svc.api.as_of import AsOf, as_of_position
from roadmap_svc.api.auth import READ
from roadmap_svc.api.csv_export import CSV_NOTE, OFFERS_CSV, csv_response, fields_of, wants_csv
from roadmap_svc.api.cursors import Cursor, decode_cursor, next_page, paged
from roadmap_svc.api.dependencies import PoolDep, SettingsDep
from roadmap_svc.api.reads import MinPosition, ensure_position
from roadmap_svc.api.times import Time, parse_time
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.text import LINE_PATTERN
from roadmap_svc.projections.decision_log import VIEW
from roadmap_svc.projections.decision_queries import DecisionFilter, list_decisions
from roadmap_svc.projections.event_views import Decision
from roadmap_svc.projections.view_tables import tracking_table

DECISION_TRACKING = tracking_table(VIEW.name)


class DecisionPage(msgspec.Struct, kw_only=True):
    items: list[Decision]
    next_cursor: str | None  # pass it as `cursor` for the next page; null on the last
    next: str | None  # the next page's link (also in the `Link` header)
    # With `as_of`: the last position of the log this answer reflects.
    as_of_position: int | None = None


class DecisionLogController(Controller):
    path = "/v1/decisions"
    tags = ("decisions",)

    @get(
        "/",
        operation_id="ListAllDecisions",
        opt={**READ, OFFERS_CSV: True},
        summary="The decision log of every initiative, oldest first",
        description="`since` and `until` bound the time the decision occurred "
        "(`occurred_at`; the recorded time unless it was imported with its own date). " + CSV_NOTE,
    )
    async def list(
        self,
        *,
        request: Request[Any, Any, Any],
        pool: PoolDep,
        settings: SettingsDep,
        initiative_id: FromQuery[UUID | None] = None,
        kind: FromQuery[DecisionKind | None] = None,
        decided_by: Annotated[
            str | None, QueryParameter(max_length=200, pattern=LINE_PATTERN)
        ] = None,
        quarter: schemas.QuarterInQuery = None,
        since: Time = None,
        until: Time = None,
        cursor: Cursor = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        min_position: MinPosition = None,
        as_of: AsOf = None,
    ) -> Response[DecisionPage]:
        through = None if as_of is None else await as_of_position(pool, as_of)
        wanted = max(min_position or 0, through or 0) or None  # the view has them all
        await ensure_position(pool, DECISION_TRACKING, wanted, settings.read_wait_seconds)
        where = DecisionFilter(
            initiative_id=initiative_id,
            kind=None if kind is None else kind.value,
            decided_by=decided_by,
            quarter=None if quarter is None else str(Quarter.parse(quarter)),
            since=None if since is None else parse_time(since, "since", "query"),
            until=None if until is None else parse_time(until, "until", "query"),
            through=through,
        )
        rows = await list_decisions(pool, where, decode_cursor(cursor), limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        following = next_page(request, rows[-1].position) if more else None
        if wants_csv(request):
            return cast(
                "Response[DecisionPage]", csv_response(rows, fields_of(Decision), following)
            )
        return paged(DecisionPage, rows, following, as_of_position=through)
