"""`as_of` reads (issue 8): the initiative and the decision log as recorded by a past time,
with the log position they reflect; a time in the future or before the first event is a 422."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.api.helpers import Client, assert_problem, decide, propose


async def _moment() -> str:
    await asyncio.sleep(0.02)  # the database's clock and ours: keep the writes apart
    moment = datetime.now(UTC)
    await asyncio.sleep(0.02)
    return moment.isoformat().replace("+00:00", "Z")


async def test_an_initiative_and_the_decision_log_as_recorded_by_a_past_time(
    client_of_its_own: Client,
) -> None:
    client = client_of_its_own
    before_anything = await _moment()
    created = await propose(client, title="First title")
    proposed = await _moment()
    approved = await decide(client, created["id"], "approve", quarter="2030-Q1")
    revised = await client.patch(f"/v1/initiatives/{created['id']}", json={"title": "Renamed"})
    assert revised.status_code == 200
    after_approval = await _moment()
    later = await propose(client, title="Later")
    await decide(client, later["id"], "reject")

    then = await client.get(f"/v1/initiatives/{created['id']}", params={"as_of": proposed})
    assert then.status_code == 200, then.text
    body = then.json()
    assert (body["version"], body["status"], body["title"]) == (1, "proposed", "First title")
    assert body["as_of_position"] == created["position"]
    assert then.headers["etag"] == '"1"'

    now_then = await client.get(
        f"/v1/initiatives/{created['id']}", params={"as_of": after_approval}
    )
    assert (now_then.json()["status"], now_then.json()["title"]) == ("approved", "Renamed")
    assert now_then.json()["as_of_position"] == revised.json()["position"]

    not_yet = await client.get(f"/v1/initiatives/{later['id']}", params={"as_of": proposed})
    assert_problem(not_yet, 404, "not-found")

    decisions = await client.get("/v1/decisions", params={"as_of": after_approval})
    assert decisions.status_code == 200, decisions.text
    page = decisions.json()
    assert [d["position"] for d in page["items"]] == [approved["position"]]
    assert page["as_of_position"] == revised.json()["position"]
    everything = (await client.get("/v1/decisions")).json()
    assert len(everything["items"]) == 2
    assert everything["as_of_position"] is None

    for when in (before_anything, "1999-01-01T00:00:00Z"):
        early = await client.get("/v1/decisions", params={"as_of": when})
        assert (
            "before the first event" in assert_problem(early, 422, "as-of-out-of-range")["detail"]
        )
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    for path in ("/v1/decisions", f"/v1/initiatives/{created['id']}"):
        ahead = await client.get(path, params={"as_of": future})
        assert "in the future" in assert_problem(ahead, 422, "as-of-out-of-range")["detail"]
