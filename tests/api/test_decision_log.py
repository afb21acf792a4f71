"""GET /v1/decisions: every decision of every initiative, filtered and paged."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from tests.api.helpers import Client, assert_problem, decide, propose


async def _log(client: Client, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/decisions", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_log_across_initiatives_filters_and_pages(client: Client) -> None:
    board = f"board-{uuid4().hex[:8]}"  # this test's decisions, in a shared database
    first = await propose(client)
    second = await propose(client)
    taken = [
        await decide(client, first["id"], "approve", quarter="2031-Q2", decided_by=board),
        await decide(
            client,
            second["id"],
            "defer",
            quarter="2031-Q3",
            decided_by=board,
            revisit_on="2031-05-01",
        ),
        await decide(client, first["id"], "start", decided_by=board),
        await decide(
            client,
            second["id"],
            "reject",
            decided_by=board,
            alternatives_considered=["buy", "wait"],
        ),
    ]
    last = taken[-1]["position"]

    everything = await _log(client, decided_by=board, min_position=last)
    assert [d["kind"] for d in everything["items"]] == ["approve", "defer", "start", "reject"]
    assert [d["position"] for d in everything["items"]] == [t["position"] for t in taken]
    assert everything["next"] is None
    item = everything["items"][3]
    assert (item["initiative_id"], item["status_before"], item["status_after"]) == (
        second["id"],
        "proposed",
        "rejected",
    )
    assert item["alternatives_considered"] == ["buy", "wait"]
    assert everything["items"][1]["revisit_on"] == "2031-05-01"
    # the per-initiative log answers with the same records
    own = await client.get(f"/v1/initiatives/{second['id']}/decisions")
    assert own.json()["items"] == [
        d for d in everything["items"] if d["initiative_id"] == second["id"]
    ]

    of_first = await _log(client, decided_by=board, initiative_id=first["id"])
    assert [d["kind"] for d in of_first["items"]] == ["approve", "start"]
    assert [d["kind"] for d in (await _log(client, decided_by=board, kind="defer"))["items"]] == [
        "defer"
    ]
    in_quarter = await _log(client, decided_by=board, quarter="2031-q3")
    assert [d["kind"] for d in in_quarter["items"]] == ["defer"]
    since = everything["items"][2]["occurred_at"]
    later = await _log(client, decided_by=board, since=since)
    assert [d["kind"] for d in later["items"]] == ["start", "reject"]
    earlier = await _log(client, decided_by=board, until=since)
    assert [d["kind"] for d in earlier["items"]] == ["approve", "defer"]

    pages, page = [], await _log(client, decided_by=board, limit=3)
    pages.append(page)
    while page["next"]:
        response = await client.get(page["next"])
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
    assert [len(p["items"]) for p in pages] == [3, 1]
    assert [d for p in pages for d in p["items"]] == everything["items"]


async def test_bad_filters_are_problems(client: Client) -> None:
    assert_problem(
        await client.get("/v1/decisions", params={"kind": "veto"}), 400, "validation-error"
    )
    assert_problem(
        await client.get("/v1/decisions", params={"since": "yesterday"}), 400, "validation-error"
    )
    assert_problem(
        await client.get("/v1/decisions", params={"cursor": "no/pe"}), 400, "validation-error"
    )
    assert_problem(
        await client.get("/v1/decisions", params={"quarter": "2031-Q9"}), 400, "validation-error"
    )
