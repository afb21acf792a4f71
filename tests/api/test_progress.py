"""GET /v1/initiatives/{id}/progress and /v1/progress: forecasts through dependencies across
initiatives, health with its reasons, against a clock the test sets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from roadmap_svc.api.state import AppState
from tests.api.helpers import Client, assert_problem, decide, propose

TODAY = date(2027, 1, 15)


@pytest.fixture
def clock(client: Client) -> Iterator[None]:
    application = AppState.of(client.app).application
    before = application.clock
    application.clock = lambda: datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
    try:
        yield
    finally:
        application.clock = before


async def _milestone(client: Client, initiative: str, title: str, target: date) -> dict[str, Any]:
    response = await client.post(
        f"/v1/initiatives/{initiative}/milestones",
        json={"title": title, "success_criteria": "shipped", "target_date": target.isoformat()},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _post(client: Client, path: str, body: dict[str, Any]) -> int:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    return int(response.headers["Roadmap-Position"])


async def _progress(client: Client, initiative: str, position: int) -> dict[str, Any]:
    response = await client.get(
        f"/v1/initiatives/{initiative}/progress", params={"min_position": position}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _started(client: Client, title: str) -> str:
    initiative = await propose(client, title=title)
    await decide(client, initiative["id"], "approve", quarter="2027-Q1")
    await decide(client, initiative["id"], "start")
    return str(initiative["id"])


@pytest.mark.usefixtures("clock")
async def test_a_slip_moves_every_downstream_forecast_and_health_names_its_cause(
    client: Client,
) -> None:
    x = await _started(client, f"Platform {uuid4().hex[:6]}")
    y = await _started(client, f"Checkout {uuid4().hex[:6]}")
    a = await _milestone(client, x, "API ready", date(2027, 2, 1))
    b = await _milestone(client, y, "Integration", date(2027, 2, 11))
    c = await _milestone(client, y, "Launch", date(2027, 2, 16))
    await _post(
        client,
        f"/v1/initiatives/{y}/milestones/{b['id']}/dependencies",
        {"upstream_initiative_id": x, "upstream_milestone_id": a["id"], "lag_days": 10},
    )
    position = await _post(
        client,
        f"/v1/initiatives/{y}/milestones/{c['id']}/dependencies",
        {"upstream_milestone_id": b["id"], "type": "finish_to_start", "lag_days": 5},
    )
    before = await _progress(client, y, position)
    assert (before["health"], before["reasons"]) == ("on_track", [])
    assert [m["forecast_date"] for m in before["milestone_progress"]] == [
        "2027-02-11",
        "2027-02-16",
    ]

    # A slips 8 days: B and C move by 8, and both name A as the cause.
    position = await _post(
        client,
        f"/v1/initiatives/{x}/milestones/{a['id']}/replans",
        {"target_date": "2027-02-09", "reason": "vendor late"},
    )
    after = await _progress(client, y, position)
    lines = {m["title"]: m for m in after["milestone_progress"]}
    assert lines["Integration"]["forecast_date"] == "2027-02-19"
    assert lines["Launch"]["forecast_date"] == "2027-02-24"
    assert lines["Integration"]["forecast_days_late"] == lines["Launch"]["forecast_days_late"] == 8
    assert lines["Integration"]["driven_by"]["milestone_id"] == a["id"]
    assert lines["Launch"]["driven_by"]["milestone_id"] == b["id"]
    assert lines["Launch"]["delayed_by"]["milestone_id"] == a["id"]
    assert after["health"] == "at_risk"
    texts = [r["text"] for r in after["reasons"]]
    assert len(texts) == 2
    assert all("held by upstream milestone API ready of initiative Platform" in t for t in texts)
    assert "Launch: forecast 8 days after target" in texts[1]
    assert "(through milestone Integration)" in texts[1]
    # the slipped initiative itself: its target moved, nothing holds it
    own = await _progress(client, x, position)
    assert (own["health"], own["slip_count"], own["slip_days"]) == ("on_track", 1, 8)

    # Slipped past the off-track threshold (14 days by default): off track.
    position = await _post(
        client,
        f"/v1/initiatives/{x}/milestones/{a['id']}/replans",
        {"target_date": "2027-02-20", "reason": "vendor later still"},
    )
    assert (await _progress(client, y, position))["health"] == "off_track"

    # A missed: B and C wait on a missed milestone.
    position = await _post(
        client, f"/v1/initiatives/{x}/milestones/{a['id']}/missed", {"reason": "vendor gone"}
    )
    missed = await _progress(client, y, position)
    assert missed["health"] == "off_track"
    assert any(
        "upstream milestone API ready of initiative Platform" in r["text"]
        and "was missed" in r["text"]
        for r in missed["reasons"]
    )
    assert (await _progress(client, x, position))["milestones"]["missed"] == 1


@pytest.mark.usefixtures("clock")
async def test_counts_completion_pauses_and_the_portfolio(client: Client) -> None:
    owner = f"owner-{uuid4().hex[:8]}"
    initiative = (await propose(client, owner=owner, title="Search"))["id"]
    await decide(client, initiative, "approve", quarter="2027-Q1")
    past = await _milestone(client, initiative, "Past due", TODAY - timedelta(days=3))
    done = await _milestone(client, initiative, "Done", TODAY + timedelta(days=5))
    await _milestone(client, initiative, "Next", TODAY + timedelta(days=20))
    dropped = await _milestone(client, initiative, "Dropped", TODAY + timedelta(days=30))
    await _post(
        client,
        f"/v1/initiatives/{initiative}/milestones/{done['id']}/complete",
        {"actual_date": TODAY.isoformat()},
    )
    position = await _post(
        client, f"/v1/initiatives/{initiative}/milestones/{dropped['id']}/drop", {"reason": "scope"}
    )
    progress = await _progress(client, initiative, position)
    assert progress["milestones"] == {"total": 4, "done": 1, "missed": 0, "dropped": 1, "open": 2}
    assert progress["completion_percent"] == 33.3
    assert progress["next_milestone"]["id"] == past["id"]
    assert progress["health"] == "off_track"
    assert progress["reasons"][0]["text"] == "milestone Past due is 3 days past its target"
    assert progress["today"] == TODAY.isoformat()

    paused = await decide(client, initiative, "pause")
    page = await client.get(
        "/v1/progress", params={"owner": owner, "min_position": paused["position"]}
    )
    assert page.status_code == 200, page.text
    (item,) = page.json()["items"]
    # paused on the day it was recorded; the clock says it is TODAY now
    recorded = datetime.fromisoformat(paused["recorded_at"]).date()
    assert (item["health"], item["days_paused"]) == ("paused", (TODAY - recorded).days)
    assert item["reasons"][0]["text"] == f"paused since {recorded.isoformat()}"
    filtered = await client.get("/v1/progress", params={"owner": owner, "health": "on_track"})
    assert filtered.json()["items"] == []


async def test_unknown_initiative_and_bad_filters_are_problems(client: Client) -> None:
    assert_problem(await client.get(f"/v1/initiatives/{uuid4()}/progress"), 404, "not-found")
    assert_problem(
        await client.get("/v1/progress", params={"health": "meh"}), 400, "validation-error"
    )


@pytest.mark.usefixtures("clock")
async def test_revisits_list_deferred_initiatives_due_and_quiet_open_ones(client: Client) -> None:
    due = await propose(client, title=f"Due {uuid4().hex[:6]}")
    await decide(client, due["id"], "approve", quarter="2027-Q1")
    revisit = TODAY + timedelta(days=5)
    deferred = await decide(
        client, due["id"], "defer", quarter="2027-Q3", revisit_on=revisit.isoformat()
    )
    later = await propose(client, title=f"Later {uuid4().hex[:6]}")
    await decide(client, later["id"], "approve", quarter="2027-Q1")
    last = await decide(client, later["id"], "defer", quarter="2027-Q3", revisit_on="2027-06-01")
    # ten days on: the first revisit date has come, the second not
    now = TODAY + timedelta(days=10)
    AppState.of(client.app).application.clock = lambda: datetime(
        now.year, now.month, now.day, 12, tzinfo=UTC
    )
    response = await client.get("/v1/planning/revisits", params={"min_position": last["position"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["today"], body["stale_days"]) == (now.isoformat(), 30)
    due_ids = [item["id"] for item in body["due"]]
    assert due["id"] in due_ids
    assert later["id"] not in due_ids
    (item,) = [i for i in body["due"] if i["id"] == due["id"]]
    assert item["revisit_on"] == revisit.isoformat()
    # Recorded on the real day, read (by the clock) weeks later: quiet, so stale as well.
    recorded = datetime.fromisoformat(deferred["recorded_at"]).date()
    stale = {i["id"]: i for i in body["stale"]}
    assert ((now - recorded).days >= 30) == (due["id"] in stale)
    if due["id"] in stale:
        assert stale[due["id"]]["days_quiet"] == (now - recorded).days
