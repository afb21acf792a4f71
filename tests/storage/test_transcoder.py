"""MsgspecMapper: every Initiative event comes back from storage with the types it went in with."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from eventsourcing.domain import Aggregate

import roadmap_svc.domain
from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.domain.details import InitiativeProposed, InitiativeRevised
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind, Status
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.stakeholders import (
    InitiativeStakeholderAdded,
    InitiativeStanceRecorded,
    Stance,
)
from roadmap_svc.storage.transcoder import MsgspecMapper
from tests.storage.test_transcoder_planning import EVENT_TYPES as PLANNING_EVENT_TYPES

TODAY = date(2026, 5, 4)  # in 2026-Q2: a deferral must go to 2026-Q3 or later
REVISIT_ON = date(2026, 9, 15)
# History imported from another tool: it happened before it was recorded (and not in UTC).
CET = timezone(timedelta(hours=1))
IMPORTED_ON = date(2025, 11, 3)
IMPORTED_AT = datetime(2025, 11, 3, 9, 30, tzinfo=CET)


def _meta(reason: str | None = None, occurred_at: datetime | None = None) -> EventMeta:
    return EventMeta(actor="ada", reason=reason, request_id="req-42", occurred_at=occurred_at)


def _proposed(occurred_at: datetime | None = None) -> Initiative:
    return Initiative.propose(
        title="Faster checkout",
        problem_statement="Checkout takes 9 seconds on mobile.",
        business_case="Each second costs about 1% conversion.",
        owner="grace",
        sponsor="cfo",
        tags=["payments", "mobile"],
        meta=_meta("pitch", occurred_at),
    )


def _decide(
    initiative: Initiative,
    kind: DecisionKind,
    *,
    today: date = TODAY,
    occurred_at: datetime | None = None,
    **fields: Any,
) -> None:
    initiative.decide(
        kind,
        rationale=f"because {kind.value}",
        decided_by="steering group",
        alternatives_considered=("wait a quarter", "buy a product"),
        meta=_meta(f"{kind.value} meeting", occurred_at),
        today=today,
        **fields,
    )


def _initiatives() -> tuple[Initiative, ...]:
    """Initiatives whose events together cover every Initiative event type and decision kind
    (none collected); the last one's history was imported, with the time it occurred at."""
    lived = _proposed()
    lived.revise({"title": "Much faster checkout", "tags": ["payments", "web"]}, _meta())
    lived.revise({"sponsor": None, "owner": "barbara"}, _meta())  # clears the sponsor
    lived.add_stakeholder("Linus", "security", _meta())
    lived.add_stakeholder("Margaret", None, _meta())
    lived.record_stance("linus", Stance.HAS_CONCERNS, "needs a threat model", _meta())
    _decide(lived, DecisionKind.APPROVE, quarter="2026-Q3")
    _decide(lived, DecisionKind.START)
    _decide(lived, DecisionKind.PAUSE)
    _decide(lived, DecisionKind.RESUME)
    _decide(lived, DecisionKind.COMPLETE)

    deferred = _proposed()
    _decide(deferred, DecisionKind.DEFER, quarter="2026-Q4", revisit_on=REVISIT_ON)
    _decide(deferred, DecisionKind.REJECT)

    cancelled = _proposed()
    _decide(cancelled, DecisionKind.CANCEL)

    imported = _proposed(IMPORTED_AT)
    later = IMPORTED_AT + timedelta(days=1)
    imported.add_stakeholder("Linus", None, _meta(occurred_at=later))
    imported.record_stance("Linus", Stance.ENDORSES, None, _meta(occurred_at=later))
    _decide(
        imported,
        DecisionKind.APPROVE,
        today=IMPORTED_ON + timedelta(days=2),
        occurred_at=IMPORTED_AT + timedelta(days=2),
        quarter="2026-Q1",
    )
    return lived, deferred, cancelled, imported


