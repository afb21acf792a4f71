"""Progress and health, computed at read time from the progress view's rows and today's date.
Pure, no I/O. The rules (README, *Progress and health*):

Forecast of a milestone: completed, its actual date; dropped, none; otherwise the latest of
its current target and what each dependency allows, from the upstream milestone's actual
date, else its own forecast (transitively), plus the lag in days:
  finish_to_start, finish_to_finish: the upstream milestone's date + lag;
  start_to_start: the day the upstream milestone started (else its date) + lag.
A missed or dropped upstream milestone allows no date (a missed one is a reason of its own).

Health of an initiative: completed, rejected or cancelled → done; paused → paused; else
off_track if a milestone was missed, is past its target, waits on a missed upstream
milestone, or is forecast more than `off_track_days` after its target; at_risk if a
milestone is forecast after its target (by at most that); else on_track. Every reason is
given, worst first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

import msgspec

from roadmap_svc.domain.lifecycle import Status
from roadmap_svc.domain.milestones import DependencyType, MilestoneStatus, Slip
from roadmap_svc.projections.progress import ProgressInitiative, ProgressMilestone

MilestoneKey = tuple[UUID, UUID]  # (initiative id, milestone id)
OPEN = frozenset({MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS})
CLOSED_INITIATIVE = frozenset(
    {Status.COMPLETED.value, Status.REJECTED.value, Status.CANCELLED.value}
)


class Health(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    PAUSED = "paused"
    DONE = "done"


_SEVERITY = {Health.OFF_TRACK: 2, Health.AT_RISK: 1}


@dataclass(frozen=True)
class HealthRules:
    off_track_days: int = 14  # forecast this many days (or more) after target: off track


class Upstream(msgspec.Struct, frozen=True, kw_only=True):
    initiative_id: UUID
    milestone_id: UUID
    title: str


class MilestoneProgress(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    status: MilestoneStatus
    original_target_date: date
    target_date: date
    actual_date: date | None
    started_on: date | None
    forecast_date: date | None  # None: dropped, or held by a missed upstream milestone
    forecast_days_late: int  # forecast after the current target, in days (0: on target)
    days_past_target: int  # today after the target of an open milestone (0: not past)
    driven_by: Upstream | None  # the upstream milestone that sets the forecast, if one does
    delayed_by: Upstream | None  # where that delay starts: driven_by, or further upstream
    slips: tuple[Slip, ...]


class Reason(msgspec.Struct, frozen=True, kw_only=True):
    health: Health
    text: str
    milestone_id: UUID | None = None


class MilestoneCounts(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    done: int
    missed: int
    dropped: int
    open: int


class NextMilestone(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    target_date: date
    forecast_date: date | None


class InitiativeProgress(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    initiative_id: UUID
    title: str
    owner: str
    status: str
    quarter: str | None
    health: Health
    reasons: tuple[Reason, ...]
    milestones: MilestoneCounts
    completion_percent: float | None  # done ÷ (all but dropped); None without milestones
    next_milestone: NextMilestone | None
    slip_count: int  # re-plans that moved a target later
    slip_days: int  # the days they moved it, in all
    days_paused: int  # up to today
    today: date
    position: int
    milestone_progress: tuple[MilestoneProgress, ...]
    # With `as_of`: the last position of the log this answer reflects.
    as_of_position: int | None = None


@dataclass
class Portfolio:
    """The rows a read needs: initiatives by id, milestones by (initiative, milestone)."""

    initiatives: Mapping[UUID, ProgressInitiative]
    milestones: Mapping[MilestoneKey, ProgressMilestone]

    def __post_init__(self) -> None:
        self.by_initiative: dict[UUID, list[ProgressMilestone]] = {}
        for (initiative_id, _), row in self.milestones.items():
            self.by_initiative.setdefault(initiative_id, []).append(row)


class PortfolioNeeds:
    """What a progress read loads, step by step, from whichever rows it reads (live or as
    of a past position): the milestones of the initiatives asked for and, transitively, of
    the initiatives those milestones depend on."""

    def __init__(self, initiatives: list[ProgressInitiative]) -> None:
        self._known = {i.id: i for i in initiatives}
        self._milestones: dict[MilestoneKey, ProgressMilestone] = {}
        self._loaded: set[UUID] = set()
        self.wanted: set[UUID] = set(self._known)  # whose milestones to load next

    def add_milestones(self, found: Iterable[ProgressMilestone]) -> list[UUID]:
        """The milestones of `wanted`; returns the initiatives to load next (upstream)."""
        for row in found:
            self._milestones[(row.initiative_id, row.id)] = row
        self._loaded |= self.wanted
        upstream = {
            d.upstream_initiative_id
            for m in self._milestones.values()
            for d in m.milestone.dependencies
        }
        self.wanted = upstream - self._loaded
        return list(upstream - self._known.keys())

    def add_initiatives(self, found: Iterable[ProgressInitiative]) -> None:
        for row in found:
            self._known[row.id] = row

    def portfolio(self) -> Portfolio:
        return Portfolio(initiatives=self._known, milestones=self._milestones)


@dataclass(frozen=True)
class Forecast:
    day: date | None  # None: dropped
    driver: Upstream | None = None  # the upstream milestone that sets it, if one does
    cause: Upstream | None = None  # where that delay starts (the driver's own cause, if any)
    missed: tuple[Upstream, ...] = ()  # missed upstream milestones, transitively


class Forecaster:
    """Forecasts of every milestone reachable from the ones asked about, each computed once."""

    def __init__(self, portfolio: Portfolio) -> None:
        self._portfolio = portfolio
        self._done: dict[MilestoneKey, Forecast] = {}

    def forecast(self, key: MilestoneKey) -> Forecast:
        if key in self._done:
            return self._done[key]
        self._done[key] = Forecast(None)  # a cycle (the domain forbids them) ends here
        row = self._portfolio.milestones.get(key)
        if row is None or row.milestone.status is MilestoneStatus.DROPPED:
            result = Forecast(None)
        elif row.milestone.status is MilestoneStatus.COMPLETED:
            result = Forecast(row.milestone.actual_date)
        else:
            result = self._open(row)
        self._done[key] = result
        return result

    def _open(self, row: ProgressMilestone) -> Forecast:
        best = row.milestone.target_date
        driver: Upstream | None = None
        cause: Upstream | None = None
        missed: list[Upstream] = []
        for dependency in row.milestone.dependencies:
            up_key = (dependency.upstream_initiative_id, dependency.upstream_milestone_id)
            upstream = self._portfolio.milestones.get(up_key)
            if upstream is None:
                continue
            named = Upstream(
                initiative_id=up_key[0], milestone_id=up_key[1], title=upstream.milestone.title
            )
            if upstream.milestone.status is MilestoneStatus.MISSED:
                missed.append(named)
                continue
            up = self.forecast(up_key)
            missed.extend(up.missed)
            up_date = up.day
            if dependency.type is DependencyType.START_TO_START and upstream.started_on:
                up_date = upstream.started_on
            if up_date is None:
                continue
            allowed = up_date + timedelta(days=dependency.lag_days)
            if allowed > best:
                best, driver, cause = allowed, named, up.cause or named
        return Forecast(best, driver, cause, tuple(missed))


def progress_of(
    initiative: ProgressInitiative,
    portfolio: Portfolio,
    today: date,
    rules: HealthRules,
    forecaster: Forecaster | None = None,
) -> InitiativeProgress:
    forecaster = forecaster or Forecaster(portfolio)
    own = sorted(
        portfolio.by_initiative.get(initiative.id, ()),
        key=lambda m: (m.milestone.original_target_date, m.position),
    )
    lines: list[MilestoneProgress] = []
    reasons: list[Reason] = []
    for row in own:
        line, found = _milestone(row, portfolio, forecaster, today, rules)
        lines.append(line)
        reasons.extend(found)
    counts = MilestoneCounts(
        total=len(lines),
        done=sum(m.status is MilestoneStatus.COMPLETED for m in lines),
        missed=sum(m.status is MilestoneStatus.MISSED for m in lines),
        dropped=sum(m.status is MilestoneStatus.DROPPED for m in lines),
        open=sum(m.status in OPEN for m in lines),
    )
    counted = counts.total - counts.dropped
    upcoming = sorted(
        (m for m in lines if m.status in OPEN),
        key=lambda m: (m.forecast_date or m.target_date, m.target_date),
    )
    slips = [s for m in lines for s in m.slips if s.to_date > s.from_date]
    paused = initiative.days_paused_before + (
        (today - initiative.paused_since).days if initiative.paused_since else 0
    )
    health, reasons = _health(initiative, reasons)
    return InitiativeProgress(
        initiative_id=initiative.id,
        title=initiative.title,
        owner=initiative.owner,
        status=initiative.status,
        quarter=initiative.quarter,
        health=health,
        reasons=tuple(reasons),
        milestones=counts,
        completion_percent=round(100 * counts.done / counted, 1) if counted else None,
        next_milestone=None
        if not upcoming
        else NextMilestone(
            id=upcoming[0].id,
            title=upcoming[0].title,
            target_date=upcoming[0].target_date,
            forecast_date=upcoming[0].forecast_date,
        ),
        slip_count=len(slips),
        slip_days=sum((s.to_date - s.from_date).days for s in slips),
        days_paused=max(paused, 0),
        today=today,
        position=initiative.position,
        milestone_progress=tuple(lines),
    )


def _milestone(
    row: ProgressMilestone,
    portfolio: Portfolio,
    forecaster: Forecaster,
    today: date,
    rules: HealthRules,
) -> tuple[MilestoneProgress, list[Reason]]:
    milestone = row.milestone
    found = forecaster.forecast((row.initiative_id, row.id))
    forecast, driver, missed_upstream = found.day, found.driver, found.missed
    is_open = milestone.status in OPEN
    late = (forecast - milestone.target_date).days if forecast and is_open else 0
    past = (today - milestone.target_date).days if is_open else 0
    reasons = []
    if milestone.status is MilestoneStatus.MISSED:
        reasons.append(_reason(Health.OFF_TRACK, f"milestone {milestone.title} was missed", row))
    if past > 0:
        reasons.append(
            _reason(
                Health.OFF_TRACK,
                f"milestone {milestone.title} is {_days(past)} past its target",
                row,
            )
        )
    if is_open:
        reasons.extend(
            _reason(
                Health.OFF_TRACK,
                f"upstream milestone {upstream.title} of initiative"
                f" {_title(portfolio, upstream.initiative_id)} was missed"
                f" (milestone {milestone.title} depends on it)",
                row,
            )
            for upstream in missed_upstream
        )
    if late > 0:
        held = ""
        if found.cause is not None:
            held = (
                f", held by upstream milestone {found.cause.title} of initiative"
                f" {_title(portfolio, found.cause.initiative_id)}"
            )
            if driver is not None and driver != found.cause:
                held += f" (through milestone {driver.title})"
        level = Health.OFF_TRACK if late >= rules.off_track_days else Health.AT_RISK
        reasons.append(
            _reason(
                level,
                f"milestone {milestone.title}: forecast {_days(late)} after target{held}",
                row,
            )
        )
    line = MilestoneProgress(
        id=row.id,
        title=milestone.title,
        status=milestone.status,
        original_target_date=milestone.original_target_date,
        target_date=milestone.target_date,
        actual_date=milestone.actual_date,
        started_on=row.started_on,
        forecast_date=forecast,
        forecast_days_late=max(late, 0),
        days_past_target=max(past, 0),
        driven_by=driver,
        delayed_by=found.cause,
        slips=milestone.slips,
    )
    return line, reasons


def _health(initiative: ProgressInitiative, reasons: list[Reason]) -> tuple[Health, list[Reason]]:
    if initiative.status in CLOSED_INITIATIVE:
        return Health.DONE, [
            Reason(health=Health.DONE, text=f"the initiative is {initiative.status}")
        ]
    if initiative.status == Status.PAUSED.value:
        since = f" since {initiative.paused_since}" if initiative.paused_since else ""
        return Health.PAUSED, [Reason(health=Health.PAUSED, text=f"paused{since}"), *reasons]
    if not reasons:
        return Health.ON_TRACK, []
    reasons.sort(key=lambda r: -_SEVERITY.get(r.health, 0))
    return reasons[0].health, reasons


def _reason(health: Health, text: str, row: ProgressMilestone) -> Reason:
    return Reason(health=health, text=text, milestone_id=row.id)


def _title(portfolio: Portfolio, initiative_id: UUID) -> str:
    found = portfolio.initiatives.get(initiative_id)
    return found.title if found else str(initiative_id)


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"
