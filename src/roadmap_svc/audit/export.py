"""`roadmap-svc audit export`: one self-contained JSON file (events, chain, checkpoints,
public key, and how each is computed) that an auditor checks without this project
(tools/verify_audit_export.py). Written from one snapshot, event by event."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import IO, Any

import msgspec
import psycopg

from roadmap_svc.audit import checkpoints
from roadmap_svc.audit.verify import PAGE
from roadmap_svc.storage.eventstore import EVENTS_TABLE

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
        count = _write_rows(
            conn,
            out,
            "SELECT notification_id, originator_id, originator_version, topic, state"  # noqa: S608
            f" FROM {EVENTS_TABLE} WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
            lambda r: encode(_event(r)),
        )
        out.write(b'],"chain":[')
        _write_rows(
            conn,
            out,
            "SELECT position, hash FROM audit_chain WHERE position > %s ORDER BY position LIMIT %s",
            lambda r: encode({"position": r[0], "hash": bytes(r[1]).hex()}),
        )
        out.write(b'],"checkpoints":' + encode(checkpoints.recorded(conn)) + b"}\n")
    return count


def _event(row: tuple[Any, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "position": row[0],
        "aggregate_id": str(row[1]),
        "version": row[2],
        "topic": row[3],
    }
    try:
        found["data"] = msgspec.json.decode(bytes(row[4]))
    except msgspec.DecodeError:  # a damaged event: exported as it is, for the auditor to see
        found["state_base64"] = base64.b64encode(bytes(row[4])).decode()
    return found


def _write_rows(
    conn: psycopg.Connection[Any],
    out: IO[bytes],
    query: str,
    encode: Any,  # noqa: ANN401
) -> int:
    after, count = 0, 0
    while True:
        with conn.cursor(binary=True) as curs:
            rows = curs.execute(query, (after, PAGE)).fetchall()
        if not rows:
            return count
        for row in rows:
            out.write((b"," if count else b"") + encode(row))
            count += 1
        after = rows[-1][0]
