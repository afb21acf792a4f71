"""GET /v1/planning/quarters/{quarter} and /v1/planning/quarters, as a planner uses them."""

from __future__ import annotations

import random
from typing import Any
from uuid import uuid4

import pytest

from tests.api.helpers import Client, assert_problem, decide, propose


def _quarter() -> str:
    # The session's database is shared by this worker's tests: a quarter of its own.
    return f"{random.randint(2040, 2099)}-Q{random.randint(1, 4)}"  # noqa: S311 - test data


async def _team(
    client: Client, quarter: str, capacity: float, wip_limit: int | None
) -> dict[str, Any]:
    response = await client.post(
        "/v1/teams", json={"name": f"Team {uuid4().hex[:8]}", "wip_limit": wip_limit}
    )
    assert response.status_code == 201, response.text
    team: dict[str, Any] = response.json()
    response = await client.put(
        f"/v1/teams/{team['id']}/capacity/{quarter}", json={"fte": capacity}
    )
    assert response.status_code == 200, response.text
    return team


async def _assign(
    client: Client, initiative_id: str, team_id: str, quarter: str, fte: float
) -> int:
    response = await client.post(
        f"/v1/initiatives/{initiative_id}/assignments",
        json={"team_id": team_id, "quarter": quarter, "fte": fte},
    )
    assert response.status_code == 201, response.text
    return int(response.headers["Roadmap-Position"])


