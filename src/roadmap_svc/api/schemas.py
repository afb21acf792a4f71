"""Request (`<Noun><Verb>`) and response (`<Noun>`) schemas of the initiative API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar.params import PathParameter, QueryParameter

from roadmap_svc.domain.assignments import Assignment
from roadmap_svc.domain.external_links import ExternalLink
from roadmap_svc.domain.lifecycle import DecisionKind, Status
from roadmap_svc.domain.metrics import Metric
from roadmap_svc.domain.milestones import Milestone
from roadmap_svc.domain.quarter import PATTERN as QUARTER_PATTERN
from roadmap_svc.domain.stakeholders import Stance
from roadmap_svc.domain.text import LINE_PATTERN, PROSE_PATTERN, normalised
from roadmap_svc.projections.event_views import Decision, HistoryEntry
from roadmap_svc.projections.failures import PoisonEvent

# The text policy (domain/text.py), at the schema edge: documented in the OpenAPI document.
LINE = "One line: no control characters (tabs and line breaks neither), no bidi overrides."
PROSE = "Text: line breaks and tabs allowed, no other control characters."
ShortText = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=LINE_PATTERN, description=LINE)
]
LongText = Annotated[
    str, msgspec.Meta(min_length=1, max_length=20_000, pattern=PROSE_PATTERN, description=PROSE)
]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=LINE_PATTERN)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=20)]
QUARTER = "A quarter, 2026-Q3: years 2000 to 2100."
QuarterText = Annotated[
    str, msgspec.Meta(pattern=QUARTER_PATTERN, examples=["2026-Q3"], description=QUARTER)
]
# The same rule wherever a quarter is written, so a bad one is the same 400 everywhere.
QuarterInPath = Annotated[str, PathParameter(pattern=QUARTER_PATTERN, description=QUARTER)]
QuarterInQuery = Annotated[str | None, QueryParameter(pattern=QUARTER_PATTERN, description=QUARTER)]
Alternatives = Annotated[list[LongText], msgspec.Meta(max_length=20)]
Reason = Annotated[
    str, msgspec.Meta(min_length=1, max_length=2_000, pattern=PROSE_PATTERN, description=PROSE)
]


class _Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Unknown fields are refused: a typo must not pass silently, nor a forged `actor`.

    Every string is NFC-normalised as it is decoded (the patterns above have checked it).
    """

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if type(value) is str:
                setattr(self, name, normalised(value))
            elif type(value) is list:
                setattr(self, name, [normalised(v) if type(v) is str else v for v in value])


class InitiativePropose(_Input, kw_only=True):
    title: ShortText
    problem_statement: LongText
    business_case: LongText
    owner: ShortText
    sponsor: ShortText | None = None
    tags: Tags = msgspec.field(default_factory=list)


class InitiativeRevise(_Input, kw_only=True):
    """Fields left out stay as they are; `"sponsor": null` removes the sponsor."""

    title: ShortText | msgspec.UnsetType = msgspec.UNSET
    problem_statement: LongText | msgspec.UnsetType = msgspec.UNSET
    business_case: LongText | msgspec.UnsetType = msgspec.UNSET
    owner: ShortText | msgspec.UnsetType = msgspec.UNSET
    sponsor: ShortText | msgspec.UnsetType | None = msgspec.UNSET
    tags: Tags | msgspec.UnsetType = msgspec.UNSET
    reason: Reason | None = None

    def changes(self) -> dict[str, Any]:
        fields = ("title", "problem_statement", "business_case", "owner", "sponsor", "tags")
        return {f: getattr(self, f) for f in fields if getattr(self, f) is not msgspec.UNSET}


class StakeholderAdd(_Input, kw_only=True):
    name: ShortText
    role: ShortText | None = None
    reason: Reason | None = None


class StanceRecord(_Input, kw_only=True):
    stance: Stance
    note: LongText | None = None


class _Decision(_Input, tag_field="kind", kw_only=True):
    rationale: LongText
    # Who took the decision (e.g. the steering group); defaults to the caller's token name.
    decided_by: ShortText | None = None
    alternatives_considered: Alternatives = msgspec.field(default_factory=list)


class ApproveDecision(_Decision, tag="approve", kw_only=True):
    quarter: QuarterText


class StartDecision(_Decision, tag="start", kw_only=True):
    pass


class RejectDecision(_Decision, tag="reject", kw_only=True):
    pass


class DeferDecision(_Decision, tag="defer", kw_only=True):
    quarter: QuarterText
    revisit_on: date | None = None


class PauseDecision(_Decision, tag="pause", kw_only=True):
    pass


class ResumeDecision(_Decision, tag="resume", kw_only=True):
    pass


class CancelDecision(_Decision, tag="cancel", kw_only=True):
    pass


class CompleteDecision(_Decision, tag="complete", kw_only=True):
    pass


DecisionTake = (
    ApproveDecision
    | StartDecision
    | RejectDecision
    | DeferDecision
    | PauseDecision
    | ResumeDecision
    | CancelDecision
    | CompleteDecision
)


class Stakeholder(msgspec.Struct, kw_only=True):
    name: str
    role: str | None
    stance: Stance | None
    note: str | None


class Initiative(msgspec.Struct, kw_only=True):
    id: UUID
    title: str
    problem_statement: str
    business_case: str
    owner: str
    sponsor: str | None
    proposer: str
    tags: list[str]
    status: Status
    quarter: str | None
    revisit_on: date | None
    last_decision: DecisionKind | None
    allowed_decisions: list[DecisionKind]
    stakeholders: list[Stakeholder]
    stakeholders_without_stance: list[str]
    milestones: list[Milestone]
    assignments: list[Assignment]  # released ones included, marked released
    metrics: list[Metric]
    external_refs: list[ExternalLink]
    version: int
    proposed_at: datetime
    updated_at: datetime
    # Global position of the last event this request recorded (read-your-writes); null on reads.
    position: int | None = None
    # With `as_of`: the last position of the log this answer reflects.
    as_of_position: int | None = None


class InitiativeSummary(msgspec.Struct, kw_only=True):
    id: UUID
    title: str
    status: Status
    owner: str
    sponsor: str | None
    quarter: str | None
    tags: list[str]
    last_decision: DecisionKind | None
    stakeholders_without_stance: list[str]
    version: int
    updated_at: datetime


class InitiativePage(msgspec.Struct, kw_only=True):
    items: list[InitiativeSummary]
    next_cursor: str | None  # pass it as `cursor` for the next page; null on the last
    next: str | None  # the next page's link (also in the `Link` header)


class DecisionList(msgspec.Struct, kw_only=True):
    items: list[Decision]


class History(msgspec.Struct, kw_only=True):
    items: list[HistoryEntry]


class Liveness(msgspec.Struct, kw_only=True):
    status: str


class ProjectionStatus(msgspec.Struct, kw_only=True):
    name: str
    # A runner of this process keeps the view (`serve`, `worker`); not in an `api` process,
    # whose readiness counts only the view's lag and failure.
    kept_here: bool
    running: bool
    # Another process's runner is the active one (it holds the view's lock); this one waits.
    standing_by: bool = False
    position: int
    lag: int
    restarts: int
    last_error: str | None
    # The event this view cannot apply and waits at (retrying), if any.
    failure: PoisonEvent | None = None


class Readiness(msgspec.Struct, kw_only=True):
    status: str
    event_store_position: int
    projections: list[ProjectionStatus]
