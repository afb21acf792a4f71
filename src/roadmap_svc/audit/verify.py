"""`roadmap-svc audit verify` and GET /v1/audit/verify: recompute the chain from the stored
events, in position order, and compare it with the stored links and the signed checkpoints;
name the first position where they disagree. Reads one snapshot of the database (repeatable
read), in pages, so it runs beside the writers in bounded memory."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any, Literal
from uuid import UUID

import msgspec
import psycopg

from roadmap_svc.audit import checkpoints
from roadmap_svc.audit.chain import (
    GENESIS,
    UndecodableEventError,
    canonical_event,
    checkpoint_message,
    link,
)
from roadmap_svc.audit.signing import verifies
from roadmap_svc.storage.audit_chain import links_after
from roadmap_svc.storage.event_log import stored_log

PAGE = 2000
ProblemKind = Literal[
    "event-changed",  # the event's bytes differ from what was chained
    "event-not-decodable",  # the event's state is no longer JSON
    "event-inserted",  # an event with no link: added after the fact (or its link deleted)
    "event-deleted",  # a link with no event
    "checkpoint-mismatch",  # the events up to a signed checkpoint do not hash to it
    "checkpoint-signature-invalid",  # a checkpoint was rewritten
    "checkpoint-key-unknown",  # signed by a key other than this deployment's
]


class AuditProblem(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    kind: ProblemKind
    detail: str
    aggregate_id: UUID | None = None
    version: int | None = None


class AuditReport(msgspec.Struct, frozen=True, kw_only=True):
    verified: bool  # no problem found
    events: int  # events checked
    head_position: int  # the last position checked (0: empty log)
    head_hash: str | None  # the chain's head recomputed from the events, hex
    checkpoints: int  # checkpoints checked (all, signatures and hashes)
    public_key: str  # the key checkpoints must be signed with (base64)
    problem: AuditProblem | None  # the first one, by position


class _Event(msgspec.Struct, frozen=True):
    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes


def verify(conn: psycopg.Connection[Any], public_key: str) -> AuditReport:
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _verify(conn, base64.b64decode(public_key), public_key)


def _verify(conn: psycopg.Connection[Any], trusted: bytes, public_key: str) -> AuditReport:
    signed = checkpoints.recorded(conn)
    problems = _signature_problems(signed, trusted)
    walked = _walk(conn, signed)
    if walked.problem is not None:
        problems.append(walked.problem)
    first = min(problems, key=lambda p: p.position) if problems else None
    return AuditReport(
        verified=first is None,
        events=walked.events,
        head_position=walked.head,
        head_hash=walked.hash.hex() if walked.events else None,
        checkpoints=len(signed),
        public_key=public_key,
        problem=first,
    )


def _signature_problems(signed: list[checkpoints.Checkpoint], trusted: bytes) -> list[AuditProblem]:
    found = []
    for c in signed:
        message = checkpoint_message(c.position, bytes.fromhex(c.hash), c.signed_at)
        if base64.b64decode(c.public_key) != trusted:
            found.append(_problem(c.position, "checkpoint-key-unknown", f"signed at {c.signed_at}"))
        elif not verifies(trusted, message, base64.b64decode(c.signature)):
            found.append(
                _problem(c.position, "checkpoint-signature-invalid", f"signed at {c.signed_at}")
            )
    return found


class _Walk(msgspec.Struct):
    events: int = 0
    head: int = 0
    hash: bytes = GENESIS
    problem: AuditProblem | None = None


def _walk(conn: psycopg.Connection[Any], signed: list[checkpoints.Checkpoint]) -> _Walk:
    """The chain recomputed from the events, against the links and the checkpoints, up to
    the first disagreement."""
    at_position: dict[int, list[str]] = {}
    for c in signed:
        at_position.setdefault(c.position, []).append(c.signed_at + " " + c.hash)
    walk = _Walk()
    links = links_after(conn, PAGE)
    stored = next(links, None)
    for event in _events(conn):
        walk.problem = _out_of_step(stored, event)
        if walk.problem is not None:
            return walk
        assert stored is not None  # noqa: S101 - _out_of_step checked it
        try:
            canonical = canonical_event(event.aggregate_id, event.version, event.topic, event.state)
        except UndecodableEventError as exc:
            walk.problem = _at(event, "event-not-decodable", f"its state is not JSON: {exc}")
            return walk
        digest = link(walk.hash, event.position, canonical)
        if digest != stored[1]:
            walk.problem = _at(
                event,
                "event-changed",
                "the event (or its link) differs from what was chained when it was recorded",
            )
            return walk
        walk.events, walk.head, walk.hash = walk.events + 1, event.position, digest
        wrong = [c for c in at_position.get(event.position, []) if not c.endswith(digest.hex())]
        if wrong:
            walk.problem = _at(
                event,
                "checkpoint-mismatch",
                f"the events up to here do not hash to the checkpoint signed at "
                f"{wrong[0].split()[0]}: events before it and their links were rewritten",
            )
            return walk
        stored = next(links, None)
    if stored is not None:
        walk.problem = _problem(stored[0], "event-deleted", "a link with no event")
    return walk


def _out_of_step(stored: tuple[int, bytes] | None, event: _Event) -> AuditProblem | None:
    if stored is not None and stored[0] < event.position:
        return _problem(stored[0], "event-deleted", "a link with no event")
    if stored is None or stored[0] > event.position:
        return _at(event, "event-inserted", "an event with no link: added after the fact")
    return None


def _problem(position: int, kind: ProblemKind, detail: str) -> AuditProblem:
    return AuditProblem(position=position, kind=kind, detail=detail)


def _at(event: _Event, kind: ProblemKind, detail: str) -> AuditProblem:
    return AuditProblem(
        position=event.position,
        kind=kind,
        detail=detail,
        aggregate_id=event.aggregate_id,
        version=event.version,
    )


def _events(conn: psycopg.Connection[Any]) -> Iterator[_Event]:
    for stored, position in stored_log(conn, page=PAGE):
        yield _Event(
            position,
            UUID(str(stored.originator_id)),
            stored.originator_version,
            stored.topic,
            bytes(stored.state),
        )
