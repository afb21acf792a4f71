"""Date rules shared by milestones and measurements."""

from __future__ import annotations

from datetime import date

from roadmap_svc.domain.errors import InvalidValueError

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def plausible_date(field: str, value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise InvalidValueError(field, f"must be between {EARLIEST} and {LATEST}")
    return value


def not_after_today(field: str, value: date, today: date) -> date:
    plausible_date(field, value)
    if value > today:
        raise InvalidValueError(field, f"must not be in the future (today is {today})")
    return value
