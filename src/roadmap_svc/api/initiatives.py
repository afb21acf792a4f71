"""/v1/initiatives: propose, list, read (now or at a version) and revise."""

from __future__ import annotations

from typing import Annotated, Any, cast
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from roadmap_svc.api import representations, schemas
from roadmap_svc.api.as_of import AsOf, as_of_time, before_the_log
from roadmap_svc.api.auth import READ, WRITE
from roadmap_svc.api.contract import PROBLEM_STATUSES
from roadmap_svc.api.csv_export import CSV_NOTE, OFFERS_CSV, csv_response, fields_of, wants_csv
from roadmap_svc.api.cursors import Cursor, decode_cursor, next_page, paged
from roadmap_svc.api.dependencies import PoolDep, RoadmapDep, SettingsDep
from roadmap_svc.api.etags import ETAG_HEADER, etag
from roadmap_svc.api.problems import problem
from roadmap_svc.api.reads import MinPosition, ensure_position
from roadmap_svc.api.requests import WriteDep
from roadmap_svc.api.writes import initiative_written
from roadmap_svc.domain.lifecycle import Status
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.text import LINE_PATTERN
from roadmap_svc.projections.initiative_queries import InitiativeFilter, list_initiatives
from roadmap_svc.projections.initiative_summary import VIEW as SUMMARY_VIEW
from roadmap_svc.projections.view_tables import tracking_table

SUMMARY_TRACKING = tracking_table(SUMMARY_VIEW.name)
SUMMARY_FIELDS = fields_of(schemas.InitiativeSummary)


class InitiativeController(Controller):
    path = "/v1/initiatives"
    tags = ("initiatives",)

    @post(
        "/",
        operation_id="ProposeInitiative",
        opt=WRITE,
        summary="Propose an initiative",
    )
    async def propose(
        self, *, data: JSONBody[schemas.InitiativePropose], create: WriteDep
    ) -> Response[schemas.Initiative]:
        return await create.answer(
            create.roadmap.propose_initiative,
            lambda written: initiative_written(written, status_code=201),
            title=data.title,
            problem_statement=data.problem_statement,
            business_case=data.business_case,
            owner=data.owner,
            sponsor=data.sponsor,
            tags=data.tags,
            meta=create.meta,
        )

    @get(
        "/",
        operation_id="ListInitiatives",
        opt={**READ, OFFERS_CSV: True},
        summary="List initiatives",
        description=CSV_NOTE,
    )
    async def list(
        self,
        *,
        request: Request[Any, Any, Any],
        pool: PoolDep,
        settings: SettingsDep,
        status: FromQuery[Status | None] = None,
        quarter: schemas.QuarterInQuery = None,
        owner: Annotated[str | None, QueryParameter(max_length=200, pattern=LINE_PATTERN)] = None,
        tag: Annotated[str | None, QueryParameter(max_length=40, pattern=LINE_PATTERN)] = None,
        cursor: Cursor = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        min_position: MinPosition = None,
    ) -> Response[schemas.InitiativePage]:
        await ensure_position(pool, SUMMARY_TRACKING, min_position, settings.read_wait_seconds)
        where = InitiativeFilter(
            status=None if status is None else status.value,
            quarter=None if quarter is None else str(Quarter.parse(quarter)),
            owner=owner,
            tag=None if tag is None else tag.strip().lower(),
        )
        rows = await list_initiatives(pool, where, decode_cursor(cursor), limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        following = next_page(request, rows[-1].proposed_position) if more else None
        items = [representations.summary(row) for row in rows]
        if wants_csv(request):
            return cast(
                "Response[schemas.InitiativePage]", csv_response(items, SUMMARY_FIELDS, following)
            )
        return paged(schemas.InitiativePage, items, following)

    @get(
        "/{initiative_id:uuid}",
        operation_id="GetInitiative",
        response_headers=[ETAG_HEADER],
        opt={**READ, PROBLEM_STATUSES: (422,)},
        sync_to_thread=True,
        summary="Read an initiative, now, at a past version, or as recorded by a past time",
        description="`as_of` answers the initiative as the log had it at that time (the "
        "version it had then; `as_of_position` says up to which position of the log). 404 "
        "if it did not exist yet then.",
    )
    def read(
        self,
        *,
        initiative_id: FromPath[UUID],
        roadmap: RoadmapDep,
        version: Annotated[int | None, QueryParameter(ge=1, description="A past version")] = None,
        as_of: AsOf = None,
    ) -> Response[schemas.Initiative]:
        through = None
        if as_of is not None:
            if version is not None:
                raise problem("invalid-value", "give `version` or `as_of`, not both")
            found = roadmap.as_of(initiative_id, as_of_time(as_of))
            if found.position == 0:
                raise before_the_log(as_of, found.first)
            if found.version is None:
                raise problem("not-found", f"initiative {initiative_id} did not exist by {as_of}")
            version, through = found.version, found.position
        aggregate = roadmap.get_initiative(initiative_id, version=version)
        body = representations.initiative(aggregate)
        if through is not None:
            body = msgspec.structs.replace(body, as_of_position=through)
        return Response(body, headers={"ETag": etag(aggregate.version)})

    @patch(
        "/{initiative_id:uuid}",
        operation_id="ReviseInitiative",
        opt=WRITE,
        summary="Revise an initiative's details",
    )
    async def revise(
        self,
        *,
        initiative_id: FromPath[UUID],
        data: JSONBody[schemas.InitiativeRevise],
        write: WriteDep,
    ) -> Response[schemas.Initiative]:
        return await write.answer(
            write.roadmap.revise_initiative,
            initiative_written,
            initiative_id,
            data.changes(),
            write.because(data.reason),
            write.expected_version,
        )