async def _plan(client: Client, quarter: str, position: int) -> dict[str, Any]:
    response = await client.get(
        f"/v1/planning/quarters/{quarter}", params={"min_position": position}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    plan: dict[str, Any] = response.json()
    return plan


async def test_an_over_allocated_team_over_its_wip_limit_and_an_unassigned_initiative(
    client: Client,
) -> None:
    quarter = _quarter()
    team = await _team(client, quarter, capacity=5, wip_limit=2)
    running = []
    for _ in range(3):
        initiative = await propose(client)
        await decide(client, initiative["id"], "approve", quarter=quarter)
        await _assign(client, initiative["id"], team["id"], quarter, 2)
        await decide(client, initiative["id"], "start")
        running.append(initiative["id"])
    lonely = await propose(client)
    last = await decide(client, lonely["id"], "approve", quarter=quarter)
    candidate = await propose(client)
    deferred = await decide(
        client, candidate["id"], "defer", quarter=quarter, revisit_on="2039-01-01"
    )
    position = await _assign(client, candidate["id"], team["id"], quarter, 1)
    assert position > max(last["position"], deferred["position"])

    plan = await _plan(client, quarter, position)
    assert plan["quarter"] == quarter
    assert plan["position"] == position
    (load,) = plan["teams"]
    assert load == {
        "id": team["id"],
        "name": team["name"],
        "capacity_fte": 5.0,
        "allocated_fte": 6.0,
        "candidate_fte": 1.0,
        "load_percent": 120.0,
        "over_allocated": True,
        "wip_limit": 2,
        "in_progress": 3,
        "over_wip_limit": True,
        "initiatives": running,
    }
    by_id = {i["id"]: i for i in plan["initiatives"]}
    assert [i["id"] for i in plan["initiatives"]] == [*running, lonely["id"], candidate["id"]]
    assert by_id[lonely["id"]]["unassigned"] is True
    assert by_id[lonely["id"]]["status"] == "approved"
    assert by_id[candidate["id"]]["candidate"] is True
    assert by_id[candidate["id"]]["unassigned"] is False
    assert all(by_id[i]["fte"] == 2.0 and not by_id[i]["unassigned"] for i in running)
    assert plan["totals"] == {
        "initiatives": 4,
        "approved": 1,
        "in_progress": 3,
        "paused": 0,
        "candidates": 1,
        "unassigned": 1,
        "teams": 1,
        "capacity_fte": 5.0,
        "allocated_fte": 6.0,
        "candidate_fte": 1.0,
        "load_percent": 120.0,
        "teams_over_allocated": 1,
        "teams_over_wip_limit": 1,
    }

    # The team's own page and the team list show the same load, and its assignments.
    response = await client.get(f"/v1/teams/{team['id']}", params={"min_position": position})
    assert response.status_code == 200, response.text
    own = response.json()
    assert own["load"] == {quarter: load}
    assert own["capacity"] == {quarter: 5.0}
    assigned = {(a["initiative_id"], a["quarter"], a["fte"]) for a in own["assignments"]}
    assert assigned == {(i, quarter, 2.0) for i in running} | {(candidate["id"], quarter, 1.0)}
    listed_teams = (await client.get("/v1/teams")).json()["items"]
    (in_list,) = [t for t in listed_teams if t["id"] == team["id"]]
    assert (in_list["name"], in_list["load"]) == (team["name"], {quarter: load})
    past = (await client.get(f"/v1/teams/{team['id']}", params={"version": 1})).json()
    assert (past["capacity"], past["load"], past["assignments"]) == ({}, None, None)

    # Pausing one frees a WIP slot but keeps its people; completing one frees both.
    await decide(client, running[0], "pause")
    done = await decide(client, running[1], "complete")
    plan = await _plan(client, quarter, done["position"])
    (load,) = plan["teams"]
    assert (load["allocated_fte"], load["in_progress"], load["over_wip_limit"]) == (4.0, 1, False)
    assert (load["load_percent"], load["over_allocated"]) == (80.0, False)
    assert (plan["totals"]["paused"], plan["totals"]["initiatives"]) == (1, 3)

    listed = await client.get("/v1/planning/quarters", params={"first": quarter, "last": quarter})
    assert listed.status_code == 200, listed.text
    (summary,) = listed.json()["items"]
    assert summary == {"quarter": quarter, "totals": plan["totals"], "position": plan["position"]}


async def test_a_quarter_with_nothing_planned_is_an_empty_plan(client: Client) -> None:
    response = await client.get("/v1/planning/quarters/2099-q4")
    assert response.status_code == 200, response.text
    plan = response.json()
    assert (plan["quarter"], plan["teams"], plan["initiatives"]) == ("2099-Q4", [], [])
    assert plan["totals"]["initiatives"] == 0
    assert plan["totals"]["load_percent"] is None


@pytest.mark.parametrize("bad", ["2026-Q5", "soon", "1999-Q1", "2101-Q1", " 2026-Q1"])
async def test_a_bad_quarter_is_the_same_400_in_a_path_a_query_and_a_body(
    client: Client, bad: str
) -> None:
    initiative = await propose(client)
    team = (await client.post("/v1/teams", json={"name": f"Team {bad}"})).json()
    answers = [
        await client.get(f"/v1/planning/quarters/{bad}"),
        await client.get("/v1/planning/quarters", params={"first": bad}),
        await client.get("/v1/initiatives", params={"quarter": bad}),
        await client.put(f"/v1/teams/{team['id']}/capacity/{bad}", json={"fte": 2}),
        await client.post(
            f"/v1/initiatives/{initiative['id']}/decisions",
            json={"kind": "approve", "quarter": bad, "rationale": "fits"},
        ),
    ]
    for answer in answers:
        body = assert_problem(answer, 400, "validation-error")
        assert body["errors"][0]["field"] == "quarter" or body["errors"][0]["field"] == "first"
        assert "2026-Q3" in body["errors"][0]["message"]


async def test_the_team_list_pages_and_filters_by_quarter(client: Client) -> None:
    quarter = _quarter()  # other tests' teams may share it: look for ours among them
    made = [await _team(client, quarter, capacity=n + 1, wip_limit=None) for n in range(3)]
    last = await client.put(f"/v1/teams/{made[-1]['id']}/capacity/{quarter}", json={"fte": 9})
    position = int(last.headers["Roadmap-Position"])
    page = (
        await client.get(
            "/v1/teams", params={"quarter": quarter, "limit": 2, "min_position": position}
        )
    ).json()
    pages = [page]
    while page["next"]:
        page = (await client.get(page["next"])).json()
        pages.append(page)
    assert len(pages) >= 2
    assert all(len(p["items"]) <= 2 for p in pages)
    listed = [t for p in pages for t in p["items"]]
    ours = [t for t in listed if t["id"] in {m["id"] for m in made}]
    assert [t["id"] for t in ours] == [m["id"] for m in made]  # registration order, once each
    assert ours[-1]["capacity"] == {quarter: 9.0}
