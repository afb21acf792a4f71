"""Rules for the free-text and tag values the domain accepts."""

from __future__ import annotations

import re
from collections.abc import Iterable

from roadmap_svc.domain.errors import InvalidValueError

MAX_TAGS = 20
_TAG = re.compile(r"[a-z0-9][a-z0-9._:-]{0,39}")


def required_text(field: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidValueError(field, "must not be blank")
    return text


def optional_text(field: str, value: str | None) -> str | None:
    return None if value is None else required_text(field, value)


def normalise_tags(values: Iterable[str]) -> tuple[str, ...]:
    tags: list[str] = []
    for raw in values:
        tag = raw.strip().lower()
        if not _TAG.fullmatch(tag):
            raise InvalidValueError(
                "tags", f"{raw!r} is not a tag (lowercase letters, digits, . _ : -; max 40)"
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidValueError("tags", f"at most {MAX_TAGS} tags")
    return tuple(tags)
