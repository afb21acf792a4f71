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
from typing import Any
from uuid import UUID

import msgspec
import rfc8785

GENESIS = bytes(32)


class UndecodableEventError(ValueError):
    """A stored event's state is not JSON any more."""


def canonical_event(aggregate_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    try:
        data: Any = msgspec.json.decode(state)
    except msgspec.DecodeError as exc:
        raise UndecodableEventError(str(exc)) from exc
    return rfc8785.dumps(
        {"aggregate_id": str(aggregate_id), "data": data, "topic": topic, "version": version}
    )


def link(previous: bytes, position: int, canonical: bytes) -> bytes:
    return hashlib.sha256(previous + position.to_bytes(8, "big") + canonical).digest()


def checkpoint_message(position: int, head: bytes, signed_at: str) -> bytes:
    """The bytes a checkpoint's Ed25519 signature covers."""
    return rfc8785.dumps({"hash": head.hex(), "position": position, "signed_at": signed_at})
