"""Small request builders shared by the API tests: one way to propose and decide."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
PROBLEM_JSON = "application/problem+json"


def proposal(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": f"Initiative {uuid4().hex[:8]}",
        "problem_statement": "Checkout takes 9 seconds on mobile.",
        "business_case": "Each second costs about 1% conversion.",
        "owner": f"owner-{uuid4().hex[:6]}",
        "sponsor": "cfo",
        "tags": ["payments"],
    }
    body.update(overrides)
    return body


async def propose(client: Client, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/initiatives", json=proposal(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def decide(
    client: Client,
    initiative_id: str,
    kind: str,
    expect: int = 201,
    **fields: Any,
) -> dict[str, Any]:
    body = {"kind": kind, "rationale": f"because {kind}", **fields}
    response = await client.post(f"/v1/initiatives/{initiative_id}/decisions", json=body)
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def history_types(client: Client, initiative_id: str) -> list[str]:
    response = await client.get(f"/v1/initiatives/{initiative_id}/history")
    assert response.status_code == 200, response.text
    return [item["type"] for item in response.json()["items"]]


def assert_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == f"urn:roadmap-svc:problem:{kind}", body
    assert body["title"]
    assert body["detail"]
    return body


async def head_position(client: Client) -> int:
    """The event store's last position: unchanged across a refused request (tests in one
    worker run one at a time against their own database)."""
    response = await client.get("/readyz")
    position: int = response.json()["event_store_position"]
    return position


async def eventually(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Wait (bounded) until the condition holds, without blocking the event loop: the test
    client's app runs on it, background tasks included."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)
