"""Rate limits per token, shared by API processes through PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import psycopg
import pytest
from litestar.testing import AsyncTestClient

from roadmap_svc.api.app import create_app
from roadmap_svc.api.rate_limits import RateLimiter
from roadmap_svc.domain.roles import Role
from roadmap_svc.storage.database import DatabaseTarget
from tests.api.helpers import Client, assert_problem, eventually
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.contract_check import conforming

LIMIT = 6


@pytest.fixture
async def limited(database: DatabaseTarget) -> AsyncIterator[list[Client]]:
    """Two API processes on one database, each limiting every token to LIMIT a minute."""
    clients = []
    apps = [
        create_app(make_settings(rate_limit_per_minute=LIMIT), database, run_projections=False)
        for _ in range(2)
    ]
    async with AsyncTestClient(apps[0]) as first, AsyncTestClient(apps[1]) as second:
        for client in (first, second):
            client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
            clients.append(conforming(client))
        yield clients


def _counted(database: DatabaseTarget, scope: str) -> int:
    with psycopg.connect(database.dsn) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(count), 0) FROM rate_limit_windows WHERE scope = %s"
            " AND window_start = date_trunc('minute', now())",
            (scope,),
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_token_over_its_minute_is_refused_until_the_next() -> None:
    limiter = RateLimiter(per_minute=3)
    minute = 1_800_000_000.0 - 1_800_000_000.0 % 60
    for _ in range(3):
        limiter.admit("jira", now=minute + 10)
    with pytest.raises(Exception) as refused:  # noqa: PT011 - the problem's class is Litestar's
        limiter.admit("jira", now=minute + 15)
    assert getattr(refused.value, "status_code", None) == 429
    assert refused.value.headers == {"Retry-After": "45"}  # type: ignore[attr-defined]
    limiter.admit("other-token", now=minute + 15)  # each token has its own
    limiter.admit("jira", now=minute + 61)  # a new minute


async def test_two_processes_share_one_limit(
    limited: list[Client], database: DatabaseTarget, tokens: dict[Role, str]
) -> None:
    first, second = limited
    if time.time() % 60 > 50:
        await asyncio.sleep(61 - time.time() % 60)
    for _ in range(4):
        assert (await first.get("/v1/teams")).status_code == 200
    await eventually(lambda: _counted(database, "admin") == 4, "the first did not share", 10)
    assert (await second.get("/v1/teams")).status_code == 200
    await eventually(lambda: _counted(database, "admin") == 5, "the second did not share", 10)
    answers = [(await second.get("/v1/teams")).status_code for _ in range(3)]
    assert answers == [200, 429, 429]  # 4 + 1 + 1 = LIMIT; the rest wait for the next minute
    refused = await second.get("/v1/teams")
    body = assert_problem(refused, 429, "rate-limited")
    assert body["limit"] == LIMIT
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    viewer = {"Authorization": f"Bearer {tokens[Role.VIEWER]}"}
    assert (await first.get("/v1/teams", headers=viewer)).status_code == 200  # its own limit