def _events_of(aggregate: Aggregate) -> list[Aggregate.Event]:
    events = list(aggregate.collect_events())
    assert all(isinstance(e, Aggregate.Event) for e in events)
    return [e for e in events if isinstance(e, Aggregate.Event)]


def _all_events() -> list[Aggregate.Event]:
    events: list[Aggregate.Event] = []
    for initiative in _initiatives():
        events.extend(_events_of(initiative))
    return events


EVENTS = _all_events()
EVENT_TYPES: frozenset[type[Aggregate.Event]] = frozenset(
    {
        InitiativeProposed,
        InitiativeRevised,
        InitiativeStakeholderAdded,
        InitiativeStanceRecorded,
        DecisionTaken,
    }
)


def _event_id(domain_event: object) -> str:
    assert isinstance(domain_event, RoadmapEvent)
    return domain_event.type_name  # InitiativeApproved, InitiativeDeferred...


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


def _concrete_event_classes() -> Iterator[type[RoadmapEvent]]:
    """Every event class the domain defines: the leaves under RoadmapEvent."""
    for module in pkgutil.iter_modules(roadmap_svc.domain.__path__):
        importlib.import_module(f"roadmap_svc.domain.{module.name}")
    pending: list[type[RoadmapEvent]] = [RoadmapEvent]
    while pending:
        event_class = pending.pop()
        subclasses = event_class.__subclasses__()
        if not subclasses:
            yield event_class
        pending.extend(subclasses)


def test_the_events_cover_every_initiative_event_type() -> None:
    assert {type(e) for e in EVENTS} == EVENT_TYPES


def test_the_events_cover_a_decision_of_every_kind() -> None:
    kinds = [e.kind for e in EVENTS if isinstance(e, DecisionTaken)]
    assert set(kinds) == set(DecisionKind)


def test_the_events_include_imported_ones_with_their_occurred_time() -> None:
    imported = [e for e in EVENTS if isinstance(e, RoadmapEvent) and e.meta.occurred_at]
    assert {type(e) for e in imported} == EVENT_TYPES - {InitiativeRevised}
    assert {e.occurred_at for e in imported} >= {IMPORTED_AT, IMPORTED_AT + timedelta(days=2)}


def test_this_file_and_the_planning_one_cover_every_event_class_of_the_domain() -> None:
    # A new event class must join one of the two histories, so its round trip is tested.
    assert set(_concrete_event_classes()) == EVENT_TYPES | PLANNING_EVENT_TYPES


@pytest.mark.parametrize("domain_event", EVENTS, ids=_event_id)
def test_event_survives_the_round_trip(domain_event: Aggregate.Event) -> None:
    restored = _round_trip(domain_event)
    assert type(restored) is type(domain_event)
    assert vars(restored) == vars(domain_event)
    assert restored.originator_id == domain_event.originator_id
    assert restored.originator_version == domain_event.originator_version
    for name, value in vars(domain_event).items():
        _assert_same_types(vars(restored)[name], value, f"{type(domain_event).__qualname__}.{name}")


@pytest.mark.parametrize("domain_event", EVENTS, ids=_event_id)
def test_derived_names_and_times_survive_the_round_trip(domain_event: Aggregate.Event) -> None:
    assert isinstance(domain_event, RoadmapEvent)
    restored = _round_trip(domain_event)
    assert restored.type_name == domain_event.type_name
    assert restored.occurred_at == domain_event.occurred_at
    assert type(restored.occurred_at) is datetime
    assert restored.occurred_at.utcoffset() == domain_event.occurred_at.utcoffset()


@pytest.mark.parametrize("domain_event", EVENTS, ids=_event_id)
def test_timestamp_stays_an_aware_datetime(domain_event: Aggregate.Event) -> None:
    restored = _round_trip(domain_event)
    assert type(restored.timestamp) is datetime
    assert restored.timestamp.tzinfo is not None
    assert restored.timestamp.utcoffset() == timedelta(0)
    assert restored.timestamp == domain_event.timestamp


