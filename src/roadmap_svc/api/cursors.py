"""Opaque list cursors: the last position seen, encoded so clients do not build them."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request

from roadmap_svc.api.problems import problem


class _Cursor(msgspec.Struct, frozen=True, array_like=True):
    after: int


def encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(msgspec.msgpack.encode(_Cursor(after))).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = msgspec.msgpack.decode(raw, type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        decoded = None
    if decoded is None or decoded.after < 0:
        raise problem(
            400,
            "invalid-cursor",
            "Invalid cursor",
            "cursor is not one this service issued; start again without it",
            errors=[{"field": "cursor", "message": "not a valid cursor", "source": "query"}],
        )
    return decoded.after


def next_page(request: Request[Any, Any, Any], after: int) -> str:
    """The link to the page after `after`: the same query, this cursor, no position wait."""
    query = {k: v for k, v in request.query_params.items() if k not in {"cursor", "min_position"}}
    query["cursor"] = encode_cursor(after)
    return f"{request.url.path}?{urlencode(query)}"
