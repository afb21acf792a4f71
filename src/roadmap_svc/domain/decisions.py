"""Decisions on an initiative: approve, start, reject, defer, pause, resume, cancel, complete.

One event, DecisionTaken, records every kind; the lifecycle (lifecycle.py) says which kind is
allowed in which status and where it leads.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from roadmap_svc.domain.dates import plausible_date
from roadmap_svc.domain.errors import InvalidValueError
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.lifecycle import DecisionKind, Status, next_status
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.stakeholders import Stakeholders
from roadmap_svc.domain.text import required_text

# The word each kind gives the event's type name: InitiativeApproved, InitiativeDeferred...
PAST_TENSE = {
    DecisionKind.APPROVE: "Approved",
    DecisionKind.START: "Started",
    DecisionKind.REJECT: "Rejected",
    DecisionKind.DEFER: "Deferred",
    DecisionKind.PAUSE: "Paused",
    DecisionKind.RESUME: "Resumed",
    DecisionKind.CANCEL: "Cancelled",
    DecisionKind.COMPLETE: "Completed",
}
_TAKES_QUARTER = frozenset({DecisionKind.APPROVE, DecisionKind.DEFER})


class Decisions(Stakeholders):
    quarter: str | None  # the quarter it is approved for, or deferred to
    revisit_on: date | None
    last_decision: DecisionKind | None

    def _init_parts(self) -> None:
        super()._init_parts()
        self.quarter = None
        self.revisit_on = None
        self.last_decision = None

    def decide(
        self,
        kind: DecisionKind,
        *,
        rationale: str,
        decided_by: str,
        alternatives_considered: tuple[str, ...] | list[str],
        meta: EventMeta,
        today: date,
        quarter: str | None = None,
        revisit_on: date | None = None,
    ) -> DecisionTaken:
        """Take a decision; `today` is the day it was taken (its occurred date)."""
        status_after = next_status(self.status, kind)  # refuses, naming the allowed ones
        if kind not in _TAKES_QUARTER and quarter is not None:
            raise InvalidValueError("quarter", f"a {kind.value} decision takes no quarter")
        if kind is not DecisionKind.DEFER and revisit_on is not None:
            raise InvalidValueError("revisit_on", "only a defer decision takes a revisit date")
        fields: dict[str, Any] = {
            "rationale": required_text("rationale", rationale),
            "decided_by": required_text("decided_by", decided_by),
            "alternatives_considered": tuple(
                required_text("alternatives_considered", a) for a in alternatives_considered
            ),
            "quarter": None,
            "revisit_on": None,
            "stakeholders_without_stance": (),
        }
        if kind is DecisionKind.APPROVE:
            if quarter is None:
                raise InvalidValueError("quarter", "an approval names the quarter it is for")
            fields["quarter"] = str(Quarter.parse(quarter))
            fields["stakeholders_without_stance"] = self.stakeholders_without_stance
        elif kind is DecisionKind.DEFER:
            fields["quarter"] = str(self._deferral_quarter(quarter, today))
            if revisit_on is not None and plausible_date("revisit_on", revisit_on) < today:
                raise InvalidValueError("revisit_on", "must not be in the past")
            fields["revisit_on"] = revisit_on
        return self._record(
            DecisionTaken,
            meta,
            kind=kind,
            status_before=self.status,
            status_after=status_after,
            **fields,
        )

    def _deferral_quarter(self, quarter: str | None, today: date) -> Quarter:
        if quarter is None:
            raise InvalidValueError("quarter", "a deferral names the later quarter")
        target = Quarter.parse(quarter)
        # "Later" means after the current quarter and after the one it was planned for.
        floor = Quarter.containing(today).next()
        if self.quarter is not None:
            floor = max(floor, Quarter.parse(self.quarter).next())
        if target < floor:
            raise InvalidValueError("quarter", f"must be {floor} or later to defer to")
        return target


class DecisionTaken(RoadmapEvent):
    kind: DecisionKind
    status_before: Status
    status_after: Status
    rationale: str
    decided_by: str  # who took it (e.g. the steering group); the actor recorded it
    alternatives_considered: tuple[str, ...]
    quarter: str | None  # approve: the quarter it is for; defer: the quarter it moves to
    revisit_on: date | None  # defer only
    # Stakeholders who had recorded no stance when the initiative was approved.
    stakeholders_without_stance: tuple[str, ...]

    @property
    def type_name(self) -> str:
        return "Initiative" + PAST_TENSE[self.kind]

    def evolve(self, initiative: Decisions) -> None:
        initiative.status = self.status_after
        initiative.last_decision = self.kind
        if self.kind in _TAKES_QUARTER:
            initiative.quarter = self.quarter
            initiative.revisit_on = self.revisit_on
