"""Times in requests (RFC 3339 with an offset): their shape is checked by the schema, their
calendar here, so `2025-02-30T10:00:00Z` is a 422 and a Unix number is no time at all."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar.params import QueryParameter

from roadmap_svc.api.patterns import RFC3339_PATTERN
from roadmap_svc.api.problems import problem

Time = Annotated[
    str | None,
    QueryParameter(
        pattern=RFC3339_PATTERN,
        description="RFC 3339 with an offset, e.g. 2025-03-01T09:30:00Z",
    ),
]


def parse_time(value: str, field: str, source: str) -> datetime:
    try:
        return msgspec.json.decode(msgspec.json.encode(value.strip()), type=datetime)
    except msgspec.ValidationError:
        raise problem(
            "invalid-value",
            f"{field}: {value!r} is not a time that exists",
            errors=[
                {"field": field, "message": "not a date and time of the calendar", "source": source}
            ],
        ) from None
