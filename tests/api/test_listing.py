"""Listing initiatives from the summary view: filters, cursors, read-your-writes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from tests.api.helpers import Client, assert_problem, decide, propose


async def _list(client: Client, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/initiatives", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_a_read_with_the_writes_position_sees_the_write(client: Client) -> None:
    owner = f"owner-{uuid4().hex[:8]}"
    created = await propose(client, owner=owner)
    decided = await decide(client, created["id"], "approve", quarter="2027-Q3")

    page = await _list(client, owner=owner, min_position=decided["position"])

    assert [(i["id"], i["status"], i["quarter"]) for i in page["items"]] == [
        (created["id"], "approved", "2027-Q3")
    ]
    assert page["items"][0]["version"] == decided["version"]


async def test_filters_by_status_quarter_owner_and_tag(client: Client) -> None:
    owner = f"owner-{uuid4().hex[:8]}"
    tag = f"t-{uuid4().hex[:6]}"
    first = await propose(client, owner=owner, tags=[tag])
    second = await propose(client, owner=owner, tags=[tag, "other"])
    last = await decide(client, second["id"], "approve", quarter="2028-Q1")

    approved = await _list(client, owner=owner, status="approved", min_position=last["position"])
    proposed = await _list(client, owner=owner, status="proposed")
    in_quarter = await _list(client, tag=tag.upper(), quarter="2028-q1")

    assert [i["id"] for i in approved["items"]] == [second["id"]]
    assert [i["id"] for i in proposed["items"]] == [first["id"]]
    assert [i["id"] for i in in_quarter["items"]] == [second["id"]]


async def test_cursor_pages_are_stable_and_complete(client: Client) -> None:
    owner = f"owner-{uuid4().hex[:8]}"
    ids = [(await propose(client, owner=owner))["id"] for _ in range(5)]
    last = await decide(client, ids[-1], "reject")

    seen: list[str] = []
    page = await _list(client, owner=owner, limit=2, min_position=last["position"])
    while True:
        seen.extend(item["id"] for item in page["items"])
        if page["next"] is None:
            break
        # A write between pages must not shift or repeat items.
        await decide(client, ids[0], "cancel") if len(seen) == 2 else None
        response = await client.get(page["next"])
        assert response.status_code == 200, response.text
        page = response.json()

    assert seen == ids


async def test_bad_cursor_and_bad_quarter_are_problems(client: Client) -> None:
    assert_problem(await client.get("/v1/initiatives?cursor=not.ours"), 400, "validation-error")
    bad_quarter = await client.get("/v1/initiatives?quarter=2026-Q9")
    body = assert_problem(bad_quarter, 400, "validation-error")
    assert body["errors"][0]["field"] == "quarter"
    body = assert_problem(await client.get("/v1/initiatives?limit=0"), 400, "validation-error")
    assert body["errors"][0]["field"] == "limit"