def test_meta_stays_event_meta() -> None:
    for domain_event in EVENTS:
        assert isinstance(domain_event, RoadmapEvent)
        restored = _round_trip(domain_event)
        assert type(restored.meta) is EventMeta
        assert restored.meta == domain_event.meta
        if domain_event.meta.occurred_at is None:
            assert restored.meta.occurred_at is None
        else:
            assert type(restored.meta.occurred_at) is datetime
            assert restored.meta.occurred_at.utcoffset() == timedelta(hours=1)


def _restored(kind: type[Aggregate.Event]) -> list[Any]:
    return [_round_trip(e) for e in EVENTS if type(e) is kind]


def _decision(kind: DecisionKind) -> Any:
    """The first decision of that kind, restored."""
    return next(d for d in _restored(DecisionTaken) if d.kind is kind)


def test_typed_values_keep_their_types() -> None:
    proposed = _restored(InitiativeProposed)[0]
    assert proposed.tags == ("payments", "mobile")
    assert type(proposed.tags) is tuple

    first_revision, second_revision = _restored(InitiativeRevised)
    assert first_revision.tags == ("payments", "web")
    assert type(first_revision.tags) is tuple
    assert first_revision.owner is None
    assert first_revision.cleared == ()
    assert second_revision.cleared == ("sponsor",)
    assert type(second_revision.cleared) is tuple
    assert (second_revision.owner, second_revision.sponsor) == ("barbara", None)

    stance = _restored(InitiativeStanceRecorded)[0]
    assert stance.stance is Stance.HAS_CONCERNS
    assert (stance.name, stance.role) == ("Linus", "security")

    approved = _decision(DecisionKind.APPROVE)
    assert approved.type_name == "InitiativeApproved"
    assert approved.kind is DecisionKind.APPROVE
    assert (approved.status_before, approved.status_after) == (Status.PROPOSED, Status.APPROVED)
    assert type(approved.status_before) is Status
    assert type(approved.status_after) is Status
    assert approved.quarter == "2026-Q3"
    assert approved.stakeholders_without_stance == ("Margaret",)
    assert type(approved.stakeholders_without_stance) is tuple
    assert approved.alternatives_considered == ("wait a quarter", "buy a product")
    assert type(approved.alternatives_considered) is tuple

    deferred = _decision(DecisionKind.DEFER)
    assert deferred.type_name == "InitiativeDeferred"
    assert deferred.quarter == "2026-Q4"  # the quarter it moves to
    assert deferred.revisit_on == REVISIT_ON
    assert type(deferred.revisit_on) is date
    assert deferred.stakeholders_without_stance == ()
    assert type(deferred.stakeholders_without_stance) is tuple


@pytest.mark.parametrize(
    ("kind", "type_name", "before", "after"),
    [
        (DecisionKind.APPROVE, "InitiativeApproved", Status.PROPOSED, Status.APPROVED),
        (DecisionKind.START, "InitiativeStarted", Status.APPROVED, Status.IN_PROGRESS),
        (DecisionKind.PAUSE, "InitiativePaused", Status.IN_PROGRESS, Status.PAUSED),
        (DecisionKind.RESUME, "InitiativeResumed", Status.PAUSED, Status.IN_PROGRESS),
        (DecisionKind.COMPLETE, "InitiativeCompleted", Status.IN_PROGRESS, Status.COMPLETED),
        (DecisionKind.DEFER, "InitiativeDeferred", Status.PROPOSED, Status.PROPOSED),
        (DecisionKind.REJECT, "InitiativeRejected", Status.PROPOSED, Status.REJECTED),
        (DecisionKind.CANCEL, "InitiativeCancelled", Status.PROPOSED, Status.CANCELLED),
    ],
)
def test_a_decision_of_every_kind_keeps_its_kind_and_statuses(
    kind: DecisionKind, type_name: str, before: Status, after: Status
) -> None:
    decision = _decision(kind)
    assert decision.kind is kind
    assert decision.type_name == type_name
    assert (decision.status_before, decision.status_after) == (before, after)
    assert decision.rationale == f"because {kind.value}"
    assert decision.decided_by == "steering group"
    if kind not in {DecisionKind.APPROVE, DecisionKind.DEFER}:
        assert (decision.quarter, decision.revisit_on) == (None, None)
        assert decision.stakeholders_without_stance == ()


