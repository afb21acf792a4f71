"""/v1/teams: register, rename, WIP limit, capacity per quarter, history."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, cast
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from roadmap_svc.api import planning_schemas as ps
from roadmap_svc.api import schemas
from roadmap_svc.api.auth import AUDIT, READ, WRITE
from roadmap_svc.api.csv_export import CSV_NOTE, OFFERS_CSV, csv_response, fields_of, wants_csv
from roadmap_svc.api.cursors import Cursor, decode_cursor, next_page, paged
from roadmap_svc.api.dependencies import AppStateDep, PoolDep
from roadmap_svc.api.etags import ETAG_HEADER, etag
from roadmap_svc.api.history import history_of
from roadmap_svc.api.planning import PLAN_TRACKING
from roadmap_svc.api.reads import MinPosition, ensure_position
from roadmap_svc.api.requests import WriteDep
from roadmap_svc.api.schemas import QuarterInPath
from roadmap_svc.api.writes import answer
from roadmap_svc.application import Written
from roadmap_svc.domain.quarter import PATTERN as QUARTER_PATTERN
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.team import Team, TeamRegistered
from roadmap_svc.projections.planning_queries import (
    TeamOverview,
    team_assignments,
    team_overviews,
)


def _shape(team: Team, position: int | None = None) -> ps.Team:
    return ps.Team(
        id=team.id,
        name=team.name,
        wip_limit=team.wip_limit,
        capacity=dict(sorted(team.capacity.items())),
        version=team.version,
        registered_at=team.created_on,
        updated_at=team.modified_on,
        position=position,
    )


def _written(written: Written[Team], status_code: int = 200) -> Response[ps.Team]:
    location = f"/v1/teams/{written.id}" if status_code == 201 else None  # noqa: PLR2004
    body = _shape(written.value, written.position)
    return answer(written, body, status_code=status_code, location=location)


class TeamController(Controller):
    path = "/v1/teams"
    tags = ("teams",)

    @post(
        "/",
        operation_id="RegisterTeam",
        opt=WRITE,
        summary="Register a team (names are unique, ignoring case)",
    )
    async def register(
        self, *, data: JSONBody[ps.TeamRegister], create: WriteDep
    ) -> Response[ps.Team]:
        return await create.answer(
            create.roadmap.register_team,
            lambda written: _written(written, 201),
            name=data.name,
            wip_limit=data.wip_limit,
            meta=create.meta,
        )

    @get(
        "/",
        operation_id="ListTeams",
        opt={**READ, OFFERS_CSV: True},
        summary="Every team, its capacity and load",
        description=CSV_NOTE,
    )
    async def list(
        self,
        *,
        request: Request[Any, Any, Any],
        app_state: AppStateDep,
        quarter: Annotated[
            str | None,
            QueryParameter(
                pattern=QUARTER_PATTERN, description="only teams with capacity or work in it"
            ),
        ] = None,
        cursor: Cursor = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        min_position: MinPosition = None,
    ) -> Response[ps.TeamList]:
        pool = app_state.pool
        wait = app_state.settings.read_wait_seconds
        await ensure_position(pool, PLAN_TRACKING, min_position, wait)
        teams = await team_overviews(
            pool,
            after=decode_cursor(cursor),
            quarter=None if quarter is None else str(Quarter.parse(quarter)),
            limit=limit + 1,
        )
        more = len(teams) > limit
        teams = teams[:limit]
        following = next_page(request, teams[-1].registered_position) if more else None
        if wants_csv(request):
            return cast(
                "Response[ps.TeamList]", csv_response(teams, fields_of(TeamOverview), following)
            )
        return paged(ps.TeamList, teams, following)

    @get(
        "/{team_id:uuid}",
        operation_id="GetTeam",
        response_headers=[ETAG_HEADER],
        opt=READ,
        summary="Read a team, now (with its load and assignments) or at a past version",
    )
    async def read(
        self,
        *,
        team_id: FromPath[UUID],
        app_state: AppStateDep,
        version: Annotated[int | None, QueryParameter(ge=1, description="A past version")] = None,
        min_position: MinPosition = None,
    ) -> Response[ps.Team]:
        team = await asyncio.to_thread(app_state.application.get_team, team_id, version=version)
        body = _shape(team)
        if version is None:
            pool = app_state.pool
            wait = app_state.settings.read_wait_seconds
            await ensure_position(pool, PLAN_TRACKING, min_position, wait)
            overview = await team_overviews(pool, team_id)
            body.load = overview[0].load if overview else {}
            body.assignments = await team_assignments(pool, team_id)
        return Response(body, headers={"ETag": etag(team.version)})

    @patch(
        "/{team_id:uuid}",
        operation_id="ChangeTeam",
        opt=WRITE,
        summary="Rename and/or set the WIP limit",
    )
    async def change(
        self,
        *,
        team_id: FromPath[UUID],
        data: JSONBody[ps.TeamChange],
        write: WriteDep,
    ) -> Response[ps.Team]:
        return await write.answer(
            write.roadmap.update_team,
            _written,
            team_id,
            data.changes(),
            meta=write.because(data.reason),
            expected_version=write.expected_version,
        )

    @put(
        "/{team_id:uuid}/capacity/{quarter:str}",
        operation_id="SetTeamCapacity",
        opt=WRITE,
        summary="Set the team's capacity for a quarter",
    )
    async def set_capacity(
        self,
        *,
        team_id: FromPath[UUID],
        quarter: QuarterInPath,
        data: JSONBody[ps.CapacitySet],
        write: WriteDep,
    ) -> Response[ps.Team]:
        return await write.answer(
            write.roadmap.set_team_capacity,
            _written,
            team_id,
            quarter=quarter,
            fte=data.fte,
            meta=write.meta,
            expected_version=write.expected_version,
        )

    @get(
        "/{team_id:uuid}/history",
        operation_id="GetTeamHistory",
        opt=AUDIT,
        description="For auditor and admin tokens: each event names its actor, reason and "
        "request id.",
        summary="Every event of a team, oldest first",
    )
    async def history(self, team_id: FromPath[UUID], pool: PoolDep) -> schemas.History:
        return await history_of(pool, team_id, TeamRegistered, "team")
