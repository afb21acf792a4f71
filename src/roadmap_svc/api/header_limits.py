"""Bounded request headers: 431 problem details past a total size or a count.

The HTTP parser (httptools under uvicorn) takes headers of any size; no client of this API
needs more than a few kilobytes, and an unbounded header block is memory an attacker chooses.
A reverse proxy in front should bound them too; this keeps the service safe without one.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from roadmap_svc.api.problems import problem

MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 100


def bounded_headers(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        headers = list(scope.get("headers", ()))
        if (
            len(headers) > MAX_HEADERS
            or sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES
        ):
            raise problem(
                "headers-too-large",
                f"send at most {MAX_HEADERS} headers of {MAX_HEADER_BYTES // 1024} KiB in all",
            )
        await app(scope, receive, send)

    return middleware
