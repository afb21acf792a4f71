"""Behaviour that depends on settings: If-Match required, bounded read-your-writes wait."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from roadmap_svc.api.app import create_app
from roadmap_svc.storage.database import DatabaseTarget
from tests.api.helpers import Client, assert_problem, proposal
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.contract_check import conforming


@pytest.fixture(scope="module")
async def strict_client(database: DatabaseTarget) -> AsyncIterator[Client]:
    # No runners: the shared app's runner keeps the views; this one only waits briefly.
    settings = make_settings(require_if_match=True, read_wait_seconds=0.2)
    app = create_app(settings, database, run_projections=False)
    async with AsyncTestClient(app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield conforming(test_client)


async def test_if_match_required_answers_428(strict_client: Client) -> None:
    created = (await strict_client.post("/v1/initiatives", json=proposal())).json()
    url = f"/v1/initiatives/{created['id']}"

    missing = await strict_client.patch(url, json={"owner": "x"})
    present = await strict_client.patch(url, json={"owner": "x"}, headers={"If-Match": '"1"'})

    assert_problem(missing, 428, "precondition-required")
    assert present.status_code == 200, present.text


async def test_a_position_the_view_cannot_reach_is_503_with_retry_after(
    migrated_database: DatabaseTarget,
) -> None:
    # A database of its own with no runner at all: the view never gets the write.
    settings = make_settings(read_wait_seconds=0.2)
    app = create_app(settings, migrated_database, run_projections=False)
    async with AsyncTestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        conforming(client)
        written = await client.post("/v1/initiatives", json=proposal())
        position = written.json()["position"]
        response = await client.get("/v1/initiatives", params={"min_position": position})
    body = assert_problem(response, 503, "projection-lagging")
    assert body["min_position"] == position
    assert response.headers["retry-after"] == "1"
