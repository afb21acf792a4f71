"""Every error the API answers, as RFC 9457 problem details with a stable `type`. One place."""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import asyncpg
import psycopg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException

from roadmap_svc.api.patterns import HEADERS, MEANINGS
from roadmap_svc.domain import errors
from roadmap_svc.storage.availability import DatabaseUnavailableError
from roadmap_svc.storage.group_commit import CommitFailedError, CommitOutcomeUnknownError
from roadmap_svc.storage.transcoder import CorruptEventError

logger = logging.getLogger(__name__)
TYPE_PREFIX = "urn:roadmap-svc:problem:"
RETRY_AFTER_SECONDS = "1"  # a restart of PostgreSQL or a busy pool: seconds, not minutes


class ProblemType(NamedTuple):
    status: int
    title: str
    meaning: str  # what a client should do: the OpenAPI document lists it


# Every problem `type` the API answers with (TYPE_PREFIX + the key): listed once, here. The
# OpenAPI document is generated from this table; tests/api/test_problem_types.py checks that
# every kind the code raises is in it.
PROBLEM_TYPES: dict[str, ProblemType] = {
    "validation-error": ProblemType(
        400, "Invalid request", "A field, parameter or header breaks its schema (see `errors`)."
    ),
    "malformed-body": ProblemType(
        400, "Malformed request body", "Not UTF-8 JSON, a key twice in one object, or too deep."
    ),
    "unknown-query-parameter": ProblemType(
        400, "Unknown query parameter", "A query parameter this operation does not take."
    ),
    "position-not-recorded": ProblemType(
        400, "No such position yet", "`min_position` is past the newest event."
    ),
    "bad-request": ProblemType(400, "Bad request", "The request cannot be read."),
    "unauthenticated": ProblemType(
        401, "Authentication required", "No token, or an unknown or revoked one."
    ),
    "forbidden": ProblemType(403, "Not allowed for this token's role", "Use another role."),
    "not-found": ProblemType(404, "Not found", "No such resource (`detail` says which)."),
    "stakeholder-not-found": ProblemType(
        404, "Unknown stakeholder", "The initiative has no stakeholder of that name."
    ),
    "method-not-allowed": ProblemType(405, "Method not allowed", "See the `Allow` header."),
    "not-acceptable": ProblemType(406, "Not acceptable", "Accept JSON (or CSV on lists)."),
    "invalid-transition": ProblemType(
        409,
        "Decision not allowed now",
        "The initiative's status does not allow it; `allowed_decisions` lists what does.",
    ),
    "initiative-closed": ProblemType(
        409, "Initiative is closed", "Rejected, cancelled and completed initiatives are final."
    ),
    "stakeholder-exists": ProblemType(
        409, "Stakeholder already consulted", "Record a stance instead."
    ),
    "milestone-transition": ProblemType(
        409,
        "Not allowed for this milestone",
        "The milestone's status does not allow it; `allowed_operations` lists what does.",
    ),
    "concurrent-write": ProblemType(
        409, "Concurrent change", "Others kept writing the same object: read and retry."
    ),
    "idempotency-key-in-flight": ProblemType(
        409, "Request in progress", "A request with this Idempotency-Key is still running."
    ),
    "conflict": ProblemType(409, "Conflicts with what is recorded", "See `detail`."),
    "team-name-taken": ProblemType(
        409, "Conflicts with what is recorded", "Another team has the name; `team` links to it."
    ),
    "baseline-name-taken": ProblemType(
        409, "Conflicts with what is recorded", "The quarter has a baseline of that name."
    ),
    "external-key-taken": ProblemType(
        409, "Conflicts with what is recorded", "The key is linked elsewhere (`linked_to`)."
    ),
    "duplicate-dependency": ProblemType(
        409, "Conflicts with what is recorded", "That dependency exists already."
    ),
    "dependency-cycle": ProblemType(
        409, "Conflicts with what is recorded", "The dependency would close a cycle (`cycle`)."
    ),
    "assignment-exists": ProblemType(
        409, "Conflicts with what is recorded", "The team is assigned for that quarter already."
    ),
    "assignment-released": ProblemType(
        409, "Conflicts with what is recorded", "A released assignment cannot change."
    ),
    "metric-exists": ProblemType(
        409, "Conflicts with what is recorded", "A metric of that name exists already."
    ),
    "version-mismatch": ProblemType(
        412,
        "Precondition failed",
        "If-Match is not the current ETag: read again, then retry with the new one.",
    ),
    "body-too-large": ProblemType(413, "Request body too large", "Send a smaller body."),
    "unsupported-media-type": ProblemType(
        415, "Unsupported media type", "Send JSON: `Content-Type: application/json`."
    ),
    "invalid-value": ProblemType(
        422, "Invalid value", "Well-formed, but a domain rule refuses it; `errors` names the field."
    ),
    "idempotency-key-reused": ProblemType(
        422, "Idempotency-Key reused", "The key was used for another request: take a new one."
    ),
    "webhook-target-refused": ProblemType(
        422, "Webhook target refused", "Not http(s), or a private, loopback or link-local host."
    ),
    "as-of-out-of-range": ProblemType(
        422, "No history at that time", "`as_of` is in the future or before the first event."
    ),
    "nothing-to-change": ProblemType(422, "Nothing to change", "The revision changes nothing."),
    "domain-rule": ProblemType(422, "Refused by a domain rule", "See `detail`."),
    "precondition-required": ProblemType(
        428, "If-Match required", "This service requires If-Match on writes."
    ),
    "rate-limited": ProblemType(
        429, "Too many requests", "This token's requests a minute are used up: see Retry-After."
    ),
    "headers-too-large": ProblemType(431, "Request headers too large", "Send fewer headers."),
    "http-error": ProblemType(400, "HTTP error", "Any other HTTP-level refusal (see `status`)."),
    "event-integrity": ProblemType(
        500,
        "Stored event cannot be read",
        "History was edited or damaged after it was recorded: retrying will not help. The "
        "problem names the aggregate, version and position; `roadmap-svc audit verify` "
        "names the first change.",
    ),
    "internal-error": ProblemType(
        500, "Internal error", "A bug: nothing half-done was recorded; retrying is safe."
    ),
    "storage-unavailable": ProblemType(
        503, "Storage unavailable", "Nothing was recorded: retry after `Retry-After` seconds."
    ),
    "outcome-unknown": ProblemType(
        503,
        "Write outcome unknown",
        "The database went away during the commit: the write may be recorded. Retry with the "
        "same Idempotency-Key (its answer is replayed if it was), or read before retrying.",
    ),
    "projection-lagging": ProblemType(
        503, "View not caught up yet", "The view has not reached `min_position` yet: retry."
    ),
    "unavailable": ProblemType(503, "Service unavailable", "Retry after `Retry-After` seconds."),
}
# Litestar's own HTTP errors, by status
HTTP_KINDS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    412: "version-mismatch",
    413: "body-too-large",
    415: "unsupported-media-type",
    428: "precondition-required",
    431: "headers-too-large",
    503: "unavailable",
}

