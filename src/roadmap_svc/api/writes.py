"""Responses to writes: what the command changed, its aggregate's ETag and the position."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from litestar import Response

from roadmap_svc.api import representations, schemas
from roadmap_svc.api.etags import etag
from roadmap_svc.application import Written
from roadmap_svc.domain.initiative import Initiative

POSITION_HEADER = "Roadmap-Position"
T = TypeVar("T")
R = TypeVar("R", bound=msgspec.Struct)


def write_headers(written: Written[object], location: str | None = None) -> dict[str, str]:
    headers = {"ETag": etag(written.version), POSITION_HEADER: str(written.position)}
    if location is not None:
        headers["Location"] = location
    return headers


def answer(
    written: Written[object], body: T, *, status_code: int = 200, location: str | None = None
) -> Response[T]:
    return Response(body, status_code=status_code, headers=write_headers(written, location))


def initiative_written(
    written: Written[Initiative], status_code: int = 200, location: str | None = None
) -> Response[schemas.Initiative]:
    """The initiative as this write left it."""
    body = representations.initiative(written.value, position=written.position)
    if location is None and status_code == 201:  # noqa: PLR2004
        location = f"/v1/initiatives/{written.id}"
    return answer(written, body, status_code=status_code, location=location)


def part(value: msgspec.Struct, shape: type[R], version: int, position: int | None = None) -> R:
    """A part of an initiative (a milestone, an assignment, a metric) with its version."""
    fields = msgspec.structs.asdict(value)
    return shape(**fields, initiative_version=version, position=position)


def part_written(
    written: Written[msgspec.Struct],
    shape: type[R],
    *,
    status_code: int = 200,
    location: str | None = None,
) -> Response[R]:
    """The part as this write left it, with the initiative's ETag, version and position."""
    body = part(written.value, shape, written.version, written.position)
    return answer(written, body, status_code=status_code, location=location)
