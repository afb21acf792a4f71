from __future__ import annotations

from tests.api.helpers import Client, decide, propose


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_reports_projection_position_and_lag(client: Client) -> None:
    created = await propose(client)
    written = await decide(client, created["id"], "reject")
    await client.get("/v1/initiatives", params={"min_position": written["position"], "limit": 1})

    response = await client.get("/readyz")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["event_store_position"] >= written["position"]
    (summary,) = body["projections"]
    assert summary["name"] == "initiative_summary"
    assert summary["running"] is True
    assert summary["position"] >= written["position"]
    assert summary["lag"] == body["event_store_position"] - summary["position"]
