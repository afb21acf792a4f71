"""GET /v1/events: the global log as an auditor or a tailing integration reads it."""

from __future__ import annotations

from typing import Any

from roadmap_svc.domain.roles import Role
from tests.api.helpers import Client, assert_problem, decide, head_position, propose


async def test_the_feed_is_every_event_in_order_without_gaps(client: Client) -> None:
    created = await propose(client)
    await decide(client, created["id"], "approve", quarter="2027-Q1")
    head = await head_position(client)

    seen: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await client.get("/v1/events", params={"after": after, "limit": 500})
        assert page.status_code == 200, page.text
        body = page.json()
        assert page.headers["link"] == f'<{body["next"]}>; rel="next"'
        if not body["items"]:
            assert body["after"] == after  # nothing new: read on from the same place later
            break
        seen += body["items"]
        after = body["after"]
    assert [e["position"] for e in seen] == list(range(1, head + 1))  # gap-free, in order
    ours = [e for e in seen if e["aggregate_id"] == created["id"]]
    assert [(e["type"], e["version"]) for e in ours] == [
        ("InitiativeProposed", 1),
        ("InitiativeApproved", 2),
    ]
    approved = ours[1]
    assert approved["actor"] == "admin"
    assert approved["reason"] == "because approve"
    assert approved["data"]["quarter"] == "2027-Q1"
    assert approved["recorded_at"]
    assert approved["occurred_at"]


async def test_the_feed_is_for_auditors_and_admins(client: Client, tokens: dict[Role, str]) -> None:
    for role, status in ((Role.VIEWER, 403), (Role.EDITOR, 403), (Role.AUDITOR, 200)):
        answer = await client.get("/v1/events", headers={"Authorization": f"Bearer {tokens[role]}"})
        assert answer.status_code == status, (role, answer.text)
    assert_problem(await client.get("/v1/events", params={"after": -1}), 400, "validation-error")
