"""The hash chain over the global log, and what a checkpoint signs. No I/O: the committer,
`audit verify` and the auditor's own script (README) compute exactly this.

    canonical(event) = RFC 8785 JSON of {"aggregate_id", "data", "topic", "version"}
    link(position)   = SHA-256(previous link || position as 8 bytes big-endian || canonical)
    previous link of the first event = 32 zero bytes

The position is outside the canonical JSON so that it can be computed before the commit
(positions are known only under the event store's write lock, where time is precious).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

import msgspec
import rfc8785

GENESIS = bytes(32)


class UndecodableEventError(ValueError):
    """A stored event's state is not JSON any more."""


def canonical_event(aggregate_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    try:
        data, exact = _decoded(state)
    except msgspec.DecodeError as exc:
        raise UndecodableEventError(str(exc)) from exc
    event = {"aggregate_id": str(aggregate_id), "data": data, "topic": topic, "version": version}
    if not exact:
        return rfc8785.dumps(event)
    # The same bytes as rfc8785.dumps (tests/audit/test_chain.py checks it), from the C
    # encoder: sorted keys, no spaces, strings escaped as JSON.stringify does. It commits
    # in the request's path, where the pure-Python encoder cost a fifth of each command's CPU.
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class _HasFloat(Exception):  # noqa: N818 - a signal, not an error
    pass


def _no_floats(_literal: str) -> Any:  # noqa: ANN401 - msgspec's hook
    raise _HasFloat


_exact = msgspec.json.Decoder(float_hook=_no_floats)


def _decoded(state: bytes) -> tuple[Any, bool]:
    """The state, and whether Python's JSON encoder writes it exactly as RFC 8785 does: no
    floats (ECMAScript writes 1.0 as 1, 1e-7 as 1e-7) and nothing outside the Basic
    Multilingual Plane (RFC 8785 sorts keys by UTF-16 code units, Python by code points)."""
    if max(state, default=0) < _FOUR_BYTE_UTF8 and b"\\u" not in state:  # no escapes either
        try:
            return _exact.decode(state), True
        except _HasFloat:
            pass
    return msgspec.json.decode(state), False


_FOUR_BYTE_UTF8 = 0xF0  # the first byte of a character beyond U+FFFF


def link(previous: bytes, position: int, canonical: bytes) -> bytes:
    return hashlib.sha256(previous + position.to_bytes(8, "big") + canonical).digest()


def checkpoint_message(position: int, head: bytes, signed_at: str) -> bytes:
    """The bytes a checkpoint's Ed25519 signature covers."""
    return rfc8785.dumps({"hash": head.hex(), "position": position, "signed_at": signed_at})
