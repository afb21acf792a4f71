"""Proposing, reading, listing and revising initiatives through the real app."""

from __future__ import annotations

from uuid import uuid4

from tests.api.helpers import Client, assert_problem, decide, history_types, proposal, propose


async def test_propose_answers_201_with_location_etag_and_position(client: Client) -> None:
    response = await client.post("/v1/initiatives", json=proposal(tags=["Payments", "payments"]))

    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/v1/initiatives/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert int(response.headers["roadmap-position"]) == body["position"] > 0
    assert body["status"] == "proposed"
    assert body["tags"] == ["payments"]
    assert body["proposer"] == "admin"  # the token's name, not anything in the body
    assert body["allowed_decisions"] == ["approve", "reject", "defer", "cancel"]


async def test_read_now_and_at_a_past_version(client: Client) -> None:
    created = await propose(client, title="Old title")
    patched = await client.patch(
        f"/v1/initiatives/{created['id']}", json={"title": "New title"}, headers={"If-Match": '"1"'}
    )
    assert patched.status_code == 200, patched.text

    now = await client.get(f"/v1/initiatives/{created['id']}")
    past = await client.get(f"/v1/initiatives/{created['id']}", params={"version": 1})
    missing = await client.get(f"/v1/initiatives/{created['id']}", params={"version": 9})

    assert (now.json()["title"], now.headers["etag"]) == ("New title", '"2"')
    assert (past.json()["title"], past.headers["etag"]) == ("Old title", '"1"')
    assert_problem(missing, 404, "not-found")


async def test_unknown_initiative_is_a_404_problem(client: Client) -> None:
    response = await client.get(f"/v1/initiatives/{uuid4()}")
    assert_problem(response, 404, "not-found")


async def test_revise_changes_only_what_differs_and_records_the_reason(client: Client) -> None:
    created = await propose(client, owner="ana")
    response = await client.patch(
        f"/v1/initiatives/{created['id']}",
        json={"owner": "bo", "title": created["title"], "reason": "ana moved teams"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'

    history = (await client.get(f"/v1/initiatives/{created['id']}/history")).json()["items"]
    revised = history[-1]
    assert revised["type"] == "InitiativeRevised"
    assert revised["reason"] == "ana moved teams"
    assert revised["data"]["owner"] == "bo"
    assert revised["data"]["title"] is None  # unchanged fields are not recorded as changes


async def test_revise_that_changes_nothing_is_refused_and_records_nothing(client: Client) -> None:
    created = await propose(client)
    response = await client.patch(
        f"/v1/initiatives/{created['id']}", json={"title": created["title"]}
    )
    assert_problem(response, 422, "nothing-to-change")
    assert await history_types(client, created["id"]) == ["InitiativeProposed"]


async def test_stale_if_match_is_412_and_stores_nothing(client: Client) -> None:
    created = await propose(client)
    await decide(client, created["id"], "approve", quarter="2027-Q2")  # now version 2

    response = await client.patch(
        f"/v1/initiatives/{created['id']}", json={"owner": "zed"}, headers={"If-Match": '"1"'}
    )

    body = assert_problem(response, 412, "version-mismatch")
    assert (body["expected_version"], body["current_version"]) == (1, 2)
    assert await history_types(client, created["id"]) == [
        "InitiativeProposed",
        "InitiativeApproved",
    ]


async def test_a_weak_or_unknown_if_match_never_matches_and_a_malformed_one_is_400(
    client: Client,
) -> None:
    created = await propose(client)
    url = f"/v1/initiatives/{created['id']}"
    for value in ('W/"1"', '"one"', '"1", "2"'):  # entity tags, but not one strong version
        response = await client.patch(url, json={"owner": "x"}, headers={"If-Match": value})
        assert_problem(response, 412, "version-mismatch")
    for value in ("1", "null", '"1'):  # not entity tags at all (RFC 9110)
        response = await client.patch(url, json={"owner": "x"}, headers={"If-Match": value})
        body = assert_problem(response, 400, "validation-error")
        assert body["errors"] == [
            {
                "field": "If-Match",
                "message": 'must be an ETag as this service sends them, e.g. "3"',
                "source": "header",
            }
        ]
    assert await history_types(client, created["id"]) == ["InitiativeProposed"]


async def test_if_match_star_matches_any_version(client: Client) -> None:
    created = await propose(client)
    response = await client.patch(
        f"/v1/initiatives/{created['id']}", json={"owner": "x"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 200, response.text


async def test_patch_null_sponsor_clears_it_but_null_title_is_refused(client: Client) -> None:
    created = await propose(client, sponsor="cfo")
    url = f"/v1/initiatives/{created['id']}"

    cleared = await client.patch(url, json={"sponsor": None})
    refused = await client.patch(url, json={"title": None})

    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["sponsor"] is None
    assert assert_problem(refused, 400, "validation-error")["errors"][0]["field"] == "title"
    history = (await client.get(f"{url}/history")).json()["items"]
    assert history[-1]["data"]["cleared"] == ["sponsor"]
    page = await client.get(
        "/v1/initiatives",
        params={"owner": created["owner"], "min_position": cleared.json()["position"]},
    )
    assert page.json()["items"][0]["sponsor"] is None
