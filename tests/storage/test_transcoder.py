"""MsgspecMapper: every Initiative event comes back from storage with the types it went in with."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import msgspec
import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.stakeholders import Stance
from roadmap_svc.storage.transcoder import MsgspecMapper

TODAY = date(2026, 5, 4)  # in 2026-Q2: a deferral must go to 2026-Q3 or later
REVISIT_ON = date(2026, 9, 15)


def _meta(reason: str | None = None) -> EventMeta:
    return EventMeta(actor="ada", reason=reason, request_id="req-42")


def _proposed() -> Initiative:
    return Initiative.propose(
        title="Faster checkout",
        problem_statement="Checkout takes 9 seconds on mobile.",
        business_case="Each second costs about 1% conversion.",
        owner="grace",
        sponsor="cfo",
        tags=["payments", "mobile"],
        meta=_meta("pitch"),
    )


def _decide(initiative: Initiative, kind: DecisionKind, **fields: Any) -> None:
    initiative.decide(
        kind,
        rationale=f"because {kind.value}",
        decided_by="steering group",
        alternatives_considered=("wait a quarter", "buy a product"),
        meta=_meta(f"{kind.value} meeting"),
        today=TODAY,
        **fields,
    )


def _all_events() -> list[Aggregate.Event]:
    """Events of three initiatives that together cover every Initiative event type."""
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

    events: list[Aggregate.Event] = []
    for initiative in (lived, deferred, cancelled):
        events.extend(e for e in initiative.collect_events() if isinstance(e, Aggregate.Event))
    return events


EVENTS = _all_events()
EVENT_TYPES = (
    Initiative.Proposed,
    Initiative.Revised,
    Initiative.StakeholderAdded,
    Initiative.StanceRecorded,
    Initiative.Approved,
    Initiative.Started,
    Initiative.Rejected,
    Initiative.Deferred,
    Initiative.Paused,
    Initiative.Resumed,
    Initiative.Cancelled,
    Initiative.Completed,
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
            _assert_same_types(getattr(restored, field), getattr(original, field), where + field)


def test_the_events_cover_every_initiative_event_type() -> None:
    assert {type(e) for e in EVENTS} == set(EVENT_TYPES)


@pytest.mark.parametrize("domain_event", EVENTS, ids=lambda e: type(e).__qualname__)
def test_event_survives_the_round_trip(domain_event: Aggregate.Event) -> None:
    restored = _round_trip(domain_event)
    assert type(restored) is type(domain_event)
    assert vars(restored) == vars(domain_event)
    assert restored.originator_id == domain_event.originator_id
    assert restored.originator_version == domain_event.originator_version
    for name, value in vars(domain_event).items():
        _assert_same_types(vars(restored)[name], value, f"{type(domain_event).__qualname__}.{name}")


@pytest.mark.parametrize("domain_event", EVENTS, ids=lambda e: type(e).__qualname__)
def test_timestamp_stays_an_aware_datetime(domain_event: Aggregate.Event) -> None:
    restored = _round_trip(domain_event)
    assert type(restored.timestamp) is datetime
    assert restored.timestamp.tzinfo is not None
    assert restored.timestamp.utcoffset() == timedelta(0)
    assert restored.timestamp == domain_event.timestamp


def test_meta_stays_event_meta() -> None:
    for domain_event in EVENTS:
        restored = _round_trip(domain_event)
        assert type(restored.meta) is EventMeta
        assert restored.meta == domain_event.meta  # type: ignore[attr-defined]


def test_typed_values_keep_their_types() -> None:
    by_type = {type(e): _round_trip(e) for e in EVENTS}

    proposed = by_type[Initiative.Proposed]
    assert proposed.tags == ("payments", "mobile")
    assert type(proposed.tags) is tuple

    first_revision, second_revision = (
        _round_trip(e) for e in EVENTS if isinstance(e, Initiative.Revised)
    )
    assert first_revision.tags == ("payments", "web")
    assert type(first_revision.tags) is tuple
    assert first_revision.owner is None
    assert first_revision.cleared == ()
    assert second_revision.cleared == ("sponsor",)
    assert type(second_revision.cleared) is tuple
    assert (second_revision.owner, second_revision.sponsor) == ("barbara", None)

    stance = by_type[Initiative.StanceRecorded]
    assert stance.stance is Stance.HAS_CONCERNS
    assert stance.name == "Linus"

    approved = by_type[Initiative.Approved]
    assert approved.quarter == "2026-Q3"
    assert approved.stakeholders_without_stance == ("Margaret",)
    assert type(approved.stakeholders_without_stance) is tuple
    assert approved.alternatives_considered == ("wait a quarter", "buy a product")
    assert type(approved.alternatives_considered) is tuple

    deferred = by_type[Initiative.Deferred]
    assert deferred.to_quarter == "2026-Q4"
    assert deferred.revisit_on == REVISIT_ON
    assert type(deferred.revisit_on) is date


def test_deferral_without_revisit_date_keeps_none() -> None:
    initiative = _proposed()
    _decide(initiative, DecisionKind.DEFER, quarter="2027-Q1")
    deferred = initiative.collect_events()[-1]
    assert isinstance(deferred, Initiative.Deferred)
    restored = _round_trip(deferred)
    assert restored.revisit_on is None
    assert vars(restored) == vars(deferred)


def test_stored_state_is_json_without_the_envelope_ids() -> None:
    domain_event = EVENTS[0]
    stored = MsgspecMapper().to_stored_event(domain_event)
    state = msgspec.json.decode(stored.state)
    assert "originator_id" not in state
    assert "originator_version" not in state
    assert state["meta"] == {"actor": "ada", "reason": "pitch", "request_id": "req-42"}
    assert stored.topic == "roadmap_svc.domain.initiative:Initiative.Proposed"


def test_restored_events_rebuild_the_same_aggregate() -> None:
    initiative = _proposed()
    initiative.add_stakeholder("Linus", None, _meta())
    initiative.record_stance("Linus", Stance.ENDORSES, None, _meta())
    _decide(initiative, DecisionKind.APPROVE, quarter="2026-Q3")
    events = initiative.collect_events()
    rebuilt: Initiative | None = None
    for domain_event in events:
        assert isinstance(domain_event, Aggregate.Event)
        rebuilt = _round_trip(domain_event).mutate(rebuilt)
    assert isinstance(rebuilt, Initiative)
    assert vars(rebuilt) == vars(initiative)


def test_revised_stored_before_cleared_existed_still_decodes() -> None:
    # Revised events written before the `cleared` field was added have no such key.
    initiative = _proposed()
    initiative.collect_events()
    initiative.revise({"title": "Old style"}, _meta())
    (revised,) = initiative.collect_events()
    mapper = MsgspecMapper()
    stored = mapper.to_stored_event(revised)
    state = msgspec.json.decode(stored.state)
    del state["cleared"]
    legacy = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=msgspec.json.encode(state),
    )
    restored: Any = mapper.to_domain_event(legacy)
    assert type(restored) is Initiative.Revised
    assert restored.cleared == ()
    assert restored.title == "Old style"
    assert type(restored.meta) is EventMeta