# domain error -> problem kind (the first class that matches wins)
DOMAIN_KINDS: dict[type[errors.DomainError], str] = {
    errors.InvalidValueError: "invalid-value",
    errors.InvalidTransitionError: "invalid-transition",
    errors.InitiativeClosedError: "initiative-closed",
    errors.StakeholderExistsError: "stakeholder-exists",
    errors.UnknownStakeholderError: "stakeholder-not-found",
    errors.NothingToChangeError: "nothing-to-change",
    errors.NotFoundError: "not-found",
    errors.VersionMismatchError: "version-mismatch",
    errors.ConcurrentWriteError: "concurrent-write",
    errors.MilestoneTransitionError: "milestone-transition",
    errors.ConflictError: "conflict",
}


def problem(  # positional-only, so `extra` members can never collide with them
    kind: str,
    detail: str,
    /,
    headers: dict[str, str] | None = None,
    status: int | None = None,
    **extra: object,
) -> ProblemDetailsException:
    """The problem of this kind (its status and title from PROBLEM_TYPES)."""
    known = PROBLEM_TYPES[kind]
    return ProblemDetailsException(
        status_code=known.status if status is None else status,
        type_=TYPE_PREFIX + kind,
        title=known.title,
        detail=detail,
        headers=headers,
        extra=extra or None,
    )


def from_domain_error(exc: errors.DomainError) -> ProblemDetailsException:
    kind = next((v for cls, v in DOMAIN_KINDS.items() if isinstance(exc, cls)), "domain-rule")
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.ConflictError):
        kind = exc.kind  # each conflict has its own stable type
    if isinstance(exc, errors.InvalidValueError):
        extra["errors"] = [{"field": exc.field, "message": exc.message}]
    elif isinstance(exc, errors.InvalidTransitionError):
        extra = {
            "current_status": exc.status,
            "decision": exc.decision,
            "allowed_decisions": exc.allowed,
        }
    elif isinstance(exc, errors.MilestoneTransitionError):
        extra = {
            "operation": exc.operation,
            "milestone_status": exc.status,
            "allowed_operations": exc.allowed,
        }
    elif isinstance(exc, errors.DependencyCycleError):
        extra = {"cycle": exc.cycle}
    elif isinstance(exc, errors.ExternalKeyTakenError):
        extra = {"linked_to": exc.linked_to}
    elif isinstance(exc, errors.TeamNameTakenError):
        extra = {"team_id": str(exc.team_id), "team": f"/v1/teams/{exc.team_id}"}
    elif isinstance(exc, errors.VersionMismatchError):
        extra = {"expected_version": exc.expected, "current_version": exc.actual}
    return problem(kind, str(exc), **extra)


