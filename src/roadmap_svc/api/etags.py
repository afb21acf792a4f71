"""ETag (the aggregate's version) and If-Match, as RFC 9110 strong validators."""

from __future__ import annotations

from litestar.datastructures import ResponseHeader

from roadmap_svc.api.problems import problem

# For reads that answer with an object's version (writes' headers are documented in one place,
# api/contract.py).
ETAG_HEADER = ResponseHeader(
    name="ETag",
    documentation_only=True,
    required=True,
    description='The version read, e.g. "4": send it as If-Match on the next write.',
)


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version an If-Match header pins, None for no header or `*`."""
    if if_match is None:
        if required:
            raise problem(
                "precondition-required",
                'send If-Match with the ETag you last read, e.g. If-Match: "3"',
            )
        return None
    value = if_match.strip()
    if value == "*":
        return None
    if len(value) >= 3 and value[0] == value[-1] == '"' and value[1:-1].isdigit():  # noqa: PLR2004
        return int(value[1:-1])
    # Weak or malformed validators never match under If-Match's strong comparison.
    raise problem(
        "version-mismatch",
        f'If-Match {value!r} does not match any version; expected a strong ETag like "3"',
    )
