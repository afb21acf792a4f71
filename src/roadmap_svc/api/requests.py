"""What every write reads from its request: the actor, the request id, the expected version."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

from litestar import Request

from roadmap_svc.api.etags import expected_version
from roadmap_svc.api.state import AppState
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.storage.tokens import Principal

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(request: Request[Any, Any, Any]) -> str:
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.fullmatch(given) else uuid4().hex


def event_meta(request: Request[Any, Any, Any], reason: str | None = None) -> EventMeta:
    # The actor is the token's name, never a field of the body.
    principal = request.user
    if not isinstance(principal, Principal):  # pragma: no cover - guarded routes only
        raise TypeError("write without an authenticated principal")
    return EventMeta(actor=principal.name, reason=reason, request_id=request_id(request))


def if_match(request: Request[Any, Any, Any]) -> int | None:
    required = AppState.of(request.app).settings.require_if_match
    return expected_version(request.headers.get("if-match"), required=required)
