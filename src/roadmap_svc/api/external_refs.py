"""External keys: link `jira / PROJ-123` to an initiative or milestone, and look it up."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from roadmap_svc.api import planning_schemas as ps
from roadmap_svc.api.auth import READ, WRITE
from roadmap_svc.api.dependencies import RoadmapDep
from roadmap_svc.api.requests import WriteDep
from roadmap_svc.api.writes import answer
from roadmap_svc.application import Written
from roadmap_svc.domain import external_refs


def _shape(
    ref: external_refs.ExternalRef, version: int | None = None, position: int | None = None
) -> ps.ExternalRef:
    href = f"/v1/initiatives/{ref.initiative_id}"
    if ref.milestone_id is not None:
        href += f"/milestones/{ref.milestone_id}"
    return ps.ExternalRef(
        system=ref.system,
        key=ref.key,
        url=ref.url,
        target="initiative" if ref.milestone_id is None else "milestone",
        initiative_id=ref.initiative_id,
        milestone_id=ref.milestone_id,
        href=href,
        initiative_version=version,
        position=position,
    )


def _linked(written: Written[external_refs.ExternalRef]) -> Response[ps.ExternalRef]:
    body = _shape(written.value, written.version, written.position)
    return answer(written, body, status_code=201, location=_location(body))


def _location(ref: ps.ExternalRef) -> str:
    return f"/v1/external-refs/{quote(ref.system, safe='')}/{quote(ref.key, safe='')}"


class ExternalRefLinkController(Controller):
    path = "/v1/initiatives/{initiative_id:uuid}/external-refs"
    tags = ("external refs",)

    @post(
        "/",
        operation_id="LinkExternalKey",
        opt=WRITE,
        summary="Link a key of another system to the initiative or one of its milestones",
    )
    async def link(
        self,
        *,
        initiative_id: FromPath[UUID],
        data: JSONBody[ps.ExternalRefLink],
        write: WriteDep,
    ) -> Response[ps.ExternalRef]:
        return await write.answer(
            write.roadmap.link_external_key,
            _linked,
            initiative_id,
            system=data.system,
            key=data.key,
            url=data.url,
            milestone_id=data.milestone_id,
            meta=write.meta,
            expected_version=write.expected_version,
        )


class ExternalRefController(Controller):
    path = "/v1/external-refs"
    tags = ("external refs",)

    @get(
        "/{system:str}/{key:str}",
        operation_id="FindExternalRef",
        opt=READ,
        sync_to_thread=True,
        summary="Which of our objects an external key belongs to",
    )
    def find(
        self, system: ps.SystemInPath, key: ps.ExternalKeyInPath, roadmap: RoadmapDep
    ) -> ps.ExternalRef:
        return _shape(roadmap.find_external_ref(system, key))
