"""Every invalid input and rule of milestones, dependencies, teams, assignments, metrics and
external keys gets a clear 4xx problem, and the event store's head does not move."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest

from tests.api.helpers import Client, assert_problem, head_position, propose

MILESTONE = {"title": "Beta", "success_criteria": "10 pilot users", "target_date": "2027-03-01"}


async def _post(
    client: Client, url: str, body: dict[str, Any], status: int = 201
) -> dict[str, Any]:
    response = await client.post(url, json=body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


async def _refused(
    client: Client, method: str, url: str, body: dict[str, Any] | None, status: int, kind: str
) -> dict[str, Any]:
    before = await head_position(client)
    response = await client.request(method, url, json=body)
    problem = assert_problem(response, status, kind)
    assert await head_position(client) == before, "a refused request recorded something"
    return problem


@pytest.fixture
async def initiative(client: Client) -> dict[str, Any]:
    return await propose(client)


@pytest.fixture
async def team(client: Client) -> dict[str, Any]:
    return await _post(client, "/v1/teams", {"name": f"Team {uuid4().hex[:8]}"})


@pytest.mark.parametrize(
    ("body", "status", "kind", "field"),
    [
        (MILESTONE | {"target_date": "2027-13-01"}, 400, "validation-error", "target_date"),
        (MILESTONE | {"target_date": "soon"}, 400, "validation-error", "target_date"),
        (MILESTONE | {"target_date": "1999-12-31"}, 422, "invalid-value", "target_date"),
        (MILESTONE | {"title": "  "}, 422, "invalid-value", "title"),
        ({"title": "x", "target_date": "2027-01-01"}, 400, "validation-error", "success_criteria"),
    ],
)
async def test_bad_milestones(
    client: Client,
    initiative: dict[str, Any],
    body: dict[str, Any],
    status: int,
    kind: str,
    field: str,
) -> None:
    url = f"/v1/initiatives/{initiative['id']}/milestones"
    problem = await _refused(client, "POST", url, body, status, kind)
    assert problem["errors"][0]["field"] == field


async def test_milestone_dates_and_transitions(client: Client, initiative: dict[str, Any]) -> None:
    base = f"/v1/initiatives/{initiative['id']}/milestones"
    milestone = await _post(client, base, MILESTONE)
    url = f"{base}/{milestone['id']}"

    same = await _refused(
        client,
        "POST",
        f"{url}/replans",
        {"target_date": "2027-03-01", "reason": "x"},
        422,
        "invalid-value",
    )
    no_reason = await _refused(
        client, "POST", f"{url}/replans", {"target_date": "2027-04-01"}, 400, "validation-error"
    )
    future = await _refused(
        client, "POST", f"{url}/complete", {"actual_date": "2099-01-01"}, 422, "invalid-value"
    )
    assert same["errors"][0]["field"] == "target_date"
    assert no_reason["errors"][0]["field"] == "reason"
    assert future["errors"][0]["field"] == "actual_date"

    await _post(client, f"{url}/complete", {"actual_date": "2026-01-15"}, 200)
    closed = await _refused(client, "POST", f"{url}/start", None, 409, "milestone-transition")
    assert (closed["milestone_status"], closed["allowed_operations"]) == ("completed", [])
    await _refused(client, "POST", f"{url}/drop", {"reason": "late"}, 409, "milestone-transition")


async def test_unknown_ids(
    client: Client, initiative: dict[str, Any], team: dict[str, Any]
) -> None:
    base = f"/v1/initiatives/{initiative['id']}"
    nobody = str(uuid4())

    await _refused(
        client, "POST", f"/v1/initiatives/{nobody}/milestones", MILESTONE, 404, "not-found"
    )
    await _refused(client, "POST", f"{base}/milestones/{nobody}/start", None, 404, "not-found")
    await _refused(client, "PATCH", f"{base}/assignments/{nobody}", {"fte": 1}, 404, "not-found")
    await _refused(
        client, "POST", f"{base}/metrics/{nobody}/measurements", {"value": 1}, 404, "not-found"
    )
    await _refused(
        client, "PUT", f"/v1/teams/{nobody}/capacity/2027-Q1", {"fte": 1}, 404, "not-found"
    )
    unknown_team = await _refused(
        client,
        "POST",
        f"{base}/assignments",
        {"team_id": nobody, "quarter": "2027-Q1", "fte": 1},
        422,
        "invalid-value",
    )
    assert unknown_team["errors"][0]["field"] == "team_id"
    milestone = await _post(client, f"{base}/milestones", MILESTONE)
    unknown_upstream = await _refused(
        client,
        "POST",
        f"{base}/milestones/{milestone['id']}/dependencies",
        {"upstream_milestone_id": nobody},
        422,
        "invalid-value",
    )
    assert unknown_upstream["errors"][0]["field"] == "upstream_milestone_id"
    unknown_link_target = await _refused(
        client,
        "POST",
        f"{base}/external-refs",
        {"system": "jira", "key": f"X-{uuid4().hex[:6]}", "milestone_id": nobody},
        404,
        "not-found",
    )
    assert "milestone" in unknown_link_target["detail"]
    assert_problem(await client.get(f"/v1/external-refs/jira/NOPE-{uuid4().hex}"), 404, "not-found")
    assert_problem(await client.get(f"/v1/teams/{initiative['id']}"), 404, "not-found")
    assert_problem(await client.get(f"/v1/initiatives/{team['id']}"), 404, "not-found")


async def test_dependency_rules(client: Client) -> None:
    first, second = await propose(client), await propose(client)
    a = await _post(client, f"/v1/initiatives/{first['id']}/milestones", MILESTONE)
    b = await _post(client, f"/v1/initiatives/{second['id']}/milestones", MILESTONE)
    b_deps = f"/v1/initiatives/{second['id']}/milestones/{b['id']}/dependencies"
    a_deps = f"/v1/initiatives/{first['id']}/milestones/{a['id']}/dependencies"

    await _post(
        client, b_deps, {"upstream_initiative_id": first["id"], "upstream_milestone_id": a["id"]}
    )
    cycle = await _refused(
        client,
        "POST",
        a_deps,
        {"upstream_initiative_id": second["id"], "upstream_milestone_id": b["id"]},
        409,
        "dependency-cycle",
    )
    duplicate = await _refused(
        client,
        "POST",
        b_deps,
        {"upstream_initiative_id": first["id"], "upstream_milestone_id": a["id"]},
        409,
        "duplicate-dependency",
    )
    itself = await _refused(
        client, "POST", a_deps, {"upstream_milestone_id": a["id"]}, 422, "invalid-value"
    )
    lag = await _refused(
        client,
        "POST",
        a_deps,
        {"upstream_initiative_id": second["id"], "upstream_milestone_id": b["id"], "lag_days": 999},
        400,
        "validation-error",
    )
    assert cycle["cycle"] == [a["id"], b["id"], a["id"]]
    assert duplicate["detail"]
    assert itself["errors"][0]["field"] == "upstream_milestone_id"
    assert lag["errors"][0]["field"] == "lag_days"


@pytest.mark.parametrize(
    ("fte", "status"),
    [(0, 400), (-1, 400), (100.5, 400), (1.234, 422), ("two", 400)],
)
async def test_bad_fte(
    client: Client, initiative: dict[str, Any], team: dict[str, Any], fte: object, status: int
) -> None:
    body = {"team_id": team["id"], "quarter": "2027-Q1", "fte": fte}
    kind = "validation-error" if status == 400 else "invalid-value"
    problem = await _refused(
        client, "POST", f"/v1/initiatives/{initiative['id']}/assignments", body, status, kind
    )
    assert problem["errors"][0]["field"] == "fte"


async def test_bad_capacity_and_quarters(client: Client, team: dict[str, Any]) -> None:
    url = f"/v1/teams/{team['id']}/capacity"
    negative = await _refused(client, "PUT", f"{url}/2027-Q1", {"fte": -2}, 400, "validation-error")
    bad_quarter = await _refused(
        client, "PUT", f"{url}/2027-Q5", {"fte": 2}, 400, "validation-error"
    )
    assert negative["errors"][0]["field"] == "fte"
    assert bad_quarter["errors"][0]["field"] == "quarter"


async def test_bad_metrics(client: Client, initiative: dict[str, Any]) -> None:
    url = f"/v1/initiatives/{initiative['id']}/metrics"
    metric = {
        "name": "Latency",
        "unit": "ms",
        "baseline": 900,
        "target": 300,
        "direction": "lower_is_better",
    }
    wrong_way = await _refused(client, "POST", url, metric | {"target": 1200}, 422, "invalid-value")
    defined = await _post(client, url, metric)
    duplicate = await _refused(
        client, "POST", url, metric | {"name": "LATENCY"}, 409, "metric-exists"
    )
    future = await _refused(
        client,
        "POST",
        f"{url}/{defined['id']}/measurements",
        {"value": 500, "measured_on": "2099-01-01"},
        422,
        "invalid-value",
    )
    assert wrong_way["errors"][0]["field"] == "target"
    assert duplicate["detail"]
    assert future["errors"][0]["field"] == "measured_on"


async def test_an_external_key_belongs_to_one_object(client: Client) -> None:
    first, second = await propose(client), await propose(client)
    key = f"PROJ-{uuid4().hex[:6]}"
    await _post(
        client, f"/v1/initiatives/{first['id']}/external-refs", {"system": "jira", "key": key}
    )

    taken = await _refused(
        client,
        "POST",
        f"/v1/initiatives/{second['id']}/external-refs",
        {"system": "JIRA", "key": key.lower()},
        409,
        "external-key-taken",
    )
    bad_url = await _refused(
        client,
        "POST",
        f"/v1/initiatives/{second['id']}/external-refs",
        {"system": "jira", "key": "OTHER-1", "url": "ftp://x"},
        400,
        "validation-error",
    )
    assert first["id"] in taken["linked_to"]
    assert bad_url["errors"][0]["field"] == "url"
    found = (await client.get(f"/v1/external-refs/jira/{key}")).json()
    assert found["initiative_id"] == first["id"]


async def test_one_team_name_under_concurrent_registrations(client: Client) -> None:
    name = f"Platform {uuid4().hex[:6]}"
    spellings = [name, name.upper(), name.lower(), f"  {name}  "] * 2
    before = await head_position(client)

    responses = await asyncio.gather(
        *(client.post("/v1/teams", json={"name": spelling}) for spelling in spellings)
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (len(spellings) - 1), [r.text for r in responses]
    assert all(
        r.json()["type"].endswith("team-name-taken") for r in responses if r.status_code == 409
    )
    # One team and one name claim: two events, nothing from the losers.
    assert await head_position(client) - before == 2


async def test_rename_to_a_taken_name_is_refused(client: Client) -> None:
    first = await _post(client, "/v1/teams", {"name": f"Alpha {uuid4().hex[:6]}"})
    second = await _post(client, "/v1/teams", {"name": f"Beta {uuid4().hex[:6]}"})
    taken = await _refused(
        client,
        "PATCH",
        f"/v1/teams/{second['id']}",
        {"name": first["name"].lower()},
        409,
        "team-name-taken",
    )
    assert first["id"] in taken["detail"]
    assert (taken["team_id"], taken["team"]) == (first["id"], f"/v1/teams/{first['id']}")
