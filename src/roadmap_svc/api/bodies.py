"""Request bodies, checked once before any handler decodes them.

A body must say it is JSON (`application/json` or a `+json` type, UTF-8), be UTF-8, hold no
object with the same key twice (decoders disagree on which one wins, so a proxy and this
service could read two different requests) and nest no deeper than the recursion limit. One
that fails answers 415 or 400 `malformed-body` and reaches no handler, so it records nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from litestar import Request
from litestar.plugins.problem_details import ProblemDetailsException

from roadmap_svc.api.auth import raw_header
from roadmap_svc.api.problems import problem

_JSON_MEDIA_TYPE = re.compile(r"application/(?:[a-z0-9.+-]+\+)?json", re.IGNORECASE)
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return found


def _malformed(detail: str) -> ProblemDetailsException:
    return problem(
        "malformed-body",
        detail,
        errors=[{"field": None, "message": detail, "source": "body"}],
    )


async def check_json_body(request: Request[Any, Any, Any]) -> None:
    """Litestar `before_request` hook: refuse a body that is not clean JSON."""
    body = await request.body()
    if not body:
        return  # a missing body is the handler's to refuse, if it needs one
    content_type = raw_header(request.scope, b"content-type")
    media_type = content_type.partition(";")[0].strip()
    charset = _CHARSET.search(content_type)
    if not _JSON_MEDIA_TYPE.fullmatch(media_type) or (
        charset is not None and charset.group(1).lower() not in {"utf-8", "utf8"}
    ):
        raise problem(
            "unsupported-media-type",
            f"a request body must be JSON in UTF-8 (Content-Type: application/json), "
            f"not {content_type or 'untyped'}",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(f"the body is not UTF-8 (at byte {exc.start})") from None
    try:
        json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except RecursionError:
        raise _malformed("the body is nested too deeply") from None
    except _DuplicateKeyError as exc:
        raise _malformed(f"the key {exc.key!r} appears twice in one object") from None
    except json.JSONDecodeError as exc:
        raise _malformed(
            f"the body is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
