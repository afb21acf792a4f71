"""Teams (name, capacity per quarter, WIP limit) and the claims that keep team names unique."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate

from roadmap_svc.domain.assignments import MAX_CAPACITY_FTE
from roadmap_svc.domain.errors import (
    ConflictError,
    InvalidValueError,
    NothingToChangeError,
    TeamNameTakenError,
)
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.team import (
    MAX_WIP_LIMIT,
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
    team_name_id,
    team_name_key,
)
from tests.domain.aggregate_checks import refuse

META = EventMeta(actor="alice", reason="reorg", request_id="req-3")
OTHER = EventMeta(actor="bob")

A = TypeVar("A", bound=Aggregate)
Event = CanMutateAggregate[UUID]


def replay(events: Sequence[Event], kind: type[A]) -> A:
    aggregate: A | None = None
    for recorded in events:
        aggregate = recorded.mutate(aggregate)
    assert isinstance(aggregate, kind)
    return aggregate


def register(name: str = "Payments Platform", wip_limit: int | None = 3) -> Team:
    team = Team.register(name=name, wip_limit=wip_limit, meta=META)
    team.collect_events()
    return team


# ---- register -----------------------------------------------------------------------------


def test_register_records_name_and_wip_limit() -> None:
    team = Team.register(name="  Payments Platform ", wip_limit=4, meta=META)

    (registered,) = team.collect_events()
    assert isinstance(registered, TeamRegistered)
    assert (registered.name, registered.wip_limit, registered.meta) == (
        "Payments Platform",
        4,
        META,
    )
    assert (team.name, team.wip_limit, team.capacity) == ("Payments Platform", 4, {})
    assert team.version == 1


def test_each_registration_is_a_new_team() -> None:
    first = Team.register(name="Same", wip_limit=None, meta=META)
    second = Team.register(name="Same", wip_limit=None, meta=META)

    assert first.id != second.id  # name uniqueness is the TeamName claim's job


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_register_refuses_a_blank_name(blank: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Team.register(name=blank, wip_limit=None, meta=META)

    assert caught.value.field == "name"


@pytest.mark.parametrize("wip_limit", [None, 1, 7, MAX_WIP_LIMIT])
def test_register_accepts_a_wip_limit_of_1_to_1000_or_none(wip_limit: int | None) -> None:
    team = Team.register(name="Search", wip_limit=wip_limit, meta=META)

    assert team.wip_limit == wip_limit


@pytest.mark.parametrize("wip_limit", [0, -1, MAX_WIP_LIMIT + 1])
def test_register_refuses_a_wip_limit_outside_1_to_1000(wip_limit: int) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Team.register(name="Search", wip_limit=wip_limit, meta=META)

    assert caught.value.field == "wip_limit"
    assert "1..1000" in caught.value.message


# ---- rename -------------------------------------------------------------------------------


def test_rename_records_old_and_new_name() -> None:
    team = register()

    team.rename("  Checkout ", OTHER)

    (renamed,) = team.collect_events()
    assert isinstance(renamed, TeamRenamed)
    assert (renamed.old_name, renamed.new_name, renamed.meta) == (
        "Payments Platform",
        "Checkout",
        OTHER,
    )
    assert team.name == "Checkout"


@pytest.mark.parametrize("same", ["Payments Platform", "  Payments Platform  "])
def test_rename_to_the_same_name_is_nothing_to_change(same: str) -> None:
    team = register()

    refuse(team, NothingToChangeError, lambda: team.rename(same, META))


def test_rename_that_only_changes_the_case_is_a_change() -> None:
    team = register()

    team.rename("payments platform", META)

    assert team.name == "payments platform"


def test_rename_to_a_blank_name_is_refused() -> None:
    team = register()

    error = refuse(team, InvalidValueError, lambda: team.rename("  ", META))

    assert error.field == "name"


# ---- capacity -----------------------------------------------------------------------------


def test_set_capacity_records_it_for_the_normalised_quarter() -> None:
    team = register()

    team.set_capacity(" 2026-q3 ", 6.5, OTHER)

    (capacity_set,) = team.collect_events()
    assert isinstance(capacity_set, TeamCapacitySet)
    assert (capacity_set.quarter, capacity_set.fte, capacity_set.meta) == ("2026-Q3", 6.5, OTHER)
    assert team.capacity == {"2026-Q3": 6.5}


def test_a_first_capacity_records_no_old_fte_and_the_team_name() -> None:
    team = register()

    team.set_capacity("2026-Q3", 6.5, META)

    (capacity_set,) = team.collect_events()
    assert isinstance(capacity_set, TeamCapacitySet)
    assert (capacity_set.name, capacity_set.old_fte, capacity_set.fte) == (
        "Payments Platform",
        None,
        6.5,
    )


def test_a_changed_capacity_records_the_old_and_the_new_fte() -> None:
    team = register()
    team.set_capacity("2026-Q3", 6.5, META)
    team.set_capacity("2026-Q4", 4, META)
    team.rename("Checkout", META)
    team.collect_events()

    team.set_capacity("2026-q3", 0, OTHER)
    team.set_capacity("2026-Q3", 7.25, OTHER)

    to_zero, from_zero = team.collect_events()
    assert isinstance(to_zero, TeamCapacitySet)
    assert isinstance(from_zero, TeamCapacitySet)
    # The old FTE is that of the same quarter (not 2026-Q4's), and 0 is a capacity, not none.
    assert (to_zero.name, to_zero.quarter, to_zero.old_fte, to_zero.fte) == (
        "Checkout",
        "2026-Q3",
        6.5,
        0,
    )
    assert (from_zero.old_fte, from_zero.fte) == (0, 7.25)
    assert team.capacity == {"2026-Q3": 7.25, "2026-Q4": 4}


def test_capacity_is_kept_per_quarter_and_can_change() -> None:
    team = register()

    team.set_capacity("2026-Q3", 6, META)
    team.set_capacity("2026-Q4", 4.25, META)
    team.set_capacity("2026-q3", 7.75, META)

    assert team.capacity == {"2026-Q3": 7.75, "2026-Q4": 4.25}
    assert len(team.collect_events()) == 3


@pytest.mark.parametrize("fte", [0, 0.0, 0.01, 12.34, MAX_CAPACITY_FTE])
def test_capacity_accepts_zero_up_to_the_maximum_with_two_decimals(fte: float) -> None:
    team = register()

    team.set_capacity("2026-Q3", fte, META)

    assert team.capacity["2026-Q3"] == fte


def test_capacity_of_float_noise_is_rounded_to_hundredths() -> None:
    team = register()

    team.set_capacity("2026-Q3", 0.1 + 0.2, META)  # 0.30000000000000004

    assert team.capacity["2026-Q3"] == 0.3


@pytest.mark.parametrize(
    ("fte", "words"),
    [
        (-0.01, ">= 0"),
        (-5, ">= 0"),
        (0.001, "two decimals"),
        (1.255, "two decimals"),
        (MAX_CAPACITY_FTE + 0.01, "at most 10000"),
        (1e9, "at most"),
    ],
)
def test_capacity_outside_the_rules_is_refused(fte: float, words: str) -> None:
    team = register()

    error = refuse(team, InvalidValueError, lambda: team.set_capacity("2026-Q3", fte, META))

    assert error.field == "fte"
    assert words in error.message


@pytest.mark.parametrize("quarter", ["2026-Q5", "Q3-2026", "2026", "", "1999-Q4"])
def test_capacity_for_an_invalid_quarter_is_refused(quarter: str) -> None:
    team = register()

    error = refuse(team, InvalidValueError, lambda: team.set_capacity(quarter, 5, META))

    assert error.field == "quarter"


@pytest.mark.parametrize(("quarter", "fte"), [("2026-Q3", 5), ("2026-q3", 5.0), (" 2026-Q3", 5.00)])
def test_setting_the_same_capacity_again_is_nothing_to_change(quarter: str, fte: float) -> None:
    team = register()
    team.set_capacity("2026-Q3", 5, META)
    team.collect_events()

    refuse(team, NothingToChangeError, lambda: team.set_capacity(quarter, fte, META))


def test_setting_zero_capacity_the_first_time_is_a_change() -> None:
    team = register()

    team.set_capacity("2026-Q3", 0, META)

    assert team.capacity == {"2026-Q3": 0}
    refuse(team, NothingToChangeError, lambda: team.set_capacity("2026-Q3", 0.0, META))


# ---- WIP limit ----------------------------------------------------------------------------


@pytest.mark.parametrize("wip_limit", [None, 1, 10, MAX_WIP_LIMIT])
def test_set_wip_limit_records_the_new_limit(wip_limit: int | None) -> None:
    team = register(wip_limit=3)

    team.set_wip_limit(wip_limit, OTHER)

    (wip_set,) = team.collect_events()
    assert isinstance(wip_set, TeamWipLimitSet)
    assert (wip_set.wip_limit, wip_set.meta) == (wip_limit, OTHER)
    assert (wip_set.name, wip_set.old_wip_limit) == ("Payments Platform", 3)
    assert team.wip_limit == wip_limit


def test_a_wip_limit_can_be_set_after_none() -> None:
    team = register(wip_limit=None)

    team.set_wip_limit(5, META)

    (wip_set,) = team.collect_events()
    assert isinstance(wip_set, TeamWipLimitSet)
    assert (wip_set.old_wip_limit, wip_set.wip_limit) == (None, 5)
    assert team.wip_limit == 5


@pytest.mark.parametrize("wip_limit", [3, None])
def test_setting_the_same_wip_limit_is_nothing_to_change(wip_limit: int | None) -> None:
    team = register(wip_limit=wip_limit)

    refuse(team, NothingToChangeError, lambda: team.set_wip_limit(wip_limit, META))


@pytest.mark.parametrize("wip_limit", [0, -3, MAX_WIP_LIMIT + 1])
def test_set_wip_limit_refuses_a_limit_outside_1_to_1000(wip_limit: int) -> None:
    team = register()

    error = refuse(team, InvalidValueError, lambda: team.set_wip_limit(wip_limit, META))

    assert error.field == "wip_limit"


def test_replaying_the_team_events_reproduces_the_team() -> None:
    team = Team.register(name="Search", wip_limit=None, meta=META)
    team.rename("Search & Discovery", META)
    team.set_capacity("2026-Q3", 8, META)
    team.set_capacity("2026-Q4", 6.5, META)
    team.set_wip_limit(4, META)
    team.set_capacity("2026-Q3", 7, META)
    events = team.collect_events()

    replayed = replay(events, Team)

    assert replayed == team
    assert (replayed.name, replayed.wip_limit) == ("Search & Discovery", 4)
    assert replayed.capacity == {"2026-Q3": 7, "2026-Q4": 6.5}
    assert replayed.version == len(events) == 6


# ---- history imported with the time it happened ------------------------------------------

JAN_10 = datetime(2021, 1, 10, 9, 0, tzinfo=UTC)


def imported(at: datetime) -> EventMeta:
    return EventMeta(actor="importer", reason="migration", occurred_at=at)


def test_team_events_keep_the_time_they_occurred_at() -> None:
    team = Team.register(name="Search", wip_limit=None, meta=imported(JAN_10))
    team.set_capacity("2026-Q1", 5, imported(JAN_10))  # the same instant is not earlier
    team.set_capacity("2026-Q2", 6, imported(JAN_10 + timedelta(days=3)))

    registered, same_time, later = team.collect_events()
    assert isinstance(registered, TeamRegistered)
    assert isinstance(same_time, TeamCapacitySet)
    assert isinstance(later, TeamCapacitySet)
    assert (registered.occurred_at, same_time.occurred_at) == (JAN_10, JAN_10)
    assert later.occurred_at == JAN_10 + timedelta(days=3)
    assert registered.timestamp > JAN_10  # recorded now, happened then
    assert team.last_occurred_at == JAN_10 + timedelta(days=3)


def test_an_event_without_occurred_at_happened_when_it_was_recorded() -> None:
    team = register()

    team.set_wip_limit(4, META)

    (wip_set,) = team.collect_events()
    assert isinstance(wip_set, TeamWipLimitSet)
    assert wip_set.meta.occurred_at is None
    assert wip_set.occurred_at == wip_set.timestamp
    assert team.last_occurred_at == wip_set.timestamp


@pytest.mark.parametrize(
    "command",
    [
        lambda team, meta: team.rename("Search & Discovery", meta),
        lambda team, meta: team.set_capacity("2026-Q1", 5, meta),
        lambda team, meta: team.set_wip_limit(4, meta),
    ],
)
def test_a_team_event_that_occurred_before_the_previous_one_is_refused(
    command: Callable[[Team, EventMeta], None],
) -> None:
    team = Team.register(name="Search", wip_limit=None, meta=imported(JAN_10))
    team.collect_events()

    error = refuse(
        team, InvalidValueError, lambda: command(team, imported(JAN_10 - timedelta(seconds=1)))
    )

    assert error.field == "occurred_at"


def test_imported_history_cannot_go_before_what_was_recorded_since() -> None:
    team = register()  # recorded (and so occurred) now

    error = refuse(
        team, InvalidValueError, lambda: team.set_capacity("2026-Q1", 5, imported(JAN_10))
    )

    assert error.field == "occurred_at"


# ---- team names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    ["Payments Platform", "payments platform", "  PAYMENTS   Platform ", "Payments\tPlatform"],
)
def test_names_differing_in_case_or_whitespace_share_one_claim_id(variant: str) -> None:
    assert team_name_key(variant) == "payments platform"
    assert team_name_id(variant) == team_name_id("Payments Platform")
    assert TeamName.claim_new(variant, uuid4(), META).id == team_name_id("Payments Platform")


@pytest.mark.parametrize("other", ["Payments Platforms", "Payments-Platform", "PaymentsPlatform"])
def test_different_names_have_different_claim_ids(other: str) -> None:
    assert team_name_id(other) != team_name_id("Payments Platform")


def test_a_claim_is_created_under_the_id_of_its_name() -> None:
    team_id = uuid4()

    claim = TeamName.claim_new("Payments Platform", team_id, OTHER)

    assert claim.id == team_name_id("payments platform")
    assert (claim.name, claim.holder) == ("Payments Platform", team_id)
    (claimed,) = claim.collect_events()
    assert isinstance(claimed, TeamNameClaimed)
    assert (claimed.name, claimed.team_id, claimed.meta) == ("Payments Platform", team_id, OTHER)


def holder_of(claim: TeamName) -> UUID | None:
    # A function call, so the type checker does not carry a narrowing across commands.
    return claim.holder


def held_claim(team_id: UUID, name: str = "Payments Platform") -> TeamName:
    claim = TeamName.claim_new(name, team_id, META)
    claim.collect_events()
    return claim


def test_a_name_held_by_one_team_cannot_be_claimed_by_another() -> None:
    holder = uuid4()
    claim = held_claim(holder)

    error = refuse(
        claim, TeamNameTakenError, lambda: claim.claim("payments PLATFORM", uuid4(), META)
    )

    assert (error.name, error.team_id) == ("payments PLATFORM", holder)
    assert isinstance(error, ConflictError)
    assert error.kind == "team-name-taken"


def test_the_holder_may_claim_its_name_again_with_another_spelling() -> None:
    team_id = uuid4()
    claim = held_claim(team_id)

    claim.claim("PAYMENTS platform", team_id, OTHER)

    (reclaimed,) = claim.collect_events()
    assert isinstance(reclaimed, TeamNameReclaimed)
    assert (reclaimed.name, reclaimed.team_id, reclaimed.meta) == (
        "PAYMENTS platform",
        team_id,
        OTHER,
    )
    assert (claim.name, claim.holder) == ("PAYMENTS platform", team_id)


def test_a_released_name_can_be_claimed_by_another_team() -> None:
    first, second = uuid4(), uuid4()
    claim = held_claim(first)

    claim.release(first, OTHER)
    (released,) = claim.collect_events()
    assert isinstance(released, TeamNameReleased)
    assert (released.team_id, released.meta) == (first, OTHER)
    assert claim.holder is None

    claim.claim("Payments platform", second, META)

    (reclaimed,) = claim.collect_events()
    assert isinstance(reclaimed, TeamNameReclaimed)
    assert (holder_of(claim), claim.name) == (second, "Payments platform")
    refuse(claim, TeamNameTakenError, lambda: claim.claim("Payments Platform", first, META))


def test_only_the_holder_can_release_a_name() -> None:
    holder = uuid4()
    claim = held_claim(holder)

    claim.release(uuid4(), META)

    assert claim.holder == holder
    assert claim.collect_events() == []


def test_releasing_a_released_name_records_nothing() -> None:
    holder = uuid4()
    claim = held_claim(holder)
    claim.release(holder, META)
    claim.collect_events()

    claim.release(holder, META)

    assert claim.collect_events() == []
    assert claim.holder is None


def test_replaying_the_claim_events_reproduces_the_claim() -> None:
    first, second = uuid4(), uuid4()
    claim = TeamName.claim_new("Search", first, META)
    claim.release(first, META)
    claim.claim("SEARCH", second, OTHER)

    replayed = replay(claim.collect_events(), TeamName)

    assert replayed == claim
    assert (replayed.name, replayed.holder, replayed.version) == ("SEARCH", second, 3)
