"""Baselines and drift (issue 8): a baseline records the quarter's plan and its milestones as
an event, immutable, its name unique in the quarter; in a scripted scenario, drift against it
lists exactly the changes made after it, and against a time only those made by then."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from roadmap_svc.domain.quarter import Quarter
from tests.api.helpers import Client, assert_problem, decide, head_position, propose

TARGET = date(2041, 2, 1)


def _quarters() -> tuple[str, str]:
    # The worker's database is shared by its tests: quarters of this test's own.
    quarter = Quarter.parse(f"{random.randint(2045, 2095)}-Q{random.randint(1, 4)}")  # noqa: S311
    return str(quarter), str(quarter.next())


async def _moment() -> str:
    await asyncio.sleep(0.02)  # the database's clock and ours: keep the writes apart
    moment = datetime.now(UTC)
    await asyncio.sleep(0.02)
    return moment.isoformat().replace("+00:00", "Z")


async def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def _team(client: Client, quarter: str, fte: float) -> str:
    team = await _ok(await client.post("/v1/teams", json={"name": f"T {uuid4().hex[:8]}"}), 201)
    await _ok(await client.put(f"/v1/teams/{team['id']}/capacity/{quarter}", json={"fte": fte}))
    return str(team["id"])


async def _approved(client: Client, title: str, quarter: str) -> str:
    made = await propose(client, title=title)
    await decide(client, made["id"], "approve", quarter=quarter)
    return str(made["id"])


async def _assign(client: Client, initiative: str, team: str, quarter: str, fte: float) -> str:
    body = {"team_id": team, "quarter": quarter, "fte": fte}
    made = await client.post(f"/v1/initiatives/{initiative}/assignments", json=body)
    return str((await _ok(made, 201))["id"])


async def _milestone(client: Client, initiative: str, title: str, target: date) -> str:
    body = {"title": title, "success_criteria": "done", "target_date": target.isoformat()}
    made = await client.post(f"/v1/initiatives/{initiative}/milestones", json=body)
    return str((await _ok(made, 201))["id"])


async def _replan(client: Client, initiative: str, milestone: str, to: date, why: str) -> None:
    body = {"target_date": to.isoformat(), "reason": why}
    path = f"/v1/initiatives/{initiative}/milestones/{milestone}/replans"
    await _ok(await client.post(path, json=body), 201)


async def _drift(client: Client, quarter: str, **params: str) -> dict[str, Any]:
    response = await client.get(f"/v1/planning/quarters/{quarter}/drift", params=params)
    return await _ok(response)


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


@dataclass
class Scenario:
    quarter: str
    later: str
    ids: dict[str, str]  # initiatives, teams, milestones, by name
    baseline: dict[str, Any]
    midway: str  # a time between the changes


async def _planned(client: Client) -> Scenario:
    """A quarter planned, a baseline taken, then one change of each kind."""
    quarter, later = _quarters()
    ids = {"alpha": await _team(client, quarter, 5), "beta": await _team(client, quarter, 3)}
    for name in ("x", "y", "z", "w"):
        ids[name] = await _approved(client, f"Initiative {name}", quarter)
    await decide(client, ids["x"], "start")
    ids["m1"] = await _milestone(client, ids["x"], "Beta", TARGET)
    await _milestone(client, ids["y"], "Index", TARGET + timedelta(days=20))
    await _assign(client, ids["x"], ids["alpha"], quarter, 2)
    ids["y_on_beta"] = await _assign(client, ids["y"], ids["beta"], quarter, 1)
    await _assign(client, ids["z"], ids["alpha"], quarter, 1)
    await _replan(client, ids["x"], ids["m1"], TARGET + timedelta(days=3), "before it")

    taken = await client.post(
        f"/v1/planning/quarters/{quarter}/baselines",
        json={"name": "Kick-off", "note": "as agreed at the kick-off"},
        headers={"Idempotency-Key": f"baseline-{uuid4()}"},
    )
    baseline = await _ok(taken, 201)
    assert taken.headers["location"] == f"/v1/planning/quarters/{quarter}/baselines/Kick-off"
    unchanged = await _drift(client, quarter, baseline="kick-off")  # names ignore case
    assert unchanged["against_position"] == baseline["position"]  # the baseline's own event
    changes = [k for k in unchanged if k not in ("totals", "against") and unchanged[k] == []]
    assert len(changes) == 10, "no change yet"

    ids["v"] = await _approved(client, "Initiative v", quarter)
    await decide(client, ids["z"], "cancel")
    await _replan(client, ids["x"], ids["m1"], TARGET + timedelta(days=13), "vendor late")
    midway = await _moment()
    await decide(client, ids["w"], "defer", quarter=later, revisit_on="2041-01-01")
    await _replan(client, ids["x"], ids["m1"], TARGET + timedelta(days=18), "more testing")
    path = f"/v1/initiatives/{ids['y']}/assignments/{ids['y_on_beta']}"
    await _ok(await client.patch(path, json={"fte": 2, "reason": "needs more"}))
    await _ok(await client.put(f"/v1/teams/{ids['beta']}/capacity/{quarter}", json={"fte": 4}))
    await decide(client, ids["x"], "pause")
    ids["m3"] = await _milestone(client, ids["y"], "Ranking", TARGET + timedelta(days=40))
    return Scenario(quarter, later, ids, baseline, midway)


async def test_a_baseline_records_the_plan_and_its_milestones_as_they_stood(
    client_of_its_own: Client,
) -> None:
    client = client_of_its_own
    made = await _planned(client)
    baseline, ids = made.baseline, made.ids
    assert (baseline["name"], baseline["note"], baseline["taken_by"]) == (
        "Kick-off",
        "as agreed at the kick-off",
        "admin",
    )
    assert {i["id"] for i in baseline["plan"]["initiatives"]} == {ids[n] for n in "xyzw"}
    assert baseline["totals"]["initiatives"] == 4
    assert baseline["plan"]["milestones"][0]["target_date"] == "2041-02-04"
    kept = await _ok(await client.get(f"/v1/planning/quarters/{made.quarter}/baselines/KICK-OFF"))
    assert kept["plan"] == baseline["plan"]  # as recorded, whatever came after


async def test_drift_against_a_baseline_lists_exactly_the_changes_made_after_it(
    client_of_its_own: Client,
) -> None:
    client = client_of_its_own
    made = await _planned(client)
    ids = made.ids
    found = await _drift(client, made.quarter, baseline="Kick-off")
    assert (found["baseline"], found["against"]) == ("Kick-off", None)
    assert found["baseline_position"] == made.baseline["plan_position"]
    assert found["against_position"] == await head_position(client)
    assert _ids(found["added"]) == [ids["v"]]
    assert _ids(found["cancelled"]) == [ids["z"]]
    assert _ids(found["deferred"]) == [ids["w"]]
    assert found["deferred"][0]["quarter_now"] == made.later
    assert found["removed"] == []
    assert [(i["id"], i["status_then"], i["status_now"]) for i in found["status_changed"]] == [
        (ids["x"], "in_progress", "paused")
    ]
    (slipped,) = found["milestones_slipped"]
    assert (slipped["milestone_id"], slipped["days"]) == (ids["m1"], 15)
    assert (slipped["target_then"], slipped["target_now"]) == ("2041-02-04", "2041-02-19")
    assert [(r["reason"], r["recorded_by"]) for r in slipped["replans"]] == [
        ("vendor late", "admin"),
        ("more testing", "admin"),
    ]
    assert found["milestones_pulled_in"] == []
    assert [m["milestone_id"] for m in found["milestones_added"]] == [ids["m3"]]
    assert [
        (a["initiative_id"], a["team_id"], a["fte_then"], a["fte_now"])
        for a in found["allocations_changed"]
    ] == [(ids["y"], ids["beta"], 1.0, 2.0)]
    assert [(c["team_id"], c["fte_then"], c["fte_now"]) for c in found["capacities_changed"]] == [
        (ids["beta"], 3.0, 4.0)
    ]
    totals = found["totals"]
    assert (totals["initiatives"]["then"], totals["initiatives"]["now"]) == (4, 3)  # -z -w +v
    assert totals["capacity_fte"] == {"then": 8.0, "now": 9.0, "change": 1.0}
    assert totals["allocated_fte"] == {"then": 4.0, "now": 4.0, "change": 0.0}  # -z, +1 on y

    then = await _drift(client, made.quarter, baseline="Kick-off", against=made.midway)
    assert then["against"] is not None
    assert (_ids(then["added"]), _ids(then["cancelled"])) == ([ids["v"]], [ids["z"]])
    assert then["deferred"] == then["status_changed"] == then["milestones_added"] == []
    assert [(m["days"], len(m["replans"])) for m in then["milestones_slipped"]] == [(10, 1)]
    assert then["allocations_changed"] == then["capacities_changed"] == []


async def test_a_baseline_is_listed_kept_as_recorded_and_its_name_taken_once(
    client_of_its_own: Client,
) -> None:
    client = client_of_its_own
    quarter, _ = _quarters()
    team = await _team(client, quarter, 2)
    first = await _approved(client, "First", quarter)
    await _assign(client, first, team, quarter, 1.5)
    base = f"/v1/planning/quarters/{quarter}/baselines"
    assert (await _ok(await client.get(base)))["items"] == []
    await _ok(await client.post(base, json={"name": "Q start"}), 201)
    before = await head_position(client)
    again = await client.post(base, json={"name": "  q   START "})
    assert "Q start" in assert_problem(again, 409, "baseline-name-taken")["detail"]
    assert await head_position(client) == before  # refused: nothing recorded
    await _approved(client, "Second", quarter)
    await _ok(await client.post(base, json={"name": "Mid-quarter"}), 201)

    listed = (await _ok(await client.get(base)))["items"]
    assert [b["name"] for b in listed] == ["Q start", "Mid-quarter"]
    assert [b["totals"]["initiatives"] for b in listed] == [1, 2]
    kept = await _ok(await client.get(f"{base}/Q%20start"))
    assert [i["title"] for i in kept["plan"]["initiatives"]] == ["First"]
    assert kept["plan"]["teams"][0]["allocated_fte"] == 1.5

    unchanged = await head_position(client)
    for bad in ({"name": ""}, {"name": "x" * 201}, {"note": "no name"}, {"name": "a\u0000b"}):
        assert_problem(await client.post(base, json=bad), 400, "validation-error")
    assert await head_position(client) == unchanged  # nothing recorded
    assert_problem(await client.get(f"{base}/nothing-here"), 404, "not-found")
    missing = await client.get(f"/v1/planning/quarters/{quarter}/drift", params={"baseline": "x"})
    assert_problem(missing, 404, "not-found")
    assert_problem(
        await client.get(f"/v1/planning/quarters/{quarter}/drift"), 400, "validation-error"
    )
    history = await _ok(await client.get("/v1/events", params={"after": before - 1, "limit": 50}))
    assert "BaselineTaken" in {e["type"] for e in history["items"]}
