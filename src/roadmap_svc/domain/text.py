"""The one text policy: what a stored string may hold, and the tag rules.

Two kinds of text. A *line* (titles, names, owners, roles, units) is one line: no control
character at all and no bidi override or isolate, which could make a name display as another.
*Prose* (problem statements, rationales, reasons, notes) may hold tabs and line breaks. Neither
holds NUL or another C0/C1 control, DEL or a lone surrogate: PostgreSQL's text refuses NUL, and
terminals, logs and CSV exports misbehave on the others. Stored text is NFC-normalised, so the
same name typed on two keyboards is one name.

The API applies the patterns at the schema edge (they are in the OpenAPI document); the domain
checks prose rules again, so no other entrance can store what a view could not hold.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from roadmap_svc.domain.errors import InvalidValueError

# Regex character ranges, written with escapes that Python and ECMA-262 (JSON Schema) share.
CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
LINE_BREAKS = r"\t\n\r"
BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069"
# Lone surrogates need no range here: the JSON decoder refuses them (and test generators
# cannot use a pattern that names them).
PROSE_PATTERN = rf"^[^{CONTROLS}]*$"
LINE_PATTERN = rf"^[^{CONTROLS}{LINE_BREAKS}{BIDI_CONTROLS}]*$"
# A key or URL: one token, not even a space.
TOKEN_CHARACTERS = rf"[^\s{CONTROLS}{BIDI_CONTROLS}]"

_PROSE = re.compile(PROSE_PATTERN)
_SURROGATE = re.compile(r"[\ud800-\udfff]")

MAX_TAGS = 20
_TAG = re.compile(r"[a-z0-9][a-z0-9._:-]{0,39}")


def normalised(value: str) -> str:
    """NFC, cheaply: most text already is."""
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def required_text(field: str, value: str) -> str:
    if not _PROSE.match(value) or _SURROGATE.search(value):
        raise InvalidValueError(field, "must not contain control characters or lone surrogates")
    text = normalised(value).strip()
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
