"""Roadmap-Occurred-At: history imported from another tool keeps its real dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.helpers import Client, assert_problem, head_position, proposal, propose

HEADER = "Roadmap-Occurred-At"


def _at(when: str) -> dict[str, str]:
    return {HEADER: when}


async def test_an_imported_history_shows_both_times(client: Client) -> None:
    created = await client.post(
        "/v1/initiatives", json=proposal(), headers=_at("2025-01-06T09:00:00+01:00")
    )
    assert created.status_code == 201, created.text
    initiative_id = created.json()["id"]
    approved = await client.post(
        f"/v1/initiatives/{initiative_id}/decisions",
        json={"kind": "approve", "quarter": "2025-Q2", "rationale": "planning"},
        headers=_at("2025-02-03T10:00:00Z"),
    )
    assert approved.status_code == 201, approved.text
    assert approved.json()["occurred_at"] == "2025-02-03T10:00:00Z"

    history = (await client.get(f"/v1/initiatives/{initiative_id}/history")).json()["items"]

    assert [h["occurred_at"] for h in history] == [
        "2025-01-06T09:00:00+01:00",
        "2025-02-03T10:00:00Z",
    ]
    today = datetime.now(UTC).date().isoformat()
    assert all(h["recorded_at"].startswith(today) for h in history)
    assert all(h["time"] == h["recorded_at"] for h in history)


async def test_without_the_header_it_happened_when_it_was_recorded(client: Client) -> None:
    created = await propose(client)
    history = (await client.get(f"/v1/initiatives/{created['id']}/history")).json()["items"]
    assert history[0]["occurred_at"] == history[0]["recorded_at"]


async def test_days_count_from_when_it_happened(client: Client) -> None:
    created = (
        await client.post("/v1/initiatives", json=proposal(), headers=_at("2025-01-06T09:00:00Z"))
    ).json()
    base = f"/v1/initiatives/{created['id']}"
    milestone = (
        await client.post(
            f"{base}/milestones",
            json={"title": "Beta", "success_criteria": "ten users", "target_date": "2025-03-01"},
            headers=_at("2025-01-07T09:00:00Z"),
        )
    ).json()
    done = await client.post(
        f"{base}/milestones/{milestone['id']}/complete",
        json={},
        headers=_at("2025-02-20T17:00:00Z"),
    )
    assert done.status_code == 200, done.text
    assert done.json()["actual_date"] == "2025-02-20"  # the day it happened, not today
    # A deferral from early 2025 may go to 2025-Q2: "later" is later than when it happened.
    deferred = await client.post(
        f"{base}/decisions",
        json={"kind": "defer", "quarter": "2025-Q2", "rationale": "busy"},
        headers=_at("2025-02-21T09:00:00Z"),
    )
    assert deferred.status_code == 201, deferred.text


async def test_bad_occurred_at_is_refused_and_records_nothing(client: Client) -> None:
    created = (
        await client.post("/v1/initiatives", json=proposal(), headers=_at("2025-01-06T09:00:00Z"))
    ).json()
    url = f"/v1/initiatives/{created['id']}/stakeholders"
    before = await head_position(client)
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()

    for value in ("yesterday", "2025-01-07", "2025-01-07T09:00:00"):  # no offset: ambiguous
        refused = await client.post(url, json={"name": "Ada"}, headers=_at(value))
        body = assert_problem(refused, 400, "validation-error")
        assert body["errors"][0]["field"] == HEADER
    for value, why in ((future, "future"), ("2025-01-05T09:00:00Z", "previous event")):
        refused = await client.post(url, json={"name": "Ada"}, headers=_at(value))
        body = assert_problem(refused, 422, "invalid-value")
        assert body["errors"][0]["field"] == "occurred_at"
        assert why in body["detail"]

    assert await head_position(client) == before


async def test_a_missing_body_says_so(client: Client) -> None:
    created = await propose(client)
    before = await head_position(client)
    for path in ("/v1/initiatives", f"/v1/initiatives/{created['id']}/decisions"):
        refused = await client.post(path, content=b"", headers={"Content-Type": "application/json"})
        body = assert_problem(refused, 400, "validation-error")
        assert body["detail"] == "a JSON body is required"
        assert body["errors"] == [
            {"field": None, "message": "a JSON body is required", "source": "body"}
        ]
    assert await head_position(client) == before
