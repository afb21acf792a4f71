"""Responses to writes: the written object, its aggregate's ETag and the write's position."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from litestar import Response

from roadmap_svc.api import representations, schemas
from roadmap_svc.api.etags import etag
from roadmap_svc.application import Outcome, RoadmapApplication
from roadmap_svc.domain.initiative import Initiative

POSITION_HEADER = "Roadmap-Position"
T = TypeVar("T")


def write_headers(outcome: Outcome, location: str | None = None) -> dict[str, str]:
    headers = {"ETag": etag(outcome.result.version), POSITION_HEADER: str(outcome.result.position)}
    if location is not None:
        headers["Location"] = location
    return headers


def written(
    roadmap: RoadmapApplication, outcome: Outcome, status_code: int = 200
) -> Response[schemas.Initiative]:
    """The initiative as this write left it."""
    aggregate = roadmap.get_initiative(outcome.result.id, version=outcome.result.version)
    location = f"/v1/initiatives/{aggregate.id}" if status_code == 201 else None  # noqa: PLR2004
    return Response(
        representations.initiative(aggregate, position=outcome.result.position),
        status_code=status_code,
        headers=write_headers(outcome, location),
    )


def written_part(
    roadmap: RoadmapApplication,
    outcome: Outcome,
    pick: Callable[[Initiative], T],
    *,
    status_code: int = 200,
    location: str | None = None,
) -> Response[T]:
    """A part of the initiative (a milestone, an assignment...) as this write left it."""
    aggregate = roadmap.get_initiative(outcome.result.id, version=outcome.result.version)
    return Response(
        pick(aggregate), status_code=status_code, headers=write_headers(outcome, location)
    )
