"""OPTIONS answers with every method of the path, not only the first handler's.

Litestar 2 builds one OPTIONS handler per route object, so a path served by several handlers
(GET and POST on /v1/initiatives) answers only the methods of one of them (litestar#4169,
fixed in Litestar 3). This middleware puts the path's whole set in `Allow`.
"""

from __future__ import annotations

from functools import cache

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send


@cache
def _methods_by_path(app: Litestar) -> dict[str, bytes]:
    found: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            found.setdefault(route.path_format, set()).update(route.methods)
    return {path: ", ".join(sorted(methods)).encode() for path, methods in found.items()}


def allow_every_method(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "OPTIONS":
            await app(scope, receive, send)
            return
        allowed = _methods_by_path(scope["litestar_app"]).get(scope.get("path_template", ""))

        async def send_with_allow(message: Message) -> None:
            if allowed and message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message["headers"] = [*headers, (b"allow", allowed)]
            await send(message)

        await app(scope, receive, send_with_allow)

    return middleware
