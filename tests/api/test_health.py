from __future__ import annotations

import asyncio
import threading

from litestar.testing import AsyncTestClient

from roadmap_svc.api.app import create_app
from roadmap_svc.api.state import AppState
from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.storage.database import DatabaseTarget
from tests.api.helpers import Client, decide, propose
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.contract_check import conforming


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_reports_projection_position_and_lag(client: Client) -> None:
    created = await propose(client)
    written = await decide(client, created["id"], "reject")
    # Each view read with the write's position: then every view has it.
    for path in ("/v1/initiatives", "/v1/planning/quarters", "/v1/decisions", "/v1/progress"):
        read = await client.get(path, params={"min_position": written["position"]})
        assert read.status_code == 200, read.text

    response = await client.get("/readyz")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["event_store_position"] >= written["position"]
    assert [p["name"] for p in body["projections"]] == [v.name for v in VIEWS]
    for view in body["projections"]:
        assert view["running"] is True
        assert view["position"] >= written["position"]
        assert view["lag"] == body["event_store_position"] - view["position"]


async def test_readyz_of_an_api_process_counts_the_views_lag_and_fails_past_the_limit(
    migrated_database: DatabaseTarget,
) -> None:
    # An `api` process keeps no view: no worker runs here, so the views stay at 0.
    settings = make_settings(ready_max_lag=2)
    async with AsyncTestClient(
        create_app(settings, migrated_database, run_projections=False)
    ) as api:
        api.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        client = conforming(api)
        await propose(client)
        within = await client.get("/readyz")
        assert within.status_code == 200, within.text
        assert {(p["kept_here"], p["running"], p["lag"]) for p in within.json()["projections"]} == {
            (False, False, 1)
        }
        await propose(client)
        await propose(client)

        lagging = await client.get("/readyz")

    assert lagging.status_code == 503, lagging.text
    status = lagging.json()["status"]
    for view in VIEWS:
        assert f"view {view.name} lags 3 events (ROADMAP_READY_MAX_LAG 2)" in status


async def test_an_exhausted_pool_answers_503_with_retry_after_not_a_hang(
    migrated_database: DatabaseTarget,
) -> None:
    settings = make_settings(db_pool_size=1, db_timeout_seconds=0.5)
    app = create_app(settings, migrated_database)
    async with AsyncTestClient(app) as api:
        api.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        client = conforming(api)
        await propose(client)  # the token is known and cached; reads go to the pool
        pool = AppState.of(app).pool
        acquired, release = threading.Event(), threading.Event()

        async def hold() -> None:  # the only connection, held in the app's own loop
            async with pool.acquire():
                acquired.set()
                await asyncio.to_thread(release.wait, 10)

        app_loop: asyncio.AbstractEventLoop = pool._loop  # type: ignore[attr-defined]  # noqa: SLF001
        held = asyncio.run_coroutine_threadsafe(hold(), app_loop)
        assert acquired.wait(5)
        try:
            answer = await client.get("/v1/initiatives")
        finally:
            release.set()
            await asyncio.wrap_future(held)
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "1"
        assert answer.json()["type"].endswith(":storage-unavailable")
        assert (await client.get("/v1/initiatives")).status_code == 200  # and back at once
