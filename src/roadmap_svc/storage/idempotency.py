"""Idempotency keys as stored: a write's key and its answer, committed with its events.

The group committer claims a key in the transaction that stores the command's events (under
the event store's write lock, so two claims of one key never both commit): a command whose key
is already taken stores nothing and fails with IdempotencyKeyUsedError; the caller then finds
the stored answer and replays it. Keys are kept for a configurable time, then purged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from roadmap_svc.storage.pool import Pool

IDEMPOTENCY_TABLE = "idempotency_keys"


class IdempotencyKeyUsedError(Exception):
    """Another request with this key committed first; nothing of this one was stored."""


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    scope: str  # whose key (the token's name)
    key: str
    fingerprint: bytes  # of the request: the same key with another request is refused
    ttl_seconds: float  # how long a stored answer counts (older ones are as if absent)


@dataclass(frozen=True, slots=True)
class Claim:
    """What the committer stores with a command: its key, and its answer once positioned."""

    key: IdempotencyKey
    answer: Callable[[int], StoredAnswer]  # given the position of the command's last event


@dataclass(frozen=True, slots=True)
class KeyRecord:
    fingerprint: bytes
    answer: StoredAnswer


# Under the write lock: which of these keys are taken (and not yet expired).
TAKEN = f"""
SELECT k.scope, k.key FROM {IDEMPOTENCY_TABLE} k
JOIN unnest(%(scopes)s::text[], %(keys)s::text[], %(ttls)s::float8[]) AS c(scope, key, ttl)
  ON k.scope = c.scope AND k.key = c.key
WHERE k.created_at > now() - make_interval(secs => c.ttl)
"""  # noqa: S608 - our table name
# An expired row of the same key is replaced.
CLAIM = f"""
INSERT INTO {IDEMPOTENCY_TABLE} (scope, key, fingerprint, status, headers, body, position)
SELECT * FROM unnest(%(scopes)s::text[], %(keys)s::text[], %(fingerprints)s::bytea[],
                     %(statuses)s::smallint[], %(headers)s::jsonb[], %(bodies)s::bytea[],
                     %(positions)s::bigint[])
ON CONFLICT (scope, key) DO UPDATE SET
    fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, headers = EXCLUDED.headers,
    body = EXCLUDED.body, position = EXCLUDED.position, created_at = now()
"""  # noqa: S608 - our table name


def claim_params(claims: list[tuple[Claim, int]]) -> dict[str, list[object]]:
    """CLAIM's parameters for these claims, each with its command's last position."""
    answers = [(claim, claim.answer(position), position) for claim, position in claims]
    return {
        "scopes": [c.key.scope for c, _, _ in answers],
        "keys": [c.key.key for c, _, _ in answers],
        "fingerprints": [c.key.fingerprint for c, _, _ in answers],
        "statuses": [a.status for _, a, _ in answers],
        "headers": [msgspec.json.encode(a.headers).decode() for _, a, _ in answers],
        "bodies": [a.body for _, a, _ in answers],
        "positions": [p for _, _, p in answers],
    }


def taken_params(claims: list[Claim]) -> dict[str, list[object]]:
    return {
        "scopes": [c.key.scope for c in claims],
        "keys": [c.key.key for c in claims],
        "ttls": [c.key.ttl_seconds for c in claims],
    }


async def find(pool: Queries, scope: str, key: str, ttl_seconds: float) -> KeyRecord | None:
    row = await pool.fetchrow(
        f"SELECT fingerprint, status, headers, body FROM {IDEMPOTENCY_TABLE}"  # noqa: S608
        " WHERE scope = $1 AND key = $2 AND created_at > now() - make_interval(secs => $3)",
        scope,
        key,
        ttl_seconds,
    )
    if row is None:
        return None
    answer = StoredAnswer(row["status"], dict(row["headers"]), bytes(row["body"]))
    return KeyRecord(bytes(row["fingerprint"]), answer)


async def purge(pool: Pool, ttl_seconds: float) -> int:
    """Forget the keys older than their time; how many."""
    done = await pool.execute(
        f"DELETE FROM {IDEMPOTENCY_TABLE}"  # noqa: S608 - our table name
        " WHERE created_at <= now() - make_interval(secs => $1)",
        ttl_seconds,
    )
    return int(done.split()[-1])


class Queries(Protocol):
    """An asyncpg pool or connection: what the API's queries run on."""

    # asyncpg's own signatures: any query parameters, rows as Records.
    async def fetchrow(self, query: str, *args: Any) -> Any: ...  # noqa: ANN401
    async def fetch(self, query: str, *args: Any) -> list[Any]: ...  # noqa: ANN401
    async def execute(self, query: str, *args: Any) -> str: ...  # noqa: ANN401


async def claim_in(conn: Queries, key: IdempotencyKey, answer: StoredAnswer) -> None:
    """Store a key and its answer in the caller's transaction (writes that are not events)."""
    await conn.execute(
        f"INSERT INTO {IDEMPOTENCY_TABLE} (scope, key, fingerprint, status, headers, body,"  # noqa: S608
        " position) VALUES ($1, $2, $3, $4, $5, $6, 0) ON CONFLICT (scope, key) DO UPDATE SET"
        " fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status,"
        " headers = EXCLUDED.headers, body = EXCLUDED.body, created_at = now()",
        key.scope,
        key.key,
        key.fingerprint,
        answer.status,
        answer.headers,
        answer.body,
    )


async def lock_key(conn: Queries, scope: str, key: str) -> None:
    """Until the caller's transaction ends, others with this key wait (across processes)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))", scope, key
    )
