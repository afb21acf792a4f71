"""Careless clients: every bad input is a problem that names the field, and records nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import (
    Client,
    assert_problem,
    head_position,
    history_types,
    proposal,
    propose,
)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": 5}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": None}, "title"),
        ({"tags": "payments"}, "tags"),
        ({"tags": ["ok", "Not A Tag!"]}, "tags"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"sponsor": 3}, "sponsor"),
        ({"owner": "   "}, "owner"),
        ({"actor": "mallory"}, "actor"),
    ],
)
async def test_bad_proposals_name_the_field(
    client: Client, change: dict[str, Any], field: str
) -> None:
    before = await head_position(client)
    sent = proposal() | change
    response = await client.post("/v1/initiatives", json=sent)

    assert response.status_code in {400, 422}, response.text
    body = assert_problem(
        response,
        response.status_code,
        "validation-error" if response.status_code == 400 else "invalid-value",
    )
    assert body["errors"][0]["field"] == field, body
    assert await head_position(client) == before


async def test_missing_field_is_named(client: Client) -> None:
    body = proposal()
    del body["business_case"]
    response = await client.post("/v1/initiatives", json=body)
    problem = assert_problem(response, 400, "validation-error")
    assert problem["errors"][0]["field"] == "business_case"


@pytest.mark.parametrize("content", [b"not json", b"[]", b'{"title": "x"', b""])
async def test_malformed_json_is_a_400_problem(client: Client, content: bytes) -> None:
    before = await head_position(client)
    response = await client.post(
        "/v1/initiatives", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await head_position(client) == before


async def test_oversized_body_is_413_and_records_nothing(client: Client) -> None:
    before = await head_position(client)
    huge = proposal(business_case="x" * (2 * 1024 * 1024))
    response = await client.post("/v1/initiatives", json=huge)
    assert_problem(response, 413, "body-too-large")
    assert await head_position(client) == before


async def test_bad_stakeholder_input(client: Client) -> None:
    created = await propose(client)
    url = f"/v1/initiatives/{created['id']}/stakeholders"
    assert (await client.post(url, json={"name": "Finance"})).status_code == 201

    duplicate = await client.post(url, json={"name": "finance "})
    unknown = await client.post(f"{url}/Nobody/stance", json={"stance": "endorses"})
    bad_stance = await client.post(f"{url}/Finance/stance", json={"stance": "meh"})

    assert_problem(duplicate, 409, "stakeholder-exists")
    assert_problem(unknown, 404, "stakeholder-not-found")
    assert assert_problem(bad_stance, 400, "validation-error")["errors"][0]["field"] == "stance"
    assert await history_types(client, created["id"]) == [
        "InitiativeProposed",
        "InitiativeStakeholderAdded",
    ]


async def test_unknown_routes_and_methods_are_problems(client: Client) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404, "not-found")
    assert_problem(await client.get("/v1/initiatives/not-a-uuid"), 404, "not-found")
    assert_problem(await client.delete("/v1/initiatives"), 405, "method-not-allowed")
