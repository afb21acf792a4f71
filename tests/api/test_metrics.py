"""GET /metrics: Prometheus text, without a token: requests by route, commands by command
and outcome, group-commit batches, and each view's position and lag from the database."""

from __future__ import annotations

import re

from roadmap_svc.projections.registry import VIEWS
from tests.api.helpers import Client, decide, propose


def _samples(text: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


async def _metrics(client: Client) -> dict[str, float]:
    response = await client.get("/metrics", headers={"Authorization": ""})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return _samples(response.text)


async def test_metrics_count_commands_by_outcome_and_requests_by_route(client: Client) -> None:
    ok = 'roadmap_commands_total{command="propose_initiative",outcome="ok"}'
    refused = 'roadmap_commands_total{command="decide",outcome="refused"}'
    by_route = (
        'roadmap_http_requests_total{app_name="roadmap-svc",method="GET",'
        'path="/v1/initiatives/{initiative_id}",status_code="200"}'
    )
    before = await _metrics(client)

    created = await propose(client)
    await decide(client, created["id"], "cancel")
    await decide(client, created["id"], "approve", expect=409, quarter="2030-Q1")
    assert (await client.get(f"/v1/initiatives/{created['id']}")).status_code == 200

    after = await _metrics(client)
    assert after[ok] - before.get(ok, 0) >= 1
    assert after[refused] - before.get(refused, 0) >= 1
    assert after[by_route] - before.get(by_route, 0) >= 1
    assert after["roadmap_group_commit_batch_size_count"] > before.get(
        "roadmap_group_commit_batch_size_count", 0
    )
    assert after["roadmap_database_up"] == 1


async def test_metrics_report_each_views_position_and_lag(client: Client) -> None:
    written = await propose(client)
    read = await client.get("/v1/initiatives", params={"min_position": written["position"]})
    assert read.status_code == 200

    found = await _metrics(client)

    head = found["roadmap_event_store_position"]
    assert head >= written["position"]
    for view in VIEWS:
        position = found[f'roadmap_projection_position{{view="{view.name}"}}']
        lag = found[f'roadmap_projection_lag_events{{view="{view.name}"}}']
        assert lag >= 0
        assert position + lag >= written["position"]
        assert found[f'roadmap_projection_waiting{{view="{view.name}"}}'] == 0
    assert {k for k in found if re.match(r"roadmap_webhook_deliveries\{", k)} == {
        f'roadmap_webhook_deliveries{{status="{s}"}}' for s in ("delivered", "failed", "pending")
    }
