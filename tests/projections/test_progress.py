"""The progress view over a generated portfolio: each initiative's counts, completion, slips,
days paused, next milestone and health equal a recomputation from the aggregates and their
decision history (another route than the view's fold and health.py), live and in memory."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.domain.lifecycle import Status
from roadmap_svc.domain.milestones import MilestoneStatus
from roadmap_svc.projections import progress
from roadmap_svc.projections.health import HealthRules, Portfolio, progress_of
from roadmap_svc.projections.kit import replay
from roadmap_svc.storage.event_log import events_after
from roadmap_svc.storage.transcoder import MsgspecMapper
from tests.conftest import PortfolioStore
from tests.portfolio import TODAY
from tests.projections.view_helpers import stored_rows, until_tracked

RULES = HealthRules()
LATER = TODAY + timedelta(days=60)  # some targets have passed by then


def _stored(dsn: str) -> Portfolio:
    initiatives = stored_rows(dsn, progress.INITIATIVES).values()
    milestones = stored_rows(dsn, progress.MILESTONES)
    return Portfolio(initiatives={i.id: i for i in initiatives}, milestones=milestones)


def _days_paused(decisions: list[DecisionTaken], today: date) -> int:
    """From the decision history: each pause until the next decision, or until today."""
    days, since = 0, None
    for decision in decisions:
        day = decision.occurred_at.date()
        if since is not None:
            days += (day - since).days
            since = None
        if decision.status_after is Status.PAUSED:
            since = day
    return days + ((today - since).days if since else 0)


@pytest.mark.usefixtures("portfolio_runners")
def test_each_initiative_s_numbers_equal_a_recomputation_from_the_aggregates(
    portfolio: PortfolioStore,
) -> None:
    app, made, dsn = portfolio.app, portfolio.made, portfolio.target.dsn
    until_tracked(dsn, made.head, [progress.VIEW])
    stored = _stored(dsn)
    mapper = MsgspecMapper()
    with psycopg.connect(dsn) as conn:
        log = [(mapper.to_domain_event(e), p) for e, p in events_after(conn, 0, 10**9)]
    in_memory = replay(progress.VIEW, log, batch_size=50)
    assert in_memory.tables[progress.MILESTONES.name] == stored.milestones
    healths = set()
    for initiative_id in made.initiatives:
        initiative = app.get_initiative(initiative_id)
        found = progress_of(stored.initiatives[initiative_id], stored, LATER, RULES)
        milestones = list(initiative.milestones.values())
        by_status = {s: sum(m.status is s for m in milestones) for s in MilestoneStatus}
        assert (found.milestones.total, found.milestones.done, found.milestones.dropped) == (
            len(milestones),
            by_status[MilestoneStatus.COMPLETED],
            by_status[MilestoneStatus.DROPPED],
        )
        counted = len(milestones) - by_status[MilestoneStatus.DROPPED]
        expected_completion = (
            round(100 * by_status[MilestoneStatus.COMPLETED] / counted, 1) if counted else None
        )
        assert found.completion_percent == expected_completion
        later = [s for m in milestones for s in m.slips if s.to_date > s.from_date]
        assert found.slip_count == len(later)
        assert found.slip_days == sum((s.to_date - s.from_date).days for s in later)
        decisions = [
            e for e, _ in log if isinstance(e, DecisionTaken) and e.originator_id == initiative_id
        ]
        assert found.days_paused == _days_paused(decisions, LATER)
        open_ones = [
            m
            for m in milestones
            if m.status in {MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS}
        ]
        # no dependencies in this portfolio: forecasts are the targets
        assert all(
            line.forecast_date == line.target_date
            for line in found.milestone_progress
            if line.status in {MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS}
        )
        if open_ones:
            soonest = min(m.target_date for m in open_ones)
            assert found.next_milestone is not None
            assert found.next_milestone.target_date == soonest
        else:
            assert found.next_milestone is None
        past = [m for m in open_ones if m.target_date < LATER]
        expected_health = (
            "done"
            if initiative.status in {Status.COMPLETED, Status.REJECTED, Status.CANCELLED}
            else "paused"
            if initiative.status is Status.PAUSED
            else "off_track"
            if past or by_status[MilestoneStatus.MISSED]
            else "on_track"
        )
        assert found.health == expected_health, (initiative.status, found.reasons)
        healths.add(found.health)
    assert len(healths) >= 3  # the portfolio has several kinds
