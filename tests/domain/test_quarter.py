"""Quarter: parsing, ordering, neighbours across year boundaries, calendar days."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roadmap_svc.domain.errors import InvalidValueError
from roadmap_svc.domain.quarter import MAX_YEAR, MIN_YEAR, Quarter

# No example database: the tests must not leave a .hypothesis folder in the repository.
PROPERTY = settings(database=None, deadline=None)

quarters = st.builds(Quarter, st.integers(MIN_YEAR, MAX_YEAR), st.integers(1, 4))
# Quarters that have a next and a previous one inside the supported years.
inner_quarters = quarters.filter(lambda q: Quarter(MIN_YEAR, 1) < q < Quarter(MAX_YEAR, 4))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-Q3", Quarter(2026, 3)),
        ("2026-q3", Quarter(2026, 3)),
        ("  2026-Q1\n", Quarter(2026, 1)),
        ("\t2027-q4 ", Quarter(2027, 4)),
        (f"{MIN_YEAR}-Q1", Quarter(MIN_YEAR, 1)),
        (f"{MAX_YEAR}-Q4", Quarter(MAX_YEAR, 4)),
    ],
)
def test_parse_accepts_any_case_and_surrounding_whitespace(text: str, expected: Quarter) -> None:
    assert Quarter.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-Q5",
        "2026-Q0",
        "26-Q1",
        "2026Q1",
        "2026-Q",
        "2026 Q1",
        "2026-Q1-",
        "Q1-2026",
        "20266-Q1",
        "2026-QQ1",
        "",
        "   ",
    ],
)
def test_parse_refuses_malformed_text_naming_the_given_field(text: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Quarter.parse(text, field="to_quarter")

    assert caught.value.field == "to_quarter"
    assert "is not a quarter" in caught.value.message


@pytest.mark.parametrize("text", [f"{MIN_YEAR - 1}-Q4", f"{MAX_YEAR + 1}-Q1", "1999-Q1", "9999-Q2"])
def test_parse_refuses_a_year_out_of_range_naming_the_given_field(text: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Quarter.parse(text, field="quarter_from")

    assert caught.value.field == "quarter_from"
    assert f"{MIN_YEAR}..{MAX_YEAR}" in caught.value.message


def test_parse_names_the_quarter_field_by_default() -> None:
    with pytest.raises(InvalidValueError) as caught:
        Quarter.parse("soon")

    assert caught.value.field == "quarter"


@pytest.mark.parametrize(
    ("year", "number"), [(2026, 0), (2026, 5), (MIN_YEAR - 1, 1), (MAX_YEAR + 1, 1)]
)
def test_constructor_refuses_values_out_of_range(year: int, number: int) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Quarter(year, number)

    assert caught.value.field == "quarter"


def test_ordering_within_and_across_years() -> None:
    assert Quarter(2026, 1) < Quarter(2026, 2) < Quarter(2026, 4) < Quarter(2027, 1)
    assert Quarter(2027, 1) > Quarter(2026, 4)
    assert Quarter(2026, 3) <= Quarter(2026, 3)
    assert Quarter(2026, 3) >= Quarter(2026, 3)
    assert max(Quarter(2025, 4), Quarter(2026, 1), Quarter(2024, 2)) == Quarter(2026, 1)
    assert sorted([Quarter(2027, 1), Quarter(2026, 4), Quarter(2026, 1)]) == [
        Quarter(2026, 1),
        Quarter(2026, 4),
        Quarter(2027, 1),
    ]


def test_comparison_with_another_type_is_refused() -> None:
    text: object = "2026-Q1"
    assert Quarter(2026, 1) != text
    with pytest.raises(TypeError):
        _ = Quarter(2026, 1) < text


@pytest.mark.parametrize(
    ("quarter", "following"),
    [
        (Quarter(2026, 1), Quarter(2026, 2)),
        (Quarter(2026, 3), Quarter(2026, 4)),
        (Quarter(2026, 4), Quarter(2027, 1)),
        (Quarter(2099, 4), Quarter(2100, 1)),
    ],
)
def test_next_and_previous_cross_year_boundaries(quarter: Quarter, following: Quarter) -> None:
    assert quarter.next() == following
    assert following.previous() == quarter


def test_next_and_previous_stop_at_the_supported_years() -> None:
    with pytest.raises(InvalidValueError):
        Quarter(MAX_YEAR, 4).next()
    with pytest.raises(InvalidValueError):
        Quarter(MIN_YEAR, 1).previous()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), Quarter(2026, 1)),
        (date(2026, 3, 31), Quarter(2026, 1)),
        (date(2026, 4, 1), Quarter(2026, 2)),
        (date(2026, 6, 30), Quarter(2026, 2)),
        (date(2026, 7, 1), Quarter(2026, 3)),
        (date(2026, 9, 30), Quarter(2026, 3)),
        (date(2026, 10, 1), Quarter(2026, 4)),
        (date(2026, 12, 31), Quarter(2026, 4)),
    ],
)
def test_containing_maps_each_day_to_its_calendar_quarter(day: date, expected: Quarter) -> None:
    assert Quarter.containing(day) == expected


@pytest.mark.parametrize(
    ("quarter", "first"),
    [
        (Quarter(2026, 1), date(2026, 1, 1)),
        (Quarter(2026, 2), date(2026, 4, 1)),
        (Quarter(2026, 3), date(2026, 7, 1)),
        (Quarter(2026, 4), date(2026, 10, 1)),
    ],
)
def test_first_day(quarter: Quarter, first: date) -> None:
    assert quarter.first_day == first


def test_str_is_the_canonical_form() -> None:
    assert str(Quarter(2026, 3)) == "2026-Q3"
    assert str(Quarter.parse(" 2026-q3 ")) == "2026-Q3"


def test_quarter_is_immutable_and_hashable() -> None:
    quarter = Quarter(2026, 3)
    with pytest.raises(AttributeError):
        quarter.year = 2027  # type: ignore[misc]
    assert {Quarter(2026, 3), Quarter.parse("2026-q3")} == {quarter}


@PROPERTY
@given(inner_quarters)
def test_next_then_previous_is_the_identity(quarter: Quarter) -> None:
    assert quarter.next().previous() == quarter
    assert quarter.previous().next() == quarter
    assert quarter.previous() < quarter < quarter.next()


@PROPERTY
@given(quarters)
def test_str_round_trips_through_parse(quarter: Quarter) -> None:
    assert Quarter.parse(str(quarter)) == quarter
    assert Quarter.parse(str(quarter).lower()) == quarter


@PROPERTY
@given(quarters, quarters)
def test_ordering_agrees_with_year_then_number(left: Quarter, right: Quarter) -> None:
    key_left, key_right = (left.year, left.number), (right.year, right.number)
    assert (left < right) == (key_left < key_right)
    assert (left <= right) == (key_left <= key_right)
    assert (left > right) == (key_left > key_right)
    assert (left == right) == (key_left == key_right)


@PROPERTY
@given(quarters)
def test_first_day_lies_in_its_own_quarter(quarter: Quarter) -> None:
    first = quarter.first_day
    assert first.day == 1
    assert Quarter.containing(first) == quarter


@PROPERTY
@given(st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31)))
def test_containing_quarter_starts_on_or_before_the_day(day: date) -> None:
    quarter = Quarter.containing(day)
    assert quarter.first_day <= day
    if quarter < Quarter(MAX_YEAR, 4):
        assert day < quarter.next().first_day
