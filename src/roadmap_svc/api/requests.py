"""What every write reads from its request: the actor, the request id, when it happened, and
the version it expects. Handlers ask for them as dependencies (`meta`, `expected_version`), so
the headers they read are documented with each operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, ParamSpec, TypeVar, cast

import msgspec
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import HeaderParameter

from roadmap_svc.api import idempotency
from roadmap_svc.api.etags import expected_version
from roadmap_svc.api.idempotency import IdempotencyKeyHeader
from roadmap_svc.api.patterns import IF_MATCH_PATTERN, OCCURRED_AT_HEADER, OCCURRED_AT_PATTERN
from roadmap_svc.api.request_ids import request_id
from roadmap_svc.api.state import AppState
from roadmap_svc.api.times import parse_time
from roadmap_svc.application import RoadmapApplication
from roadmap_svc.commands.unit_of_work import BoundCommand, Idempotent, Written
from roadmap_svc.domain import errors
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.metrics import COMMANDS
from roadmap_svc.storage import idempotency as stored_keys
from roadmap_svc.storage.availability import DatabaseUnavailableError
from roadmap_svc.storage.group_commit import CommitFailedError, CommitOutcomeUnknownError
from roadmap_svc.storage.idempotency import IdempotencyKey, IdempotencyKeyUsedError
from roadmap_svc.storage.tokens import Principal

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")

OccurredAt = Annotated[
    str | None,
    HeaderParameter(
        name=OCCURRED_AT_HEADER,
        required=False,
        pattern=OCCURRED_AT_PATTERN,
        description="When this happened, if not now (RFC 3339 with an offset, e.g. "
        "2025-03-01T09:30:00Z): for history imported from another tool. Not in the future, "
        "not before the object's previous event. Days (slips, measurements, deferrals) count "
        "from it; `as of` reads use the recording time.",
    ),
]
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        max_length=64,
        pattern=IF_MATCH_PATTERN,
        description='The ETag you last read, e.g. "3": the write is refused (412) if the '
        "object changed since.",
    ),
]


@dataclass(frozen=True, slots=True)
class Write:
    """What a write handler works with: the application, the request's metadata, If-Match,
    and the request's Idempotency-Key. Handlers run their command through `answer`.

    One dependency (not three): Litestar resolves several in a task group, per request.
    """

    roadmap: RoadmapApplication
    meta: EventMeta
    request: Request[Any, Any, Any]
    if_match: str | None = None
    require_if_match: bool = False
    idempotency_key: str | None = None

    @property
    def expected_version(self) -> int | None:
        """The version If-Match pins. Read by the handler, so after the body is validated:
        a malformed body is a 400 whatever its If-Match (RFC 9110 §13.2.1)."""
        return expected_version(self.if_match or None, required=self.require_if_match)

    def because(self, reason: str | None) -> EventMeta:
        """The request's metadata with the reason the body gives."""
        return self.meta if reason is None else msgspec.structs.replace(self.meta, reason=reason)

    async def answer(
        self,
        command: BoundCommand[P, T],
        render: Callable[[Written[T]], Response[R]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Response[R]:
        """Run the command and answer what it wrote; under an Idempotency-Key, exactly once."""
        outcome = "error"
        try:
            answered = await self._answer(command, render, *args, **kwargs)
        except Exception as exc:
            outcome = outcome_of(exc)
            raise
        else:
            outcome = "replayed" if idempotency.REPLAYED_HEADER in answered.headers else "ok"
            return answered
        finally:
            COMMANDS.labels(command.name, outcome).inc()

    async def _answer(
        self,
        command: BoundCommand[P, T],
        render: Callable[[Written[T]], Response[R]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Response[R]:
        if self.idempotency_key is None:
            return render(await command.asynchronously(*args, **kwargs))
        state = AppState.of(self.request.app)
        scope, key = self.meta.actor, self.idempotency_key
        ttl = state.settings.idempotency_key_hours * 3600
        request_fingerprint = await idempotency.fingerprint(self.request)
        with _handling(state, scope, key):
            record = await stored_keys.find(state.pool, scope, key, ttl)
            if record is None:
                claim = IdempotencyKey(scope, key, request_fingerprint, ttl)
                try:
                    written = await command.idempotently(
                        Idempotent(claim, lambda w: idempotency.stored(render(w))),
                        *args,
                        **kwargs,
                    )
                    return render(written)
                except IdempotencyKeyUsedError:
                    # Another process committed this key meanwhile: its answer is the one.
                    record = await stored_keys.find(state.pool, scope, key, ttl)
                    if record is None:  # pragma: no cover - purged in between
                        raise idempotency.in_flight() from None
            # The replayed body is R, as the JSON the first answer sent.
            return cast("Response[R]", idempotency.replay(record, request_fingerprint))


@dataclass(frozen=True, slots=True)
class ConfigWrite:
    """A write that records no event (configuration, e.g. webhook endpoints): it runs in one
    database transaction, which also stores its answer under an Idempotency-Key, if any."""

    request: Request[Any, Any, Any]
    idempotency_key: str | None = None

    async def answer(
        self, work: Callable[[stored_keys.Queries], Awaitable[Response[R]]]
    ) -> Response[R]:
        state = AppState.of(self.request.app)
        if self.idempotency_key is None:
            async with state.pool.acquire() as conn, conn.transaction():
                return await work(conn)
        principal = self.request.user
        if not isinstance(principal, Principal):  # pragma: no cover - guarded routes only
            raise TypeError("write without an authenticated principal")
        scope, key = principal.name, self.idempotency_key
        ttl = state.settings.idempotency_key_hours * 3600
        request_fingerprint = await idempotency.fingerprint(self.request)
        with _handling(state, scope, key):
            async with state.pool.acquire() as conn, conn.transaction():
                await stored_keys.lock_key(conn, scope, key)
                record = await stored_keys.find(conn, scope, key, ttl)
                if record is None:
                    response = await work(conn)
                    claim = IdempotencyKey(scope, key, request_fingerprint, ttl)
                    await stored_keys.claim_in(conn, claim, idempotency.stored(response))
                    return response
            return cast("Response[R]", idempotency.replay(record, request_fingerprint))


@contextmanager
def _handling(state: AppState, scope: str, key: str) -> Iterator[None]:
    """While this process handles a write under a key: the same key again is 409."""
    if (scope, key) in state.keys_in_flight:
        raise idempotency.in_flight()
    state.keys_in_flight.add((scope, key))
    try:
        yield
    finally:
        state.keys_in_flight.discard((scope, key))


def provide_config_write(
    request: Request[Any, Any, Any], idempotency_key: IdempotencyKeyHeader = None
) -> ConfigWrite:
    return ConfigWrite(request=request, idempotency_key=idempotency_key)


def provide_write(
    request: Request[Any, Any, Any],
    if_match: IfMatch = None,
    occurred_at: OccurredAt = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Write:
    state = AppState.of(request.app)
    return Write(
        roadmap=state.application,
        meta=_event_meta(request, occurred_at, idempotency_key),
        request=request,
        if_match=if_match,
        require_if_match=state.settings.require_if_match,
        idempotency_key=idempotency_key,
    )


def provide_create(
    request: Request[Any, Any, Any],
    occurred_at: OccurredAt = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Write:
    """As provide_write, for writes that create (If-Match has nothing to match there)."""
    return Write(
        roadmap=AppState.of(request.app).application,
        meta=_event_meta(request, occurred_at, idempotency_key),
        request=request,
        idempotency_key=idempotency_key,
    )


def _event_meta(
    request: Request[Any, Any, Any], occurred_at: str | None, idempotency_key: str | None
) -> EventMeta:
    # The actor is the token's name, never a field of the body.
    principal = request.user
    if not isinstance(principal, Principal):  # pragma: no cover - guarded routes only
        raise TypeError("write without an authenticated principal")
    return EventMeta(
        actor=principal.name,
        request_id=request_id(request.scope),
        idempotency_key=idempotency_key,
        occurred_at=parse_time(occurred_at, OCCURRED_AT_HEADER, "header") if occurred_at else None,
    )


WriteDep = NamedDependency[Write]
ConfigWriteDep = NamedDependency[ConfigWrite]


def outcome_of(exc: BaseException) -> str:
    """How a command that raised ended, as COMMANDS counts it."""
    if isinstance(exc, errors.ConcurrentWriteError | errors.VersionMismatchError):
        return "conflict"
    if isinstance(exc, errors.DomainError | HTTPException):
        return "refused"
    if isinstance(exc, CommitFailedError | CommitOutcomeUnknownError | DatabaseUnavailableError):
        return "unavailable"
    return "error"
