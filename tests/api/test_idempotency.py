"""Idempotency-Key on writes, as an integration retrying a missed answer uses it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from litestar.testing import AsyncTestClient

from roadmap_svc.api.app import create_app
from roadmap_svc.api.state import AppState
from roadmap_svc.domain.roles import Role
from roadmap_svc.storage import idempotency
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.pool import create_pool
from tests.api.helpers import Client, assert_problem, head_position, history_types, proposal
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.contract_check import conforming

KEY = "Idempotency-Key"


def _key() -> dict[str, str]:
    return {KEY: str(uuid4())}


async def test_a_retry_with_the_same_key_answers_the_same_and_records_nothing(
    client: Client,
) -> None:
    headers = _key()
    body = proposal()
    first = await client.post("/v1/initiatives", json=body, headers=headers)
    assert first.status_code == 201, first.text
    head = await head_position(client)

    again = await client.post("/v1/initiatives", json=body, headers=headers)

    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.json() == first.json()
    for name in ("etag", "location", "roadmap-position"):
        assert again.headers[name] == first.headers[name]
    assert await head_position(client) == head
    assert await history_types(client, first.json()["id"]) == ["InitiativeProposed"]
    history = (await client.get(f"/v1/initiatives/{first.json()['id']}/history")).json()
    assert history["items"][0]["idempotency_key"] == headers[KEY]  # for auditors


async def test_every_kind_of_write_takes_a_key(client: Client) -> None:
    created = (await client.post("/v1/initiatives", json=proposal())).json()
    base = f"/v1/initiatives/{created['id']}"
    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PATCH", base, {"owner": "someone else"}),
        ("POST", f"{base}/decisions", {"kind": "approve", "quarter": "2027-Q1", "rationale": "go"}),
        (
            "POST",
            f"{base}/milestones",
            {"title": "Beta", "success_criteria": "ok", "target_date": "2027-02-01"},
        ),
    ]
    for method, url, body in writes:
        headers = _key()
        first = await client.request(method, url, json=body, headers=headers)
        again = await client.request(method, url, json=body, headers=headers)
        assert first.status_code in {200, 201}, first.text
        assert (again.status_code, again.json()) == (first.status_code, first.json())
        assert again.headers["idempotent-replayed"] == "true"
    assert await history_types(client, created["id"]) == [
        "InitiativeProposed",
        "InitiativeRevised",
        "InitiativeApproved",
        "MilestoneAdded",
    ]


async def test_the_same_key_for_another_request_is_refused(client: Client) -> None:
    headers = _key()
    first = await client.post("/v1/initiatives", json=proposal(), headers=headers)
    assert first.status_code == 201
    head = await head_position(client)
    other = await client.post("/v1/initiatives", json=proposal(), headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")
    assert await head_position(client) == head


async def test_a_malformed_or_overlong_key_is_400(client: Client) -> None:
    head = await head_position(client)
    for bad in ("has space", "x" * 256, "caf\u00e9"):
        response = await client.post(
            "/v1/initiatives", json=proposal(), headers={KEY.encode(): bad.encode()}
        )
        body = assert_problem(response, 400, "validation-error")
        assert body["errors"][0]["field"] == KEY
    assert await head_position(client) == head


async def test_a_key_still_in_flight_is_409(client: Client) -> None:
    key = str(uuid4())
    in_flight = AppState.of(client.app).keys_in_flight
    in_flight.add(("admin", key))  # as while the first request waits for its commit
    try:
        response = await client.post("/v1/initiatives", json=proposal(), headers={KEY: key})
    finally:
        in_flight.discard(("admin", key))
    assert_problem(response, 409, "idempotency-key-in-flight")
    assert response.headers["retry-after"] == "1"
    done = await client.post("/v1/initiatives", json=proposal(), headers={KEY: key})
    assert done.status_code == 201


async def test_keys_belong_to_their_token(client: Client, tokens: dict[Role, str]) -> None:
    key = _key()
    body = proposal()
    mine = await client.post("/v1/initiatives", json=body, headers=key)
    editor = {**key, "Authorization": f"Bearer {tokens[Role.EDITOR]}"}
    theirs = await client.post("/v1/initiatives", json=body, headers=editor)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert "idempotent-replayed" not in theirs.headers


async def test_a_refused_write_keeps_no_key(client: Client) -> None:
    created = (await client.post("/v1/initiatives", json=proposal())).json()
    url = f"/v1/initiatives/{created['id']}"
    key = _key()
    stale = await client.patch(url, json={"owner": "x"}, headers={**key, "If-Match": '"7"'})
    assert_problem(stale, 412, "version-mismatch")
    fresh = await client.patch(url, json={"owner": "x"}, headers={**key, "If-Match": '"1"'})
    assert fresh.status_code == 200, fresh.text
    assert "idempotent-replayed" not in fresh.headers


async def test_an_expired_key_counts_as_new_and_is_purged(
    client: Client, database: DatabaseTarget
) -> None:
    key = _key()
    body = proposal()
    first = await client.post("/v1/initiatives", json=body, headers=key)
    with psycopg.connect(database.dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = %s",
            (key[KEY],),
        )
    again = await client.post("/v1/initiatives", json=body, headers=key)
    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]  # past 24 h, the key is a new one
    with psycopg.connect(database.dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = %s",
            (key[KEY],),
        )
    pool = await create_pool(database, 1)  # the app's pool belongs to the app's loop
    try:
        assert await idempotency.purge(pool, 24 * 3600) >= 1
        assert await idempotency.find(pool, "admin", key[KEY], 10**9) is None
    finally:
        await pool.close()


@pytest.fixture
async def second_process(database: DatabaseTarget) -> AsyncIterator[Client]:
    """Another API process on the same database: its own committer, cache and in-flight set."""
    app = create_app(make_settings(), database, run_projections=False)
    async with AsyncTestClient(app) as other:
        other.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield conforming(other)


async def test_two_processes_sent_one_key_at_once_record_it_once(
    client: Client, second_process: Client
) -> None:
    for _ in range(10):
        key = _key()
        body = proposal()
        answers = await asyncio.gather(
            client.post("/v1/initiatives", json=body, headers=key),
            second_process.post("/v1/initiatives", json=body, headers=key),
        )
        assert [a.status_code for a in answers] == [201, 201]
        assert answers[0].json() == answers[1].json()
        assert sorted(a.headers.get("idempotent-replayed", "") for a in answers) == ["", "true"]
