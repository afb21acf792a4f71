"""The hello-JSON Litestar endpoint P2 compares against, served by the same uvicorn settings
(uvloop, httptools, one process) as `roadmap-svc serve`."""

from __future__ import annotations

from litestar import Litestar, get


@get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


@get("/healthz")
async def healthz() -> dict[str, str]:  # what the harness waits for
    return {"status": "ok"}


app = Litestar([hello, healthz])