def from_http_exception(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ProblemDetailsException):
        return exc
    kind = HTTP_KINDS.get(exc.status_code, "http-error")
    extra: dict[str, Any] = {}
    detail = exc.detail
    if isinstance(exc, ValidationException):
        kind = "validation-error"
        extra["errors"] = _validation_errors(exc.extra)
        if extra["errors"]:
            first = extra["errors"][0]
            detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return problem(kind, detail, headers=exc.headers, status=exc.status_code, **extra)


def from_storage_error(exc: Exception) -> ProblemDetailsException:
    """The database is down, restarting, stalled or out of free connections: 503 at once."""
    if isinstance(exc, CommitOutcomeUnknownError):
        return problem("outcome-unknown", str(exc), headers={"Retry-After": RETRY_AFTER_SECONDS})
    if isinstance(exc, TimeoutError):  # asyncpg: no pooled connection free, or a slow statement
        exc = DatabaseUnavailableError("the database did not answer in time")
    elif not isinstance(exc, CommitFailedError | DatabaseUnavailableError):
        exc = DatabaseUnavailableError(f"the database is unreachable ({type(exc).__name__})")
    return problem(
        "storage-unavailable",
        f"nothing was done: {exc}; retry shortly",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


# msgspec names the regex a string failed; say what it means instead.
_PATTERN_MESSAGES = {
    f"Expected `str` matching regex {pattern!r}": meaning for pattern, meaning in MEANINGS.items()
}
_NAMED_FIELD_MESSAGES = ("Object missing required field `", "Object contains unknown field `")
_NO_BODY = "'data'"  # Litestar's message when a handler's body is absent (a KeyError)


def _validation_errors(extra: object) -> list[dict[str, Any]]:
    # Litestar reports [{"message": "... - at `$.title`", "key": "data", "source": "body"}];
    # clients need the field inside the body, so take it from msgspec's message.
    found: list[dict[str, Any]] = []
    for item in extra if isinstance(extra, list) else []:
        if not isinstance(item, dict):
            continue
        message, _, path = str(item.get("message", "")).partition(" - at `$.")
        if message == _NO_BODY and item.get("source") == "body":
            found.append({"field": None, "message": "a JSON body is required", "source": "body"})
            continue
        message = _PATTERN_MESSAGES.get(message, message)
        parts = [path.rstrip("`")] if path else []
        if message.startswith(_NAMED_FIELD_MESSAGES):
            parts.append(message.split("`")[1])
        key = item.get("key")
        if not parts and key not in {None, "data"}:
            parts.append(
                HEADERS.get(str(key), str(key)) if item.get("source") == "header" else str(key)
            )
        field = ".".join(parts) or None
        found.append({"field": field, "message": message, "source": item.get("source")})
    return found


def from_corrupt_event(exc: CorruptEventError) -> ProblemDetailsException:
    logger.error("integrity: %s", exc)
    return problem(
        "event-integrity",
        f"{exc}; the log was edited or damaged after it was recorded, so retrying will not "
        "help: tell an operator (roadmap-svc audit verify)",
        aggregate_id=exc.aggregate_id,
        version=exc.version,
        position=exc.position,
        event_type=exc.topic.rsplit(".", 1)[-1],
    )


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = "the server failed to handle this request; retrying with the same input is safe"
    return problem("internal-error", detail).to_response(request)


def problem_details_config() -> ProblemDetailsConfig:
    return ProblemDetailsConfig(
        enable_for_all_http_exceptions=True,
        exception_to_problem_detail_map={
            HTTPException: from_http_exception,
            errors.DomainError: from_domain_error,
            CommitFailedError: from_storage_error,
            CorruptEventError: from_corrupt_event,
            CommitOutcomeUnknownError: from_storage_error,
            DatabaseUnavailableError: from_storage_error,
            # the query side (asyncpg): connection refused or lost, server starting, timeouts
            OSError: from_storage_error,
            asyncpg.PostgresConnectionError: from_storage_error,
            asyncpg.InterfaceError: from_storage_error,
            asyncpg.CannotConnectNowError: from_storage_error,
            asyncpg.AdminShutdownError: from_storage_error,
            psycopg.OperationalError: from_storage_error,
        },
    )
