"""A generated portfolio for view tests: teams with capacities, initiatives proposed, revised,
decided on, staffed, with milestones that slip. Deterministic for a seed; every write goes
through the application's commands, as the API's would."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from roadmap_svc.application import DecisionInput, RoadmapApplication
from roadmap_svc.domain.errors import DomainError
from roadmap_svc.domain.lifecycle import OPEN_STATUSES, DecisionKind, allowed_decisions
from roadmap_svc.domain.stakeholders import Stance
from tests.application_helpers import meta_of, propose

QUARTERS = ("2027-Q1", "2027-Q2", "2027-Q3")
TODAY = date(2027, 1, 15)


# Planning moves forward more often than it stops: approve and start weigh most.
_WEIGHTS = {
    DecisionKind.APPROVE: 6,
    DecisionKind.START: 5,
    DecisionKind.RESUME: 3,
    DecisionKind.DEFER: 2,
    DecisionKind.PAUSE: 2,
    DecisionKind.COMPLETE: 1,
    DecisionKind.REJECT: 1,
    DecisionKind.CANCEL: 1,
}


@dataclass
class Portfolio:
    teams: list[UUID] = field(default_factory=list)
    initiatives: list[UUID] = field(default_factory=list)
    milestones: dict[UUID, list[UUID]] = field(default_factory=dict)
    head: int = 0
    refused: int = 0  # commands the domain refused (an illegal decision, say): no events


def write_portfolio(
    app: RoadmapApplication, events: int, *, seed: int = 7, teams: int = 6
) -> Portfolio:
    """Write a plausible portfolio until the log holds at least `events` events; returns
    what it made (another call on the same store makes another portfolio beside it)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    made = Portfolio()
    for n in range(teams):
        team = app.register_team(
            name=f"Team {seed}.{n}", wip_limit=rng.choice([None, 2, 3]), meta=meta_of()
        )
        made.teams.append(team.id)
        made.head = team.position
        for quarter in QUARTERS:
            made.head = app.set_team_capacity(
                team.id,
                quarter=quarter,
                fte=float(rng.randint(2, 8)),
                meta=meta_of(),
                expected_version=None,
            ).position
    open_ones: list[UUID] = []  # closed initiatives refuse every change: write to open ones
    while made.head < events:
        if not open_ones or rng.random() < 0.08:
            initiative = propose(app, f"Initiative {len(made.initiatives)}")
            made.initiatives.append(initiative)
            made.milestones[initiative] = []
            open_ones.append(initiative)
            continue
        initiative = rng.choice(open_ones)
        try:
            made.head = _one_write(app, rng, made, initiative)
        except DomainError:
            made.refused += 1
        if app.get_initiative(initiative).status not in OPEN_STATUSES:
            open_ones.remove(initiative)
    return made


def _one_write(  # noqa: PLR0911 - one return per kind of write
    app: RoadmapApplication, rng: random.Random, made: Portfolio, initiative: UUID
) -> int:
    meta = meta_of(rng.choice(["ana", "bo", "cy"]))
    roll = rng.random()
    if roll < 0.2:
        # a decision the initiative's status allows (a refused one records nothing)
        allowed = allowed_decisions(app.get_initiative(initiative).status)
        kind = rng.choices(allowed, weights=[_WEIGHTS[k] for k in allowed])[0]
        quarter = (
            rng.choice(QUARTERS) if kind in (DecisionKind.APPROVE, DecisionKind.DEFER) else None
        )
        decision = DecisionInput(
            kind=kind,
            rationale=f"because {kind.value}",
            decided_by=rng.choice(["steering", "cto"]),
            quarter=quarter,
            revisit_on=TODAY + timedelta(days=30) if kind is DecisionKind.DEFER else None,
        )
        return app.decide(initiative, decision, meta, None).position
    if roll < 0.35:
        return app.assign_team(
            initiative,
            team_id=rng.choice(made.teams),
            quarter=rng.choice(QUARTERS),
            fte=rng.choice([0.5, 1.0, 2.0]),
            person=None,
            role=None,
            meta=meta,
            expected_version=None,
        ).position
    if roll < 0.5 or not made.milestones[initiative]:
        written = app.add_milestone(
            initiative,
            title=f"M{len(made.milestones[initiative])}",
            success_criteria="done",
            target_date=TODAY + timedelta(days=rng.randint(10, 120)),
            meta=meta,
            expected_version=None,
        )
        made.milestones[initiative].append(written.value.id)
        return written.position
    if roll < 0.65:
        return app.replan_milestone(
            initiative,
            rng.choice(made.milestones[initiative]),
            to_date=TODAY + timedelta(days=rng.randint(20, 200)),
            reason="scope grew",
            meta=meta,
            expected_version=None,
        ).position
    if roll < 0.8:
        return app.revise_initiative(
            initiative, {"title": f"Renamed {rng.randint(0, 999)}"}, meta, None
        ).position
    if roll < 0.9:
        return app.add_stakeholder(
            initiative,
            name=f"Person {rng.randint(0, 5)}",
            role="reviewer",
            meta=meta,
            expected_version=None,
        ).position
    return app.record_stance(
        initiative,
        name=f"Person {rng.randint(0, 5)}",
        stance=rng.choice(list(Stance)),
        note=None,
        meta=meta,
        expected_version=None,
    ).position
