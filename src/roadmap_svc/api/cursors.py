"""List cursors: opaque to clients (pass back `next_cursor` as `cursor`), and every string of
their documented shape is one, so a well-formed cursor is never refused.

A cursor is the last position the page showed, written in base-64 digits (URL-safe): ten
digits hold any position PostgreSQL's bigint can.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, NamedTuple, TypeVar
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.params import QueryParameter

from roadmap_svc.api.patterns import CURSOR_PATTERN

_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE = {digit: value for value, digit in enumerate(_DIGITS)}
T = TypeVar("T")

Cursor = Annotated[
    str | None,
    QueryParameter(
        pattern=CURSOR_PATTERN,
        description="Where the page starts: the `next_cursor` of the page before (opaque).",
    ),
]


class NextPage(NamedTuple):
    cursor: str  # for the `cursor` parameter
    link: str  # the same query with that cursor (and no position wait)


def encode_cursor(after: int) -> str:
    digits = ""
    while True:
        after, digit = divmod(after, 64)
        digits = _DIGITS[digit] + digits
        if after == 0:
            return digits


def decode_cursor(cursor: str | None) -> int:
    """The position a cursor stands for (0: from the start); its pattern has been checked."""
    after = 0
    for digit in cursor or "":
        after = after * 64 + _VALUE[digit]
    return after


def next_page(request: Request[Any, Any, Any], after: int) -> NextPage:
    """The page after `after`: its cursor, and the link to it (the same query, that cursor)."""
    cursor = encode_cursor(after)
    query = {k: v for k, v in request.query_params.items() if k not in {"cursor", "min_position"}}
    query["cursor"] = cursor
    return NextPage(cursor, f"{request.url.path}?{urlencode(query)}")


def link_header(following: NextPage | None) -> dict[str, str]:
    """RFC 8288's `Link: <...>; rel="next"`, on every page but the last."""
    return {"Link": f'<{following.link}>; rel="next"'} if following else {}


def paged(
    page: Callable[..., T], items: Sequence[Any], following: NextPage | None, **more: object
) -> Response[T]:
    """A JSON page of these items (a page struct: items, next_cursor, next, and any `more`
    fields it has), with its next page in the body and in a Link header."""
    body = page(
        items=list(items),
        next_cursor=following.cursor if following else None,
        next=following.link if following else None,
        **more,
    )
    return Response(body, headers=link_header(following))
