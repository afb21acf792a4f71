"""The life of a real initiative, recorded over REST: started, paused when it turned into
open-ended research, re-planned with clear milestones, given a new tech lead, and finished,
with every promise and every slip on record."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from roadmap_svc.domain.roles import Role
from tests.api.helpers import Client, decide, propose


async def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_initiatives_life_is_on_record(  # noqa: PLR0915 - one story, told in order
    client: Client, tokens: dict[Role, str]
) -> None:
    editor = {"Authorization": f"Bearer {tokens[Role.EDITOR]}"}
    created = await propose(client, title="Search relevance")
    iid = created["id"]
    base = f"/v1/initiatives/{iid}"

    # A team with capacity.
    team = await _ok(
        await client.post("/v1/teams", json={"name": f"Search {uuid4().hex[:6]}", "wip_limit": 2}),
        201,
    )
    team = await _ok(
        await client.put(f"/v1/teams/{team['id']}/capacity/2027-q1", json={"fte": 6.5})
    )
    assert team["capacity"] == {"2027-Q1": 6.5}

    # Approved, started; a milestone promised.
    await decide(client, iid, "approve", quarter="2027-Q1")
    await decide(client, iid, "start")
    first = await _ok(
        await client.post(
            f"{base}/milestones",
            json={
                "title": "Prototype ranking",
                "success_criteria": "NDCG +5% offline",
                "target_date": "2027-02-01",
            },
            headers=editor,
        ),
        201,
    )
    actor = (await client.get(f"{base}/history")).json()["items"][-1]["actor"]
    assert actor.startswith("test-editor-")

    # It turned into open-ended research: paused.
    await decide(client, iid, "pause", rationale="turned into open-ended research")

    # Re-planned with clear milestones: the first slips twice, a second one depends on it.
    replanned = await _ok(
        await client.post(
            f"{base}/milestones/{first['id']}/replans",
            json={"target_date": "2027-03-01", "reason": "research spike"},
            headers=editor,
        ),
        201,
    )
    replanned = await _ok(
        await client.post(
            f"{base}/milestones/{first['id']}/replans",
            json={"target_date": "2027-03-15", "reason": "clear scope now"},
            headers=editor,
        ),
        201,
    )
    assert replanned["original_target_date"] == "2027-02-01"
    assert replanned["target_date"] == "2027-03-15"
    assert [(s["from_date"], s["to_date"], s["reason"]) for s in replanned["slips"]] == [
        ("2027-02-01", "2027-03-01", "research spike"),
        ("2027-03-01", "2027-03-15", "clear scope now"),
    ]
    assert {s["recorded_by"] for s in replanned["slips"]} == {actor}
    second = await _ok(
        await client.post(
            f"{base}/milestones",
            json={
                "title": "A/B test",
                "success_criteria": "CTR +2% online",
                "target_date": "2027-04-15",
            },
        ),
        201,
    )
    with_dependency = await _ok(
        await client.post(
            f"{base}/milestones/{second['id']}/dependencies",
            json={"upstream_milestone_id": first["id"], "lag_days": 7},
        ),
        201,
    )
    assert with_dependency["dependencies"][0]["upstream_milestone_id"] == first["id"]
    await decide(client, iid, "resume", rationale="re-planned with clear milestones")

    # The team assigned, the FTE changed, a new tech lead named.
    assignment = await _ok(
        await client.post(
            f"{base}/assignments",
            json={"team_id": team["id"], "quarter": "2027-Q1", "fte": 2, "role": "team"},
        ),
        201,
    )
    changed = await _ok(
        await client.patch(f"{base}/assignments/{assignment['id']}", json={"fte": 3.5})
    )
    lead = await _ok(
        await client.post(
            f"{base}/assignments",
            json={
                "team_id": team["id"],
                "quarter": "2027-Q1",
                "fte": 1,
                "person": "Grace",
                "role": "tech lead",
            },
        ),
        201,
    )
    new_lead = await _ok(
        await client.patch(
            f"{base}/assignments/{lead['id']}",
            json={"person": "Katherine", "reason": "Grace moved to payments"},
        )
    )
    assert (changed["fte"], new_lead["person"], new_lead["role"]) == (3.5, "Katherine", "tech lead")

    # A metric with a baseline and two measurements.
    metric = await _ok(
        await client.post(
            f"{base}/metrics",
            json={
                "name": "Search CTR",
                "unit": "%",
                "baseline": 11.0,
                "target": 13.0,
                "direction": "higher_is_better",
            },
        ),
        201,
    )
    for value, day in ((11.4, "2026-09-01"), (12.1, "2026-10-01")):
        metric = await _ok(
            await client.post(
                f"{base}/metrics/{metric['id']}/measurements",
                json={"value": value, "measured_on": day},
            ),
            201,
        )
    assert [m["value"] for m in metric["measurements"]] == [11.4, 12.1]

    # An external key, found by lookup.
    key = f"SRCH-{uuid4().hex[:6].upper()}"
    linked = await client.post(
        f"{base}/external-refs",
        json={"system": "jira", "key": key, "milestone_id": first["id"]},
    )
    assert linked.status_code == 201, linked.text
    found = await _ok(await client.get(f"/v1/external-refs/jira/{key.lower()}"))
    assert (found["initiative_id"], found["milestone_id"], found["target"]) == (
        iid,
        first["id"],
        "milestone",
    )
    assert found["href"] == f"{base}/milestones/{first['id']}"

    # Milestones done, initiative completed.
    await _ok(await client.post(f"{base}/milestones/{first['id']}/start"))
    await _ok(
        await client.post(
            f"{base}/milestones/{first['id']}/complete", json={"actual_date": "2026-11-01"}
        )
    )
    await _ok(
        await client.post(f"{base}/milestones/{second['id']}/drop", json={"reason": "merged"})
    )
    await decide(client, iid, "complete", rationale="relevance shipped")

    # Every step is on record, in order, with actor and reason.
    history = (await client.get(f"{base}/history")).json()["items"]
    types = [item["type"] for item in history]
    assert types == [
        "InitiativeProposed",
        "InitiativeApproved",
        "InitiativeStarted",
        "MilestoneAdded",
        "InitiativePaused",
        "MilestoneReplanned",
        "MilestoneReplanned",
        "MilestoneAdded",
        "MilestoneDependencyAdded",
        "InitiativeResumed",
        "TeamAssigned",
        "AssignmentChanged",
        "TeamAssigned",
        "AssignmentChanged",
        "MetricDefined",
        "MeasurementRecorded",
        "MeasurementRecorded",
        "ExternalKeyLinked",
        "MilestoneStarted",
        "MilestoneCompleted",
        "MilestoneDropped",
        "InitiativeCompleted",
    ]
    assert [item["version"] for item in history] == list(range(1, len(history) + 1))
    assert all(item["actor"] for item in history)
    slips = [item for item in history if item["type"] == "MilestoneReplanned"]
    assert [(s["data"]["from_date"], s["data"]["to_date"], s["reason"]) for s in slips] == [
        ("2027-02-01", "2027-03-01", "research spike"),
        ("2027-03-01", "2027-03-15", "clear scope now"),
    ]
    reasons = {item["type"]: item["reason"] for item in history}
    assert reasons["InitiativePaused"] == "turned into open-ended research"
    assert reasons["MilestoneDropped"] == "merged"
    assert history[13]["reason"] == "Grace moved to payments"

    final = (await client.get(base)).json()
    assert final["status"] == "completed"
    assert [m["status"] for m in final["milestones"]] == ["completed", "dropped"]
    assert final["external_refs"][0]["key"] == key
