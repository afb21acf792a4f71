"""MsgspecMapper and the planning events: milestones, dependencies, assignments, metrics,
external keys, teams, team names and the milestone graph come back with the types they had."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.domain import Aggregate

from roadmap_svc.domain.assignments import AssignmentChanged, AssignmentReleased, TeamAssigned
from roadmap_svc.domain.baselines import (
    BaselineAllocation,
    BaselineInitiative,
    BaselineMilestone,
    BaselineStanding,
    BaselineTaken,
    BaselineTeam,
    PlanSnapshot,
    QuarterBaselines,
    QuarterBaselinesOpened,
)
from roadmap_svc.domain.dependency_graph import (
    GRAPH_ID,
    MilestoneGraph,
    MilestoneGraphEdgeAdded,
    MilestoneGraphEdgeRemoved,
    MilestoneGraphStarted,
)
from roadmap_svc.domain.details import InitiativeProposed
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.external_links import ExternalKeyLinked
from roadmap_svc.domain.external_refs import ExternalRef, ExternalRefLinked
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.metrics import Direction, MeasurementRecorded, MetricDefined
from roadmap_svc.domain.milestones import (
    DependencyType,
    MilestoneAdded,
    MilestoneCompleted,
    MilestoneDependencyAdded,
    MilestoneDependencyRemoved,
    MilestoneDropped,
    MilestoneMissed,
    MilestoneReplanned,
    MilestoneStarted,
    MilestoneStatus,
)
from roadmap_svc.domain.team import (
    Team,
    TeamCapacitySet,
    TeamRegistered,
    TeamRenamed,
    TeamWipLimitSet,
)
from roadmap_svc.domain.team_names import (
    TeamName,
    TeamNameClaimed,
    TeamNameReclaimed,
    TeamNameReleased,
)
from roadmap_svc.storage.transcoder import MsgspecMapper

TODAY = date(2026, 5, 14)
TARGET = date(2026, 9, 30)
LATER = date(2026, 11, 15)
# History imported from another tool: the upstream initiative and the team (in order).
IMPORTED_AT = datetime(2021, 3, 2, 8, 0, tzinfo=UTC)
A = TypeVar("A", bound=Aggregate)


def _meta(reason: str | None = None, occurred_at: datetime | None = None) -> EventMeta:
    return EventMeta(actor="ada", reason=reason, request_id="req-77", occurred_at=occurred_at)


def _imported(days: int, reason: str | None = None) -> EventMeta:
    return _meta(reason, IMPORTED_AT + timedelta(days=days))


def _propose(title: str, meta: EventMeta | None = None) -> Initiative:
    return Initiative.propose(
        title=title,
        problem_statement="A problem.",
        business_case="A case.",
        owner="grace",
        sponsor=None,
        tags=["planning"],
        meta=meta or _meta("pitch"),
    )


class History:
    """Aggregates whose events together cover every planning event type (none collected)."""

    def __init__(self) -> None:
        upstream = _propose("Upstream API", _imported(0, "pitch"))
        self.upstream = upstream
        api = upstream.add_milestone(
            title="API ready",
            success_criteria="contract tests green",
            target_date=TODAY,
            meta=_imported(1),
        ).id
        upstream.replan_milestone(api, to_date=TARGET, reason="scope grew", meta=_imported(7))

        planned = _propose("Checkout")
        self.initiative = planned
        graph = MilestoneGraph.start(_meta())
        self.graph = graph
        beta = planned.add_milestone(
            title="Beta", success_criteria="10% traffic", target_date=TARGET, meta=_meta()
        ).id
        ga = planned.add_milestone(
            title="GA", success_criteria="100% traffic", target_date=LATER, meta=_meta()
        ).id
        late = planned.add_milestone(
            title="Docs", success_criteria="published", target_date=TARGET, meta=_meta()
        ).id
        gone = planned.add_milestone(
            title="Legacy import", success_criteria="all rows", target_date=TARGET, meta=_meta()
        ).id
        self.milestone_ids = (beta, ga, late, gone)
        planned.replan_milestone(beta, to_date=LATER, reason="vendor late", meta=_meta("slip"))
        planned.start_milestone(beta, _meta())
        planned.complete_milestone(beta, actual_date=TODAY, today=TODAY, meta=_meta())
        planned.miss_milestone(late, reason="writer ill", meta=_meta())
        planned.miss_milestone(ga, reason=None, meta=_meta())
        planned.drop_milestone(gone, reason="descoped", meta=_meta())
        on_api = (
            planned.add_dependency(
                ga,
                upstream_initiative_id=upstream.id,
                upstream=upstream.milestones[api],
                type=DependencyType.FINISH_TO_FINISH,
                lag_days=-14,
                graph=graph,
                meta=_meta(),
            )
            .dependencies[-1]
            .id
        )
        planned.add_dependency(
            late,
            upstream_initiative_id=planned.id,
            upstream=planned.milestones[ga],
            type=DependencyType.START_TO_START,
            lag_days=3,
            graph=graph,
            meta=_meta(),
        )
        planned.remove_dependency(ga, on_api, graph=graph, meta=_meta())

        team = Team.register(name="Payments", wip_limit=3, meta=_imported(0))
        self.team = team
        team.rename("Payments Platform", _imported(1))
        team.set_capacity("2026-q3", 6.5, _imported(1))  # at the same time: still in order
        team.set_capacity("2026-Q4", 8, _imported(2))
        team.set_capacity("2026-Q3", 7.25, _imported(3))
        team.set_wip_limit(None, _imported(3))
        team.set_wip_limit(5, _meta())  # recorded now, after the imported history

        lead = planned.assign_team(
            team_id=team.id,
            quarter="2026-Q3",
            fte=2.5,
            person="Ada",
            role="tech lead",
            meta=_meta(),
        ).id
        whole_team = planned.assign_team(
            team_id=team.id, quarter="2026-Q4", fte=4.0, person=None, role=None, meta=_meta()
        ).id
        planned.change_assignment(lead, {"fte": 1.5, "role": None}, _meta())
        planned.change_assignment(lead, {"person": "Grace"}, _meta())
        planned.release_assignment(whole_team, reason="moved to search", meta=_meta())

        metric = planned.define_metric(
            name="Checkout time",
            unit="s",
            baseline=9.0,
            target=3.0,
            direction=Direction.LOWER_IS_BETTER,
            meta=_meta(),
        ).id
        planned.define_metric(
            name="Conversion",
            unit="%",
            baseline=2.5,
            target=3.25,
            direction=Direction.HIGHER_IS_BETTER,
            meta=_meta(),
        )
        planned.record_measurement(
            metric, value=7.25, measured_on=TODAY, note="after CDN", today=TODAY, meta=_meta()
        )
        planned.record_measurement(
            metric, value=6.0, measured_on=TODAY, note=None, today=TODAY, meta=_meta()
        )
        planned.link_external_key(
            system="jira", key="PROJ-1", url=None, milestone_id=None, meta=_meta()
        )
        planned.link_external_key(
            system="jira",
            key="PROJ-2",
            url="https://jira.example.com/browse/PROJ-2",
            milestone_id=beta,
            meta=_meta(),
        )

        old, new = uuid4(), team.id
        claim = TeamName.claim_new("Payments", old, _meta())
        self.claim = claim
        claim.release(old, _meta())
        claim.claim("PAYMENTS", new, _meta("rename"))

        self.baselines = _baselines(planned, team.id, beta)

        self.refs = (
            ExternalRef.link(
                system="jira",
                key="PROJ-1",
                url=None,
                initiative_id=planned.id,
                milestone_id=None,
                meta=_meta(),
            ),
            ExternalRef.link(
                system="jira",
                key="PROJ-2",
                url="https://jira.example.com/browse/PROJ-2",
                initiative_id=planned.id,
                milestone_id=beta,
                meta=_meta(),
            ),
        )

    def aggregates(self) -> tuple[Aggregate, ...]:
        return (
            self.upstream,
            self.initiative,
            self.graph,
            self.team,
            self.claim,
            self.baselines,
            *self.refs,
        )


def _baselines(planned: Initiative, team_id: UUID, beta: UUID) -> QuarterBaselines:
    slip = planned.milestones[beta].slips
    assert slip, "a baseline keeps the re-plans before it"
    baselines = QuarterBaselines.open("2027-Q1", _meta())
    baselines.take(
        "Kick-off",
        "as agreed",
        PlanSnapshot(
            quarter="2027-Q1",
            position=41,
            totals={"initiatives": 1.0, "load_percent": None},
            initiatives=(
                BaselineInitiative(
                    id=planned.id,
                    title="Checkout",
                    status="approved",
                    candidate=False,
                    fte=1.5,
                    teams=(BaselineAllocation(team_id=team_id, fte=1.5),),
                ),
            ),
            teams=(BaselineTeam(id=team_id, name="Payments", capacity_fte=4.0, allocated_fte=1.5),),
            milestones=(
                BaselineMilestone(
                    initiative_id=planned.id,
                    id=beta,
                    title="Beta",
                    target_date=LATER,
                    status="planned",
                    slips=slip,
                ),
            ),
            standings=(
                BaselineStanding(
                    id=planned.id, title="Checkout", status="approved", quarter="2027-Q1"
                ),
            ),
        ),
        _meta(),
    )
    return baselines


def _events_of(aggregate: Aggregate) -> list[Aggregate.Event]:
    events = list(aggregate.collect_events())
    assert all(isinstance(e, Aggregate.Event) for e in events)
    return [e for e in events if isinstance(e, Aggregate.Event)]


def _all_events() -> list[Aggregate.Event]:
    history = History()
    events: list[Aggregate.Event] = []
    for aggregate in history.aggregates():
        events.extend(_events_of(aggregate))
    return events


EVENTS = _all_events()
EVENT_TYPES: frozenset[type[Aggregate.Event]] = frozenset(
    {
        InitiativeProposed,
        MilestoneAdded,
        MilestoneReplanned,
        MilestoneStarted,
        MilestoneCompleted,
        MilestoneMissed,
        MilestoneDropped,
        MilestoneDependencyAdded,
        MilestoneDependencyRemoved,
        TeamAssigned,
        AssignmentChanged,
        AssignmentReleased,
        MetricDefined,
        MeasurementRecorded,
        ExternalKeyLinked,
        TeamRegistered,
        TeamRenamed,
        TeamCapacitySet,
        TeamWipLimitSet,
        TeamNameClaimed,
        TeamNameReleased,
        TeamNameReclaimed,
        MilestoneGraphStarted,
        MilestoneGraphEdgeAdded,
        MilestoneGraphEdgeRemoved,
        ExternalRefLinked,
        QuarterBaselinesOpened,
        BaselineTaken,
    }
)


def _round_trip(domain_event: Aggregate.Event) -> Any:
    mapper = MsgspecMapper()
    return mapper.to_domain_event(mapper.to_stored_event(domain_event))


def _assert_same_types(restored: object, original: object, where: str) -> None:
    assert type(restored) is type(original), f"{where}: {type(restored)} != {type(original)}"
    if isinstance(original, tuple):
        assert isinstance(restored, tuple)
        assert len(restored) == len(original), where
        for index, (r, o) in enumerate(zip(restored, original, strict=True)):
            _assert_same_types(r, o, f"{where}[{index}]")
    elif isinstance(original, msgspec.Struct):
        for field in original.__struct_fields__:
            _assert_same_types(
                getattr(restored, field), getattr(original, field), f"{where}.{field}"
            )
    elif isinstance(original, datetime):
        assert isinstance(restored, datetime)
        assert restored.utcoffset() == original.utcoffset(), where


def _decoded(events: Sequence[Aggregate.Event], kind: type[A]) -> A:
    """Rebuild an aggregate from its events after a trip through storage."""
    aggregate: A | None = None
    for domain_event in events:
        aggregate = _round_trip(domain_event).mutate(aggregate)
    assert isinstance(aggregate, kind)
    return aggregate


def test_the_events_cover_every_planning_event_type() -> None:
    assert {type(e) for e in EVENTS} == EVENT_TYPES


def test_the_events_include_imported_ones_with_their_occurred_time() -> None:
    imported = [e for e in EVENTS if isinstance(e, RoadmapEvent) and e.meta.occurred_at]
    assert {type(e) for e in imported} == {
        InitiativeProposed,
        MilestoneAdded,
        MilestoneReplanned,
        TeamRegistered,
        TeamRenamed,
        TeamCapacitySet,
        TeamWipLimitSet,
    }


@pytest.mark.parametrize("domain_event", EVENTS, ids=lambda e: type(e).__qualname__)
def test_event_survives_the_round_trip_with_equal_values_and_types(
    domain_event: Aggregate.Event,
) -> None:
    restored = _round_trip(domain_event)

    assert type(restored) is type(domain_event)
    assert vars(restored) == vars(domain_event)
    assert (restored.originator_id, restored.originator_version) == (
        domain_event.originator_id,
        domain_event.originator_version,
    )
    for name, value in vars(domain_event).items():
        _assert_same_types(vars(restored)[name], value, f"{type(domain_event).__qualname__}.{name}")


@pytest.mark.parametrize("domain_event", EVENTS, ids=lambda e: type(e).__qualname__)
def test_the_derived_type_name_and_occurred_time_survive_the_round_trip(
    domain_event: Aggregate.Event,
) -> None:
    assert isinstance(domain_event, RoadmapEvent)
    restored = _round_trip(domain_event)

    assert restored.type_name == domain_event.type_name == type(domain_event).__name__
    assert restored.occurred_at == domain_event.occurred_at
    assert type(restored.occurred_at) is datetime
    if domain_event.meta.occurred_at is None:
        assert restored.meta.occurred_at is None
        assert restored.occurred_at == restored.timestamp
    else:
        assert type(restored.meta.occurred_at) is datetime
        assert restored.occurred_at < restored.timestamp  # happened before it was recorded


def test_stored_topics_name_the_defining_modules() -> None:
    mapper = MsgspecMapper()
    topics = {type(e): mapper.to_stored_event(e).topic for e in EVENTS}

    assert topics[MilestoneAdded] == "roadmap_svc.domain.milestones:MilestoneAdded"
    assert topics[TeamAssigned] == "roadmap_svc.domain.assignments:TeamAssigned"
    assert topics[TeamCapacitySet] == "roadmap_svc.domain.team:TeamCapacitySet"
    assert topics[MilestoneGraphEdgeAdded] == (
        "roadmap_svc.domain.dependency_graph:MilestoneGraphEdgeAdded"
    )
    assert topics[ExternalRefLinked] == "roadmap_svc.domain.external_refs:ExternalRefLinked"
    assert topics[ExternalKeyLinked] == "roadmap_svc.domain.external_links:ExternalKeyLinked"
    assert topics[TeamNameClaimed] == "roadmap_svc.domain.team_names:TeamNameClaimed"
    assert topics == {kind: f"{kind.__module__}:{kind.__qualname__}" for kind in EVENT_TYPES}


def _restored(kind: type[Aggregate.Event]) -> list[Any]:
    return [_round_trip(e) for e in EVENTS if type(e) is kind]


def test_dates_uuids_and_meta_keep_their_types() -> None:
    (imported_added, added, *_) = _restored(MilestoneAdded)
    assert type(added.target_date) is date
    assert type(added.milestone_id) is UUID
    assert type(added.meta) is EventMeta
    assert added.meta == _meta()
    assert imported_added.meta == _imported(1)
    assert type(imported_added.meta.occurred_at) is datetime

    (imported_replan, replanned) = _restored(MilestoneReplanned)
    assert (replanned.from_date, replanned.to_date) == (TARGET, LATER)
    assert type(replanned.from_date) is date
    assert type(replanned.to_date) is date
    assert replanned.meta.reason == "slip"
    assert (imported_replan.from_date, imported_replan.to_date) == (TODAY, TARGET)
    assert imported_replan.occurred_at == IMPORTED_AT + timedelta(days=7)

    (completed,) = _restored(MilestoneCompleted)
    assert completed.actual_date == TODAY
    assert type(completed.actual_date) is date

    (measured, _) = _restored(MeasurementRecorded)
    assert measured.measured_on == TODAY
    assert type(measured.measured_on) is date
    assert type(measured.metric_id) is UUID
    assert (measured.value, measured.note) == (7.25, "after CDN")
    assert (measured.name, measured.unit, measured.baseline, measured.target) == (
        "Checkout time",
        "s",
        9.0,
        3.0,
    )
    assert type(measured.direction) is Direction

    for restored in _restored(MilestoneGraphEdgeAdded) + _restored(MilestoneGraphEdgeRemoved):
        assert type(restored.upstream) is UUID
        assert type(restored.downstream) is UUID
    for restored in (
        _restored(TeamNameClaimed) + _restored(TeamNameReclaimed) + _restored(TeamNameReleased)
    ):
        assert type(restored.team_id) is UUID


def test_enums_stay_enums() -> None:
    added = _restored(MilestoneDependencyAdded)
    assert [d.type for d in added] == [
        DependencyType.FINISH_TO_FINISH,
        DependencyType.START_TO_START,
    ]
    assert all(type(d.type) is DependencyType for d in added)
    assert [d.lag_days for d in added] == [-14, 3]
    assert all(type(d.upstream_initiative_id) is UUID for d in added)

    defined = _restored(MetricDefined)
    assert [m.direction for m in defined] == [
        Direction.LOWER_IS_BETTER,
        Direction.HIGHER_IS_BETTER,
    ]
    assert all(type(m.direction) is Direction for m in defined)


def test_optional_values_and_tuples_keep_their_types() -> None:
    # A change carries the whole assignment after it and what it was before.
    first_change, second_change = _restored(AssignmentChanged)
    assert (first_change.fte, first_change.person, first_change.role) == (1.5, "Ada", None)
    assert (first_change.old_fte, first_change.old_person, first_change.old_role) == (
        2.5,
        "Ada",
        "tech lead",
    )
    assert type(first_change.fte) is float
    assert type(first_change.old_fte) is float
    assert (second_change.fte, second_change.person, second_change.role) == (1.5, "Grace", None)
    assert (second_change.old_fte, second_change.old_person, second_change.old_role) == (
        1.5,
        "Ada",
        None,
    )
    assert (type(first_change.team_id), first_change.quarter) == (UUID, "2026-Q3")

    lead, whole_team = _restored(TeamAssigned)
    assert (lead.person, lead.role, lead.fte, lead.quarter) == ("Ada", "tech lead", 2.5, "2026-Q3")
    assert (whole_team.person, whole_team.role) == (None, None)
    assert type(lead.team_id) is UUID
    assert (lead.old_fte, whole_team.old_fte, whole_team.fte) == (0.0, 0.0, 4.0)
    assert type(lead.old_fte) is float

    (released,) = _restored(AssignmentReleased)
    assert (released.person, released.role, released.quarter) == (None, None, "2026-Q4")
    assert (released.old_fte, released.fte, released.reason) == (4.0, 0.0, "moved to search")
    assert type(released.fte) is float
    assert type(released.team_id) is UUID

    missed_with_reason, missed_without = _restored(MilestoneMissed)
    assert (missed_with_reason.reason, missed_without.reason) == ("writer ill", None)

    initiative_link, milestone_link = _restored(ExternalKeyLinked)
    assert (initiative_link.milestone_id, initiative_link.url) == (None, None)
    assert initiative_link.milestone_title is None
    assert type(milestone_link.milestone_id) is UUID
    assert milestone_link.url == "https://jira.example.com/browse/PROJ-2"
    assert milestone_link.milestone_title == "Beta"

    wip_none, wip_five = _restored(TeamWipLimitSet)
    assert (wip_none.wip_limit, wip_five.wip_limit) == (None, 5)
    assert (wip_none.old_wip_limit, wip_five.old_wip_limit) == (3, None)
    assert wip_five.name == "Payments Platform"

    # The first capacity of a quarter had none before it; a later one names the old FTE.
    first_q3, first_q4, second_q3 = _restored(TeamCapacitySet)
    assert (first_q3.quarter, first_q3.old_fte, first_q3.fte) == ("2026-Q3", None, 6.5)
    assert (first_q4.quarter, first_q4.old_fte, first_q4.fte) == ("2026-Q4", None, 8.0)
    assert (second_q3.quarter, second_q3.old_fte, second_q3.fte) == ("2026-Q3", 6.5, 7.25)
    assert type(second_q3.old_fte) is float
    assert type(first_q4.fte) is float
    assert first_q3.name == "Payments Platform"

    (renamed,) = _restored(TeamRenamed)
    assert (renamed.old_name, renamed.new_name) == ("Payments", "Payments Platform")

    linked = _restored(ExternalRefLinked)
    assert [r.milestone_id is None for r in linked] == [True, False]
    assert all(type(r.initiative_id) is UUID for r in linked)


def test_the_timestamp_stays_an_aware_datetime() -> None:
    for domain_event in EVENTS:
        restored = _round_trip(domain_event)
        assert type(restored.timestamp) is datetime
        assert restored.timestamp == domain_event.timestamp
        assert restored.timestamp.tzinfo is not None


# ---- replay after storage -----------------------------------------------------------------


def test_decoded_events_rebuild_the_same_initiative() -> None:
    history = History()
    events = _events_of(history.initiative)

    rebuilt = _decoded(events, Initiative)

    assert vars(rebuilt) == vars(history.initiative)
    assert rebuilt == history.initiative
    beta, ga, late, gone = history.milestone_ids
    assert [rebuilt.milestones[m].status for m in (beta, ga, late, gone)] == [
        MilestoneStatus.COMPLETED,
        MilestoneStatus.MISSED,
        MilestoneStatus.MISSED,
        MilestoneStatus.DROPPED,
    ]
    (slip,) = rebuilt.milestones[beta].slips
    assert (slip.from_date, slip.to_date, slip.reason) == (TARGET, LATER, "vendor late")
    assert type(slip.from_date) is date
    assert rebuilt.milestones[ga].dependencies == ()
    (dependency,) = rebuilt.milestones[late].dependencies
    assert type(dependency.type) is DependencyType
    assert len(rebuilt.assignments) == 2
    assert {a.person for a in rebuilt.assignments.values()} == {"Grace", None}
    assert sum(len(m.measurements) for m in rebuilt.metrics.values()) == 2
    assert [link.key for link in rebuilt.external_links] == ["PROJ-1", "PROJ-2"]
    lead = next(a for a in rebuilt.assignments.values() if not a.released)
    assert (lead.fte, lead.person, lead.role) == (1.5, "Grace", None)
    (measured,) = [m for m in rebuilt.metrics.values() if m.measurements]
    assert [m.recorded_by for m in measured.measurements] == ["ada", "ada"]
    assert all(type(m.recorded_at) is datetime for m in measured.measurements)


def test_decoded_imported_events_rebuild_the_same_initiative() -> None:
    history = History()

    rebuilt = _decoded(_events_of(history.upstream), Initiative)

    assert vars(rebuilt) == vars(history.upstream)
    assert rebuilt == history.upstream
    (api,) = rebuilt.milestones.values()
    (slip,) = api.slips
    # A slip keeps when it happened apart from when it was recorded.
    assert slip.occurred_at == IMPORTED_AT + timedelta(days=7)
    assert slip.recorded_at > slip.occurred_at
    assert type(slip.occurred_at) is datetime
    assert rebuilt.last_occurred_at == IMPORTED_AT + timedelta(days=7)


def test_decoded_events_rebuild_the_same_team() -> None:
    history = History()

    rebuilt = _decoded(_events_of(history.team), Team)

    assert vars(rebuilt) == vars(history.team)
    assert rebuilt == history.team
    assert (rebuilt.name, rebuilt.wip_limit) == ("Payments Platform", 5)
    assert rebuilt.capacity == {"2026-Q3": 7.25, "2026-Q4": 8}
    assert all(type(fte) is float for fte in rebuilt.capacity.values())


def test_decoded_events_rebuild_the_graph_the_claim_and_the_refs() -> None:
    history = History()

    graph = _decoded(_events_of(history.graph), MilestoneGraph)
    claim = _decoded(_events_of(history.claim), TeamName)
    refs = [_decoded(_events_of(ref), ExternalRef) for ref in history.refs]

    assert vars(graph) == vars(history.graph)
    assert graph == history.graph
    assert graph.id == GRAPH_ID
    assert vars(claim) == vars(history.claim)
    assert claim == history.claim
    assert (claim.name, claim.holder) == ("PAYMENTS", history.team.id)
    assert [vars(r) for r in refs] == [vars(r) for r in history.refs]
    assert refs == list(history.refs)
    assert [r.target for r in refs] == [r.target for r in history.refs]
    assert all(type(node) is UUID for downs in graph.downstream_of.values() for node in downs)
