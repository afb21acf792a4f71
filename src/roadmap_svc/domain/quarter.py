"""Quarter: the planning cadence, written `2026-Q3`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import total_ordering

from roadmap_svc.domain.errors import InvalidValueError

_PATTERN = re.compile(r"([0-9]{4})-Q([1-4])")
MIN_YEAR = 2000
MAX_YEAR = 2100
# The same rule as a regular expression, for schemas: years 2000..2100, quarters 1..4.
PATTERN = r"^(20[0-9]{2}|2100)-[Qq][1-4]$"
QUARTERS_PER_YEAR = 4


@total_ordering
@dataclass(frozen=True, slots=True)
class Quarter:
    year: int
    number: int

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidValueError("quarter", f"year must be {MIN_YEAR}..{MAX_YEAR}")
        if not 1 <= self.number <= QUARTERS_PER_YEAR:
            raise InvalidValueError("quarter", "quarter number must be 1..4")

    @classmethod
    def parse(cls, text: str, field: str = "quarter") -> Quarter:
        match = _PATTERN.fullmatch(text.strip().upper())
        if match is None:
            raise InvalidValueError(field, f"{text!r} is not a quarter like 2026-Q3")
        try:
            return cls(int(match[1]), int(match[2]))
        except InvalidValueError as exc:
            raise InvalidValueError(field, exc.message) from None

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def next(self) -> Quarter:
        if self.number == QUARTERS_PER_YEAR:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, QUARTERS_PER_YEAR)
        return Quarter(self.year, self.number - 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quarter):
            return NotImplemented
        return (self.year, self.number) < (other.year, other.number)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"
