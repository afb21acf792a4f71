"""Every error the API answers, as RFC 9457 problem details with a stable `type`. One place."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException

from roadmap_svc.domain import errors
from roadmap_svc.domain.text import LINE_PATTERN, PROSE_PATTERN
from roadmap_svc.storage.group_commit import CommitFailedError

logger = logging.getLogger(__name__)
TYPE_PREFIX = "urn:roadmap-svc:problem:"

_HTTP_KINDS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed for this token's role"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    412: ("version-mismatch", "Precondition failed"),
    413: ("body-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    428: ("precondition-required", "If-Match required"),
    429: ("rate-limited", "Too many requests"),
    431: ("headers-too-large", "Request headers too large"),
    503: ("unavailable", "Service unavailable"),
}

# domain error -> (status, type slug, title)
_DOMAIN_KINDS: dict[type[errors.DomainError], tuple[int, str, str]] = {
    errors.InvalidValueError: (422, "invalid-value", "Invalid value"),
    errors.InvalidTransitionError: (409, "invalid-transition", "Decision not allowed now"),
    errors.InitiativeClosedError: (409, "initiative-closed", "Initiative is closed"),
    errors.StakeholderExistsError: (409, "stakeholder-exists", "Stakeholder already consulted"),
    errors.UnknownStakeholderError: (404, "stakeholder-not-found", "Unknown stakeholder"),
    errors.NothingToChangeError: (422, "nothing-to-change", "Nothing to change"),
    errors.NotFoundError: (404, "not-found", "Not found"),
    errors.VersionMismatchError: (412, "version-mismatch", "Stale version"),
    errors.ConcurrentWriteError: (409, "concurrent-write", "Concurrent change"),
    errors.MilestoneTransitionError: (
        409,
        "milestone-transition",
        "Not allowed for this milestone",
    ),
    errors.ConflictError: (409, "conflict", "Conflicts with what is recorded"),
}


def problem(  # positional-only, so `extra` members can never collide with them
    status: int,
    kind: str,
    title: str,
    detail: str,
    /,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=status,
        type_=TYPE_PREFIX + kind,
        title=title,
        detail=detail,
        headers=headers,
        extra=extra or None,
    )


def from_domain_error(exc: errors.DomainError) -> ProblemDetailsException:
    status, kind, title = next(
        (v for cls, v in _DOMAIN_KINDS.items() if isinstance(exc, cls)),
        (422, "domain-rule", "Refused by a domain rule"),
    )
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
    return problem(status, kind, title, str(exc), **extra)


def from_http_exception(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ProblemDetailsException):
        return exc
    kind, title = _HTTP_KINDS.get(exc.status_code, ("http-error", "HTTP error"))
    extra: dict[str, Any] = {}
    detail = exc.detail
    if isinstance(exc, ValidationException):
        kind, title = "validation-error", "Invalid request"
        extra["errors"] = _validation_errors(exc.extra)
        if extra["errors"]:
            first = extra["errors"][0]
            detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return problem(exc.status_code, kind, title, detail, headers=exc.headers, **extra)


def from_storage_error(exc: CommitFailedError) -> ProblemDetailsException:
    return problem(
        503,
        "storage-unavailable",
        "Storage unavailable",
        f"nothing was recorded: {exc}; retry shortly",
        headers={"Retry-After": "1"},
    )


# msgspec names the regex a string failed; say what the text policy means instead.
_PATTERN_MESSAGES = {
    f"Expected `str` matching regex {LINE_PATTERN!r}": "must be one line without control "
    "characters (no tabs or line breaks) or bidi overrides",
    f"Expected `str` matching regex {PROSE_PATTERN!r}": "must not contain control characters "
    "(tabs and line breaks are allowed)",
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
            parts.append(str(key))
        field = ".".join(parts) or None
        found.append({"field": field, "message": message, "source": item.get("source")})
    return found


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = "the server failed to handle this request; retrying with the same input is safe"
    return problem(500, "internal-error", "Internal error", detail).to_response(request)


def problem_details_config() -> ProblemDetailsConfig:
    return ProblemDetailsConfig(
        enable_for_all_http_exceptions=True,
        exception_to_problem_detail_map={
            HTTPException: from_http_exception,
            errors.DomainError: from_domain_error,
            CommitFailedError: from_storage_error,
        },
    )
