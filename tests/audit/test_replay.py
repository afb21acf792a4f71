"""`audit replay --until T`: the decision log replayed from the log's prefix up to T equals
what the live view answered at T (recorded during the test)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import msgspec
import psycopg
import pytest
from litestar.testing import AsyncTestClient

from roadmap_svc.api.app import create_app
from roadmap_svc.audit.replay import decisions_until
from roadmap_svc.storage.database import DatabaseTarget
from tests.api.helpers import Client, decide, propose
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.contract_check import conforming
from tests.e2e.serve_process import run_cli


@pytest.fixture
async def live(migrated_database: DatabaseTarget) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(make_settings(), migrated_database)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield conforming(client)


async def test_the_replayed_decision_log_equals_the_live_one_at_each_moment(
    live: Client, migrated_database: DatabaseTarget
) -> None:
    seen: list[tuple[datetime, list[dict[str, object]]]] = []
    kinds = ["approve", "reject", "cancel"]
    for n in range(6):
        created = await propose(live, title=f"Initiative {n}")
        kind = kinds[n % 3]
        if kind == "approve":
            written = await decide(live, created["id"], kind, quarter="2030-Q1")
        else:
            written = await decide(live, created["id"], kind)
        answer = await live.get(
            "/v1/decisions", params={"min_position": written["position"], "limit": 200}
        )
        await asyncio.sleep(0.01)
        seen.append((datetime.now(UTC), answer.json()["items"]))
        await asyncio.sleep(0.01)

    with psycopg.connect(migrated_database.dsn) as conn:
        for moment, answered in seen:
            _, replayed = decisions_until(conn, moment)
            assert msgspec.json.decode(msgspec.json.encode(replayed)) == answered

    # The command prints the same, one JSON line per decision.
    moment, answered = seen[2]
    done = await asyncio.to_thread(
        run_cli,
        *("audit", "replay", "--until", moment.isoformat()),
        env={"ROADMAP_DATABASE_URL": migrated_database.dsn},
    )
    assert done.returncode == 0, done.stderr
    assert [msgspec.json.decode(line) for line in done.stdout.splitlines()] == answered
    assert "3 decisions as recorded by" in done.stderr
