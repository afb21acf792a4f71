"""Decisions as a tagged union: the lifecycle, refusals that store nothing, the decision log."""

from __future__ import annotations

from tests.api.helpers import Client, assert_problem, decide, history_types, propose


async def test_propose_approve_pause_resume_complete(client: Client) -> None:
    created = await propose(client)
    iid = created["id"]

    approved = await decide(client, iid, "approve", quarter="2027-q1", decided_by="steering")
    paused = await decide(client, iid, "pause", rationale="turned into open-ended research")
    resumed = await decide(client, iid, "resume", rationale="clear milestones now")
    completed = await decide(client, iid, "complete")

    assert (approved["status_after"], approved["quarter"], approved["decided_by"]) == (
        "approved",
        "2027-Q1",
        "steering",
    )
    assert paused["status_after"] == "paused"
    assert resumed["status_after"] == "in_progress"
    assert completed["status_after"] == "completed"
    assert completed["recorded_by"] == "admin"
    initiative = (await client.get(f"/v1/initiatives/{iid}")).json()
    assert (initiative["status"], initiative["allowed_decisions"]) == ("completed", [])


async def test_decision_answers_201_with_location_etag_and_position(client: Client) -> None:
    created = await propose(client)
    response = await client.post(
        f"/v1/initiatives/{created['id']}/decisions",
        json={"kind": "reject", "rationale": "no budget", "alternatives_considered": ["defer"]},
        headers={"If-Match": '"1"'},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"2"'
    assert response.headers["location"] == f"/v1/initiatives/{created['id']}/decisions/2"
    assert int(response.headers["roadmap-position"]) == body["position"]
    fetched = await client.get(response.headers["location"])
    assert fetched.json() == body


async def test_resume_of_a_non_paused_initiative_is_409_naming_the_allowed(client: Client) -> None:
    created = await propose(client)
    await decide(client, created["id"], "approve", quarter="2027-Q1")

    response = await client.post(
        f"/v1/initiatives/{created['id']}/decisions", json={"kind": "resume", "rationale": "go"}
    )

    body = assert_problem(response, 409, "invalid-transition")
    assert body["current_status"] == "approved"
    assert body["decision"] == "resume"
    assert body["allowed_decisions"] == ["start", "pause", "complete", "reject", "defer", "cancel"]
    assert "pause" in body["detail"]
    assert await history_types(client, created["id"]) == [
        "InitiativeProposed",
        "InitiativeApproved",
    ]


async def test_approval_names_stakeholders_who_recorded_no_stance(client: Client) -> None:
    created = await propose(client)
    iid = created["id"]
    for name in ("Finance", "Legal"):
        response = await client.post(f"/v1/initiatives/{iid}/stakeholders", json={"name": name})
        assert response.status_code == 201, response.text
    stance = await client.post(
        f"/v1/initiatives/{iid}/stakeholders/legal/stance",
        json={"stance": "has_concerns", "note": "data retention"},
    )
    assert stance.status_code == 200, stance.text

    approved = await decide(client, iid, "approve", quarter="2027-Q2")
    log = (await client.get(f"/v1/initiatives/{iid}/decisions")).json()["items"]

    assert approved["stakeholders_without_stance"] == ["Finance"]
    assert log == [approved]


async def test_defer_goes_back_to_proposed_for_a_later_quarter(client: Client) -> None:
    created = await propose(client)
    iid = created["id"]
    await decide(client, iid, "approve", quarter="2030-Q2")

    too_early = await client.post(
        f"/v1/initiatives/{iid}/decisions",
        json={"kind": "defer", "rationale": "later", "quarter": "2030-Q2"},
    )
    deferred = await decide(client, iid, "defer", quarter="2030-Q4", revisit_on="2030-09-01")

    body = assert_problem(too_early, 422, "invalid-value")
    assert body["errors"] == [
        {"field": "quarter", "message": "must be 2030-Q3 or later to defer to"}
    ]
    assert (deferred["status_after"], deferred["quarter"], deferred["revisit_on"]) == (
        "proposed",
        "2030-Q4",
        "2030-09-01",
    )


async def test_bad_decision_bodies_name_the_field_and_store_nothing(client: Client) -> None:
    created = await propose(client)
    url = f"/v1/initiatives/{created['id']}/decisions"
    cases = [
        ({"kind": "explode", "rationale": "x"}, "kind"),
        ({"kind": "approve", "rationale": "x"}, "quarter"),
        ({"kind": "approve", "rationale": "x", "quarter": "Q3-2026"}, "quarter"),
        ({"kind": "pause"}, "rationale"),
        ({"kind": "pause", "rationale": ""}, "rationale"),
        ({"kind": "pause", "rationale": "x", "quarter": "2027-Q1"}, "quarter"),
        (
            {"kind": "defer", "rationale": "x", "quarter": "2030-Q1", "revisit_on": "soon"},
            "revisit_on",
        ),
    ]
    for body, field in cases:
        response = await client.post(url, json=body)
        assert response.status_code in {400, 422}, (body, response.text)
        problem = response.json()
        assert problem["errors"][0]["field"] == field, (body, problem)
    assert await history_types(client, created["id"]) == ["InitiativeProposed"]


async def test_decisions_on_unknown_initiative_are_404(client: Client) -> None:
    response = await client.get("/v1/initiatives/00000000-0000-0000-0000-000000000000/decisions")
    assert_problem(response, 404, "not-found")
