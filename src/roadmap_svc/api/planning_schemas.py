"""Request and response schemas for milestones, dependencies, assignments, metrics, keys, teams.

Milestones, assignments and metrics are answered with the domain's own msgspec structs (they
are already the read shape), plus the initiative's version and the write's position: the
next If-Match and `min_position` come with the answer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar.openapi.spec import Example
from litestar.params import PathParameter

from roadmap_svc.api.schemas import LongText, QuarterText, Reason, ShortText, _Input
from roadmap_svc.domain.assignments import MAX_ASSIGNMENT_FTE, MAX_CAPACITY_FTE, Assignment
from roadmap_svc.domain.metrics import Direction, Metric
from roadmap_svc.domain.milestones import MAX_LAG_DAYS, DependencyType, Milestone
from roadmap_svc.domain.team import MAX_WIP_LIMIT
from roadmap_svc.domain.text import LINE_PATTERN, TOKEN_CHARACTERS
from roadmap_svc.projections.planning_queries import TeamAssignmentLine, TeamOverview
from roadmap_svc.projections.quarter_plan import TeamLoad

AssignmentFTE = Annotated[float, msgspec.Meta(gt=0, le=MAX_ASSIGNMENT_FTE)]
CapacityFTE = Annotated[float, msgspec.Meta(ge=0, le=MAX_CAPACITY_FTE)]
WipLimit = Annotated[int, msgspec.Meta(ge=1, le=MAX_WIP_LIMIT)]
LagDays = Annotated[int, msgspec.Meta(ge=-MAX_LAG_DAYS, le=MAX_LAG_DAYS)]
SYSTEM_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$"
EXTERNAL_KEY_PATTERN = rf"^{TOKEN_CHARACTERS}{{1,200}}$"
System = Annotated[str, msgspec.Meta(pattern=SYSTEM_PATTERN, examples=["jira"])]
ExternalKey = Annotated[str, msgspec.Meta(pattern=EXTERNAL_KEY_PATTERN, examples=["PROJ-123"])]
# The same rules in a path, so a bad system or key is the same 400 there as in a body.
SystemInPath = Annotated[
    str, PathParameter(pattern=SYSTEM_PATTERN, examples=[Example(value="jira")])
]
ExternalKeyInPath = Annotated[
    str, PathParameter(pattern=EXTERNAL_KEY_PATTERN, examples=[Example(value="PROJ-123")])
]
Url = Annotated[str, msgspec.Meta(pattern=rf"^https?://{TOKEN_CHARACTERS}+$", max_length=2000)]
Value = Annotated[float, msgspec.Meta(ge=-1e15, le=1e15)]


class MilestoneAdd(_Input, kw_only=True):
    title: ShortText
    success_criteria: LongText
    target_date: date


class MilestoneReplan(_Input, kw_only=True):
    target_date: date
    reason: Reason


class MilestoneComplete(_Input, kw_only=True):
    actual_date: date | None = None  # default: today


class MilestoneMiss(_Input, kw_only=True):
    reason: Reason | None = None


class MilestoneDrop(_Input, kw_only=True):
    reason: Reason


class DependencyAdd(_Input, kw_only=True):
    upstream_milestone_id: UUID
    upstream_initiative_id: UUID | None = None  # default: this initiative
    type: DependencyType = DependencyType.FINISH_TO_START
    lag_days: LagDays = 0


class AssignmentCreate(_Input, kw_only=True):
    team_id: UUID
    quarter: QuarterText
    fte: AssignmentFTE
    person: ShortText | None = None
    role: ShortText | None = None  # e.g. "tech lead"


class AssignmentChange(_Input, kw_only=True):
    """Fields left out stay; `"person": null` / `"role": null` remove them."""

    fte: AssignmentFTE | msgspec.UnsetType = msgspec.UNSET
    person: ShortText | msgspec.UnsetType | None = msgspec.UNSET
    role: ShortText | msgspec.UnsetType | None = msgspec.UNSET
    reason: Reason | None = None

    def changes(self) -> dict[str, object]:
        fields = ("fte", "person", "role")
        return {f: getattr(self, f) for f in fields if getattr(self, f) is not msgspec.UNSET}


class AssignmentRelease(_Input, kw_only=True):
    reason: Reason


class MetricDefine(_Input, kw_only=True):
    name: ShortText
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=LINE_PATTERN)]
    baseline: Value
    target: Value
    direction: Direction


class MeasurementRecord(_Input, kw_only=True):
    value: Value
    measured_on: date | None = None  # default: today
    note: LongText | None = None


class ExternalRefLink(_Input, kw_only=True):
    system: System
    key: ExternalKey
    url: Url | None = None
    milestone_id: UUID | None = None  # default: the initiative itself


class TeamRegister(_Input, kw_only=True):
    name: ShortText
    wip_limit: WipLimit | None = None


class TeamChange(_Input, kw_only=True):
    """Rename and/or change the WIP limit (`null`: no limit); fields left out stay."""

    name: ShortText | msgspec.UnsetType = msgspec.UNSET
    wip_limit: WipLimit | msgspec.UnsetType | None = msgspec.UNSET
    reason: Reason | None = None

    def changes(self) -> dict[str, object]:
        return {
            f: getattr(self, f)
            for f in ("name", "wip_limit")
            if getattr(self, f) is not msgspec.UNSET
        }


class CapacitySet(_Input, kw_only=True):
    fte: CapacityFTE


# msgspec structs inherit from one base only, so each part repeats the two fields.
class MilestoneResponse(Milestone, kw_only=True, frozen=True):
    initiative_version: int  # the initiative's version: its ETag, the next If-Match
    position: int | None = None  # on write answers: the write's event position


class AssignmentResponse(Assignment, kw_only=True, frozen=True):
    initiative_version: int
    position: int | None = None


class MetricResponse(Metric, kw_only=True, frozen=True):
    initiative_version: int
    position: int | None = None


class MilestoneList(msgspec.Struct, kw_only=True):
    items: list[Milestone]
    initiative_version: int


class AssignmentList(msgspec.Struct, kw_only=True):
    items: list[Assignment]
    initiative_version: int


class MetricList(msgspec.Struct, kw_only=True):
    items: list[Metric]
    initiative_version: int


class Team(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    wip_limit: int | None
    capacity: dict[str, float]  # FTE per quarter, e.g. {"2026-Q3": 6.5}
    version: int
    registered_at: datetime
    updated_at: datetime
    position: int | None = None  # set on write responses (read-your-writes)
    # On reads of the current team: its load by quarter, as the quarter plans show it, and
    # its active assignments (from the planning view; `min_position` waits for it).
    load: dict[str, TeamLoad] | None = None
    assignments: list[TeamAssignmentLine] | None = None


class TeamList(msgspec.Struct, kw_only=True):
    items: list[TeamOverview]
    next_cursor: str | None = None  # pass it as `cursor` for the next page; null on the last
    next: str | None = None  # the next page's link (also in the `Link` header)


class ExternalRef(msgspec.Struct, kw_only=True):
    system: str
    key: str
    url: str | None
    target: str  # "initiative" or "milestone"
    initiative_id: UUID
    milestone_id: UUID | None
    href: str  # where the linked object is read
    # On the answer to a link: the initiative's version (its ETag) and the write's position.
    initiative_version: int | None = None
    position: int | None = None
