"""ETag (the aggregate's version) and If-Match, as RFC 9110 strong validators."""

from __future__ import annotations

from roadmap_svc.api.problems import problem


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version an If-Match header pins, None for no header or `*`."""
    if if_match is None:
        if required:
            raise problem(
                428,
                "precondition-required",
                "If-Match required",
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
        412,
        "version-mismatch",
        "Precondition failed",
        f'If-Match {value!r} does not match any version; expected a strong ETag like "3"',
    )
