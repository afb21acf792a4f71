"""One id per request: the client's X-Request-Id if it is a sane one, else a new one. It is
answered in X-Request-Id, set on every log line of the request, and stored in the metadata
of the events the request records, so a log line, an answer and an event can be matched."""

from __future__ import annotations

import random
import re

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from roadmap_svc.logs import REQUEST_ID

HEADER = "X-Request-Id"
SCOPE_KEY = "roadmap_request_id"
_SANE = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def request_ids(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b"")
        # Unique, not secret: a pseudo-random 128 bits (uuid4 reads the kernel's random
        # source every time, a system call that showed as a fifth of the CPU under load).
        found = given.decode() if _SANE.fullmatch(given) else f"{random.getrandbits(128):032x}"
        scope[SCOPE_KEY] = found  # type: ignore[literal-required]
        token = REQUEST_ID.set(found)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)[HEADER] = found
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)

    return middleware


def request_id(scope: Scope) -> str:
    """The id of the request (set by the middleware before anything else runs)."""
    return str(scope[SCOPE_KEY])  # type: ignore[literal-required]