def test_deferral_without_revisit_date_keeps_none() -> None:
    initiative = _proposed()
    _decide(initiative, DecisionKind.DEFER, quarter="2027-Q1")
    deferred = initiative.collect_events()[-1]
    assert isinstance(deferred, DecisionTaken)
    assert deferred.kind is DecisionKind.DEFER
    restored = _round_trip(deferred)
    assert restored.revisit_on is None
    assert restored.quarter == "2027-Q1"
    assert vars(restored) == vars(deferred)


def test_stored_state_is_json_without_the_envelope_ids() -> None:
    domain_event = EVENTS[0]
    stored = MsgspecMapper().to_stored_event(domain_event)
    state = msgspec.json.decode(stored.state)
    assert "originator_id" not in state
    assert "originator_version" not in state
    assert state["meta"] == {
        "actor": "ada",
        "reason": "pitch",
        "request_id": "req-42",
        "idempotency_key": None,  # the write sent none
        "occurred_at": None,  # happened when it was recorded
    }
    assert stored.topic == "roadmap_svc.domain.details:InitiativeProposed"


def test_an_imported_event_stores_when_it_occurred_with_its_offset() -> None:
    (imported_proposal,) = [
        e for e in EVENTS if isinstance(e, InitiativeProposed) and e.meta.occurred_at is not None
    ]
    stored = MsgspecMapper().to_stored_event(imported_proposal)
    state = msgspec.json.decode(stored.state)
    assert state["meta"]["occurred_at"] == "2025-11-03T09:30:00+01:00"
    assert _round_trip(imported_proposal).occurred_at == IMPORTED_AT


def test_the_decision_events_are_stored_under_one_topic() -> None:
    mapper = MsgspecMapper()
    topics = {mapper.to_stored_event(e).topic for e in EVENTS if isinstance(e, DecisionTaken)}
    assert topics == {"roadmap_svc.domain.decisions:DecisionTaken"}


def _decoded(events: Sequence[Aggregate.Event]) -> Initiative:
    """Rebuild an initiative from its events after a trip through storage."""
    rebuilt: Initiative | None = None
    for domain_event in events:
        rebuilt = _round_trip(domain_event).mutate(rebuilt)
    assert isinstance(rebuilt, Initiative)
    return rebuilt


def test_restored_events_rebuild_the_same_aggregate() -> None:
    initiative = _proposed()
    initiative.add_stakeholder("Linus", None, _meta())
    initiative.record_stance("Linus", Stance.ENDORSES, None, _meta())
    _decide(initiative, DecisionKind.APPROVE, quarter="2026-Q3")
    events = _events_of(initiative)

    rebuilt = _decoded(events)

    assert vars(rebuilt) == vars(initiative)
    assert rebuilt == initiative


def test_restored_events_rebuild_every_initiative_of_the_history() -> None:
    lived, deferred, cancelled, imported = _initiatives()
    for initiative in (lived, deferred, cancelled, imported):
        rebuilt = _decoded(_events_of(initiative))
        assert vars(rebuilt) == vars(initiative)
        assert rebuilt == initiative

    assert (lived.status, lived.title, lived.sponsor) == (
        Status.COMPLETED,
        "Much faster checkout",
        None,
    )
    assert (deferred.status, deferred.quarter, deferred.revisit_on) == (
        Status.REJECTED,
        "2026-Q4",
        REVISIT_ON,
    )
    assert cancelled.status is Status.CANCELLED
    # Replayed imported history still knows when its latest event occurred.
    assert imported.last_occurred_at == IMPORTED_AT + timedelta(days=2)
