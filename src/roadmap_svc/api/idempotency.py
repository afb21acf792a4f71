"""Idempotency-Key on writes (the IETF httpapi draft, as Stripe does it): a write retried with
the same key and the same request gets the first answer again, with `Idempotent-Replayed:
true`, and records nothing; the same key with another request is refused (422); while the
first is still running in this process, 409. Keys belong to the token that sent them.

The answer is stored in the transaction that stores the write's events (the unit of work and
the group committer do that), so a retry after the process died between its commit and its
response finds it: each write is recorded exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.params import HeaderParameter

from roadmap_svc.api.patterns import IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PATTERN
from roadmap_svc.api.problems import problem
from roadmap_svc.storage import idempotency as stored_keys
from roadmap_svc.storage.idempotency import KeyRecord, StoredAnswer
from roadmap_svc.storage.pool import Pool

logger = logging.getLogger(__name__)
HEADER = IDEMPOTENCY_KEY_HEADER
REPLAYED_HEADER = "Idempotent-Replayed"
PURGE_EVERY_SECONDS = 600.0
IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        required=False,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="A key of your choosing (e.g. a UUID) that makes retrying this write "
        "safe: the same key and request answer as the first time, with "
        "`Idempotent-Replayed: true`, and record nothing more. Kept for "
        "ROADMAP_IDEMPOTENCY_KEY_HOURS (24 h), per token.",
    ),
]


async def fingerprint(request: Request[Any, Any, Any]) -> bytes:
    """What makes two requests the same one: method, path, query and body."""
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, request.url.query or ""):
        digest.update(part.encode() + b"\0")
    digest.update(await request.body())
    return digest.digest()


def stored(response: Response[Any]) -> StoredAnswer:
    """A write's answer as it is kept: status, the headers it set, the JSON body."""
    headers = {name: str(value) for name, value in response.headers.items()}
    status = response.status_code or 200  # every write answer names its status
    body = b"" if status == 204 else msgspec.json.encode(response.content)  # noqa: PLR2004
    return StoredAnswer(status, headers, body)


def replay(record: KeyRecord, request_fingerprint: bytes) -> Response[bytes]:
    if record.fingerprint != request_fingerprint:
        raise problem(
            "idempotency-key-reused",
            f"this {HEADER} was used for another request (another method, path or body); "
            "use a new key for a new request",
        )
    answer = record.answer
    headers = {**answer.headers, REPLAYED_HEADER: "true"}
    return Response(
        answer.body, status_code=answer.status, headers=headers, media_type=MediaType.JSON
    )


def in_flight() -> Exception:
    return problem(
        "idempotency-key-in-flight",
        f"a request with this {HEADER} is still being handled; retry once it has answered",
        headers={"Retry-After": "1"},
    )


async def purge_forever(pool: Pool, ttl_seconds: float) -> None:
    """Forget expired keys now and then, for as long as the app runs (a task of its lifespan)."""
    while True:
        try:
            purged = await stored_keys.purge(pool, ttl_seconds)
            if purged:
                logger.info("forgot %d expired idempotency keys", purged)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            logger.warning("could not purge expired idempotency keys", exc_info=True)
        await asyncio.sleep(PURGE_EVERY_SECONDS)
