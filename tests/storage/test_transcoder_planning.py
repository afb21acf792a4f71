"""MsgspecMapper and the planning events: milestones, dependencies, assignments, metrics,
external keys, teams, team names and the milestone graph come back with the types they had."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.domain import Aggregate

from roadmap_svc.domain.assignments import AssignmentChanged, AssignmentReleased, TeamAssigned
from roadmap_svc.domain.dependency_graph import MilestoneGraph
from roadmap_svc.domain.external_refs import ExternalKeyLinked, ExternalRef
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.metrics import Direction, MeasurementRecorded, MetricDefined
from roadmap_svc.domain.milestone_events import (
    MilestoneAdded,
    MilestoneCompleted,
    MilestoneDependencyAdded,
    MilestoneDependencyRemoved,
    MilestoneDropped,
    MilestoneMissed,
    MilestoneReplanned,
    MilestoneStarted,
)
from roadmap_svc.domain.milestones import DependencyType, MilestoneStatus
from roadmap_svc.domain.team import Team
from roadmap_svc.domain.team_names import TeamName
from roadmap_svc.storage.transcoder import MsgspecMapper

TODAY = date(2026, 5, 14)
TARGET = date(2026, 9, 30)
LATER = date(2026, 11, 15)
A = TypeVar("A", bound=Aggregate)


def _meta(reason: str | None = None) -> EventMeta:
    return EventMeta(actor="ada", reason=reason, request_id="req-77")


def _propose(title: str) -> Initiative:
    return Initiative.propose(
        title=title,
        problem_statement="A problem.",
        business_case="A case.",
        owner="grace",
        sponsor=None,
        tags=["planning"],
        meta=_meta("pitch"),
    )


class History:
    """Aggregates whose events together cover every planning event type (none collected)."""

    def __init__(self) -> None:
        upstream = _propose("Upstream API")
        self.upstream = upstream
        api = upstream.add_milestone(
            title="API ready",
            success_criteria="contract tests green",
            target_date=TARGET,
            meta=_meta(),
        )

        planned = _propose("Checkout")
        self.initiative = planned
        graph = MilestoneGraph()
        self.graph = graph
        beta = planned.add_milestone(
            title="Beta", success_criteria="10% traffic", target_date=TARGET, meta=_meta()
        )
        ga = planned.add_milestone(
            title="GA", success_criteria="100% traffic", target_date=LATER, meta=_meta()
        )
        late = planned.add_milestone(
            title="Docs", success_criteria="published", target_date=TARGET, meta=_meta()
        )
        gone = planned.add_milestone(
            title="Legacy import", success_criteria="all rows", target_date=TARGET, meta=_meta()
        )
        self.milestone_ids = (beta, ga, late, gone)
        planned.replan_milestone(beta, to_date=LATER, reason="vendor late", meta=_meta("slip"))
        planned.start_milestone(beta, _meta())
        planned.complete_milestone(beta, actual_date=TODAY, today=TODAY, meta=_meta())
        planned.miss_milestone(late, reason="writer ill", meta=_meta())
        planned.miss_milestone(ga, reason=None, meta=_meta())
        planned.drop_milestone(gone, reason="descoped", meta=_meta())
        on_api = planned.add_dependency(
            ga,
            upstream_initiative_id=upstream.id,
            upstream=upstream.milestones[api],
            type=DependencyType.FINISH_TO_FINISH,
            lag_days=-14,
            graph=graph,
            meta=_meta(),
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

        team = Team.register(name="Payments", wip_limit=3, meta=_meta())
        self.team = team
        team.rename("Payments Platform", _meta())
        team.set_capacity("2026-q3", 6.5, _meta())
        team.set_capacity("2026-Q4", 8, _meta())
        team.set_wip_limit(None, _meta())
        team.set_wip_limit(5, _meta())

        lead = planned.assign_team(
            team_id=team.id,
            quarter="2026-Q3",
            fte=2.5,
            person="Ada",
            role="tech lead",
            meta=_meta(),
        )
        whole_team = planned.assign_team(
            team_id=team.id, quarter="2026-Q4", fte=4.0, person=None, role=None, meta=_meta()
        )
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
        )
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
        claim = TeamName(name="Payments", team_id=old)
        self.claim = claim
        claim.release(old)
        claim.claim("PAYMENTS", new)

        self.refs = (
            ExternalRef(
                system="jira",
                key="PROJ-1",
                url=None,
                initiative_id=planned.id,
                milestone_id=None,
                meta=_meta(),
            ),
            ExternalRef(
                system="jira",
                key="PROJ-2",
                url="https://jira.example.com/browse/PROJ-2",
                initiative_id=planned.id,
                milestone_id=beta,
                meta=_meta(),
            ),
        )

    def aggregates(self) -> tuple[Aggregate, ...]:
        return (self.initiative, self.graph, self.team, self.claim, *self.refs)


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
        Team.Registered,
        Team.Renamed,
        Team.CapacitySet,
        Team.WipLimitSet,
        TeamName.Claimed,
        TeamName.Released,
        TeamName.Reclaimed,
        MilestoneGraph.Started,
        MilestoneGraph.EdgeAdded,
        MilestoneGraph.EdgeRemoved,
        ExternalRef.Linked,
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


def _decoded(events: Sequence[Aggregate.Event], kind: type[A]) -> A:
    """Rebuild an aggregate from its events after a trip through storage."""
    aggregate: A | None = None
    for domain_event in events:
        aggregate = _round_trip(domain_event).mutate(aggregate)
    assert isinstance(aggregate, kind)
    return aggregate


def test_the_events_cover_every_planning_event_type() -> None:
    assert {type(e) for e in EVENTS} - {Initiative.Proposed} == EVENT_TYPES


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


def test_stored_topics_name_the_defining_modules() -> None:
    mapper = MsgspecMapper()
    topics = {type(e): mapper.to_stored_event(e).topic for e in EVENTS}

    assert topics[MilestoneAdded] == "roadmap_svc.domain.milestone_events:MilestoneAdded"
    assert topics[TeamAssigned] == "roadmap_svc.domain.assignments:TeamAssigned"
    assert topics[Team.CapacitySet] == "roadmap_svc.domain.team:Team.CapacitySet"
    assert topics[MilestoneGraph.EdgeAdded] == (
        "roadmap_svc.domain.dependency_graph:MilestoneGraph.EdgeAdded"
    )
    assert topics[ExternalRef.Linked] == "roadmap_svc.domain.external_refs:ExternalRef.Linked"


def _restored(kind: type[Aggregate.Event]) -> list[Any]:
    return [_round_trip(e) for e in EVENTS if type(e) is kind]


def test_dates_uuids_and_meta_keep_their_types() -> None:
    (added, *_) = _restored(MilestoneAdded)
    assert type(added.target_date) is date
    assert type(added.milestone_id) is UUID
    assert type(added.meta) is EventMeta
    assert added.meta == _meta()

    (replanned,) = _restored(MilestoneReplanned)
    assert (replanned.from_date, replanned.to_date) == (TARGET, LATER)
    assert type(replanned.from_date) is date
    assert type(replanned.to_date) is date
    assert replanned.meta.reason == "slip"

    (completed,) = _restored(MilestoneCompleted)
    assert completed.actual_date == TODAY
    assert type(completed.actual_date) is date

    (measured, _) = _restored(MeasurementRecorded)
    assert measured.measured_on == TODAY
    assert type(measured.measured_on) is date
    assert type(measured.metric_id) is UUID
    assert (measured.value, measured.note) == (7.25, "after CDN")

    for restored in _restored(MilestoneGraph.EdgeAdded) + _restored(MilestoneGraph.EdgeRemoved):
        assert type(restored.upstream) is UUID
        assert type(restored.downstream) is UUID
    for restored in _restored(TeamName.Claimed) + _restored(TeamName.Reclaimed):
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
    first_change, second_change = _restored(AssignmentChanged)
    assert (first_change.fte, first_change.person, first_change.role) == (1.5, None, None)
    assert first_change.cleared == ("role",)
    assert type(first_change.cleared) is tuple
    assert type(first_change.fte) is float
    assert (second_change.fte, second_change.person) == (None, "Grace")
    assert second_change.cleared == ()
    assert type(second_change.cleared) is tuple

    lead, whole_team = _restored(TeamAssigned)
    assert (lead.person, lead.role, lead.fte, lead.quarter) == ("Ada", "tech lead", 2.5, "2026-Q3")
    assert (whole_team.person, whole_team.role) == (None, None)
    assert type(lead.team_id) is UUID

    missed_with_reason, missed_without = _restored(MilestoneMissed)
    assert (missed_with_reason.reason, missed_without.reason) == ("writer ill", None)

    initiative_link, milestone_link = _restored(ExternalKeyLinked)
    assert (initiative_link.milestone_id, initiative_link.url) == (None, None)
    assert type(milestone_link.milestone_id) is UUID
    assert milestone_link.url == "https://jira.example.com/browse/PROJ-2"

    wip_none, wip_five = _restored(Team.WipLimitSet)
    assert (wip_none.wip_limit, wip_five.wip_limit) == (None, 5)

    linked = _restored(ExternalRef.Linked)
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


def test_decoded_events_rebuild_the_same_team() -> None:
    history = History()

    rebuilt = _decoded(_events_of(history.team), Team)

    assert vars(rebuilt) == vars(history.team)
    assert (rebuilt.name, rebuilt.wip_limit) == ("Payments Platform", 5)
    assert rebuilt.capacity == {"2026-Q3": 6.5, "2026-Q4": 8}


def test_decoded_events_rebuild_the_graph_the_claim_and_the_refs() -> None:
    history = History()

    graph = _decoded(_events_of(history.graph), MilestoneGraph)
    claim = _decoded(_events_of(history.claim), TeamName)
    refs = [_decoded(_events_of(ref), ExternalRef) for ref in history.refs]

    assert vars(graph) == vars(history.graph)
    assert vars(claim) == vars(history.claim)
    assert (claim.name, claim.holder) == ("PAYMENTS", history.team.id)
    assert [vars(r) for r in refs] == [vars(r) for r in history.refs]
    assert all(type(node) is UUID for downs in graph.downstream_of.values() for node in downs)
