"""`roadmap-svc audit export`: one self-contained JSON file (events, chain, checkpoints,
public key, and how each is computed) that an auditor checks without this project
(tools/verify_audit_export.py). Written from one snapshot, event by event."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import IO, Any

import msgspec
import psycopg
from eventsourcing.persistence import StoredEvent

from roadmap_svc.audit import checkpoints
from roadmap_svc.audit.verify import PAGE
from roadmap_svc.storage.audit_chain import links_after
from roadmap_svc.storage.event_log import stored_log

FORMAT = "roadmap-svc audit export 1"
ALGORITHM = {
    "canonical": "RFC 8785 JSON of {aggregate_id, data, topic, version}",
    "link": "SHA-256(previous link || position as 8 bytes big-endian || canonical)",
    "genesis": "the previous link of the first event: 32 zero bytes",
    "checkpoint": "Ed25519 signature over RFC 8785 JSON of {hash, position, signed_at}",
}


def export(conn: psycopg.Connection[Any], public_key: str, out: IO[bytes]) -> int:
    """Write the export; returns how many events it holds."""
    encode = msgspec.json.Encoder().encode
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        exported_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        out.write(b'{"format":' + encode(FORMAT) + b',"exported_at":' + encode(exported_at))
        out.write(b',"public_key":' + encode(public_key) + b',"algorithm":' + encode(ALGORITHM))
        out.write(b',"events":[')
        count = 0
        for stored, position in stored_log(conn, page=PAGE):
            out.write((b"," if count else b"") + encode(_event(stored, position)))
            count += 1
        out.write(b'],"chain":[')
        for n, (position, digest) in enumerate(links_after(conn, PAGE)):
            out.write((b"," if n else b"") + encode({"position": position, "hash": digest.hex()}))
        out.write(b'],"checkpoints":' + encode(checkpoints.recorded(conn)) + b"}\n")
    return count


def _event(stored: StoredEvent, position: int) -> dict[str, Any]:
    found: dict[str, Any] = {
        "position": position,
        "aggregate_id": str(stored.originator_id),
        "version": stored.originator_version,
        "topic": stored.topic,
    }
    state = bytes(stored.state)
    try:
        found["data"] = msgspec.json.decode(state)
    except msgspec.DecodeError:  # a damaged event: exported as it is, for the auditor to see
        found["state_base64"] = base64.b64encode(state).decode()
    return found
