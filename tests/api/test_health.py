from __future__ import annotations

from roadmap_svc.projections.registry import VIEWS
from tests.api.helpers import Client, decide, propose


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
