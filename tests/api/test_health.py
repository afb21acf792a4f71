from __future__ import annotations

from tests.api.helpers import Client, decide, propose


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_reports_projection_position_and_lag(client: Client) -> None:
    created = await propose(client)
    written = await decide(client, created["id"], "reject")
    # Each view read with the write's position: both views have it.
    await client.get("/v1/initiatives", params={"min_position": written["position"], "limit": 1})
    await client.get("/v1/planning/quarters", params={"min_position": written["position"]})

    response = await client.get("/readyz")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["event_store_position"] >= written["position"]
    assert [p["name"] for p in body["projections"]] == ["initiative_summary", "quarter_plan"]
    for view in body["projections"]:
        assert view["running"] is True
        assert view["position"] >= written["position"]
        assert view["lag"] == body["event_store_position"] - view["position"]
