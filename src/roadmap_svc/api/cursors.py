"""Opaque list cursors: the last position seen, encoded so clients do not build them."""

from __future__ import annotations

import base64
import binascii

import msgspec

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
