"""As-of quarter plans and progress (issue 8): for random moments of a generated history,
what `as_of` answers equals what the live views answered at that moment, recorded during the
test; and a plan is answered as of a time whatever its view's runner has reached."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.helpers import Client, assert_problem, propose

QUARTERS = ("2031-Q1", "2031-Q2")
KINDS = ("approve", "start", "pause", "resume", "defer", "complete", "cancel")
STEPS = 45
TODAY = datetime.now(UTC).date()  # the service's clock: the real one


async def _moment() -> str:
    await asyncio.sleep(0.01)  # the database's clock and ours: keep the writes apart
    moment = datetime.now(UTC)
    await asyncio.sleep(0.01)
    return moment.isoformat().replace("+00:00", "Z")


class History:
    """Random writes through the API, remembering what is there to write to."""

    def __init__(self, client: Client, rng: random.Random) -> None:
        self.client = client
        self.rng = rng
        self.teams: list[str] = []
        self.initiatives: list[str] = []
        self.milestones: list[tuple[str, str]] = []  # (initiative, milestone)
        self.position = 0
        self.dependencies = 0

    async def write(self) -> None:
        if len(self.teams) < 3:
            await self._team()
            return
        if not self.initiatives:
            await self._propose()
            return
        actions = {
            self._team: 8,
            self._propose: 12,
            self._capacity: 10,
            self._decide: 15,
            self._assign: 15,
            self._milestone: 12,
            self._replan: 8,
            self._depend: 13,
            self._rename: 5,
        }
        action = self.rng.choices(list(actions), weights=list(actions.values()))[0]
        await action()

    async def _team(self) -> None:
        await self._send("post", "/v1/teams", {"name": f"Team {len(self.teams)}"})

    async def _propose(self) -> None:
        made = await propose(self.client, title=f"Initiative {len(self.initiatives)}")
        self.initiatives.append(made["id"])
        self.position = made["position"]

    async def _capacity(self) -> None:
        path = f"/v1/teams/{self.rng.choice(self.teams)}/capacity/{self.rng.choice(QUARTERS)}"
        await self._send("put", path, {"fte": float(self.rng.randint(1, 6))})

    async def _decide(self) -> None:
        kind = self.rng.choice(KINDS)
        body: dict[str, Any] = {"kind": kind, "rationale": f"because {kind}"}
        if kind in ("approve", "defer"):
            body["quarter"] = self.rng.choice(QUARTERS)
        if kind == "defer":
            body["revisit_on"] = "2031-06-01"
        await self._send("post", f"{self._initiative()}/decisions", body)

    async def _assign(self) -> None:
        body = {
            "team_id": self.rng.choice(self.teams),
            "quarter": self.rng.choice(QUARTERS),
            "fte": self.rng.choice([0.5, 1.0, 2.5]),
        }
        await self._send("post", f"{self._initiative()}/assignments", body)

    async def _milestone(self) -> None:
        initiative = self._initiative()
        target = TODAY + timedelta(days=self.rng.randint(-10, 60))
        body = {"title": "M", "success_criteria": "done", "target_date": target.isoformat()}
        made = await self._send("post", f"{initiative}/milestones", body)
        if made is not None:
            self.milestones.append((initiative, made["id"]))

    async def _replan(self) -> None:
        if not self.milestones:
            await self._milestone()
            return
        initiative, milestone = self.rng.choice(self.milestones)
        target = TODAY + timedelta(days=self.rng.randint(0, 90))
        body = {"target_date": target.isoformat(), "reason": "scope grew"}
        await self._send("post", f"{initiative}/milestones/{milestone}/replans", body)

    async def _depend(self) -> None:
        if len(self.milestones) < 2:
            await self._milestone()
            return
        (down, downstream), (up, upstream) = self.rng.sample(self.milestones, 2)
        body = {"upstream_milestone_id": upstream, "lag_days": self.rng.randint(0, 5)}
        if up != down:
            body["upstream_initiative_id"] = up.rsplit("/", 1)[-1]
        path = f"{down}/milestones/{downstream}/dependencies"
        self.dependencies += await self._send("post", path, body) is not None

    async def _rename(self) -> None:
        body = {"title": f"Renamed {self.rng.randint(0, 99)}"}
        await self._send("patch", self._initiative(), body)

    def _initiative(self) -> str:
        return f"/v1/initiatives/{self.rng.choice(self.initiatives)}"

    async def _send(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        response = await getattr(self.client, method)(path, json=body)
        if response.status_code >= 400:  # refused by the domain (a closed initiative, say)
            assert response.status_code in (409, 422), response.text
            return None
        made: dict[str, Any] = response.json()
        self.position = int(response.headers["Roadmap-Position"])
        if path == "/v1/teams":
            self.teams.append(made["id"])
        return made


async def _live(client: Client, path: str, position: int) -> dict[str, Any]:
    response = await client.get(path, params={"min_position": position})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_as_of_plans_and_progress_equal_the_live_views_recorded_at_that_time(
    client_of_its_own: Client,
) -> None:
    client = client_of_its_own
    rng = random.Random(8)  # noqa: S311 - test data
    history = History(client, rng)
    recorded: list[tuple[str, int, dict[str, Any]]] = []  # moment, position, what live said
    for _ in range(STEPS):
        await history.write()
        live = {}
        for quarter in QUARTERS:
            path = f"/v1/planning/quarters/{quarter}"
            live[path] = await _live(client, path, history.position)
        for initiative in history.initiatives:
            path = f"/v1/initiatives/{initiative}/progress"
            live[path] = await _live(client, path, history.position)
        recorded.append((await _moment(), history.position, live))

    assert len(history.milestones) > 3, "the history has milestones"
    assert history.dependencies > 0, "and dependencies between them"
    plans = [live[f"/v1/planning/quarters/{QUARTERS[0]}"] for _, _, live in recorded]
    assert len({str(plan) for plan in plans}) > 5, "the plan changed along the way"
    assert any(plan["teams"] and plan["initiatives"] for plan in plans)
    for moment, position, live in rng.sample(recorded, 10) + recorded[-1:]:
        for path, expected in live.items():
            response = await client.get(path, params={"as_of": moment})
            assert response.status_code == 200, (path, response.text)
            then = response.json()
            assert then.pop("as_of_position") == position, (path, moment)
            assert then == expected, (path, moment)

    # before an initiative existed, its progress is not found
    first_moment = recorded[0][0]
    later = await propose(client, title="After all that")
    missing = await client.get(
        f"/v1/initiatives/{later['id']}/progress", params={"as_of": first_moment}
    )
    assert_problem(missing, 404, "not-found")


async def test_an_as_of_plan_does_not_wait_for_the_view(client_of_its_own: Client) -> None:
    """Its runner stopped: the plan as of now is still the one the log says."""
    client = client_of_its_own
    team = (await client.post("/v1/teams", json={"name": "Platform"})).json()
    quarter = QUARTERS[0]
    await client.put(f"/v1/teams/{team['id']}/capacity/{quarter}", json={"fte": 4})
    made = await propose(client, title="Checkout")
    approved = await client.post(
        f"/v1/initiatives/{made['id']}/decisions",
        json={"kind": "approve", "rationale": "yes", "quarter": quarter},
    )
    assert approved.status_code == 201
    path = f"/v1/planning/quarters/{quarter}"
    live = await _live(client, path, approved.json()["position"])
    from roadmap_svc.api.state import AppState  # noqa: PLC0415 - the test reaches in

    for runner in AppState.of(client.app).runners:
        runner.stop()
    assigned = await client.post(
        f"/v1/initiatives/{made['id']}/assignments",
        json={"team_id": team["id"], "quarter": quarter, "fte": 1.5},
    )
    assert assigned.status_code == 201, assigned.text
    moment = await _moment()
    then = (await client.get(path, params={"as_of": moment})).json()
    assert then["as_of_position"] == int(assigned.headers["Roadmap-Position"])
    assert live["teams"][0]["allocated_fte"] == 0.0
    assert then["teams"][0]["allocated_fte"] == 1.5
    assert then["initiatives"][0]["fte"] == 1.5
    stale = (await client.get(path)).json()  # the live view, stopped, still says 0
    assert stale["teams"][0]["allocated_fte"] == 0.0
