"""An initiative's details: title, problem statement, business case, owner, sponsor, tags."""

from __future__ import annotations

from typing import Any

from roadmap_svc.domain.errors import InvalidValueError, NothingToChangeError
from roadmap_svc.domain.events import RoadmapCreated, RoadmapEvent
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.parts import InitiativePart
from roadmap_svc.domain.text import normalise_tags, optional_text, required_text

REVISABLE_FIELDS = ("title", "problem_statement", "business_case", "owner", "sponsor", "tags")


class Details(InitiativePart):
    title: str
    problem_statement: str
    business_case: str
    owner: str
    sponsor: str | None
    proposer: str
    tags: tuple[str, ...]

    def revise(self, changes: dict[str, Any], meta: EventMeta) -> None:
        """Change details; a None sponsor clears it, other fields cannot be cleared."""
        self._require_open()
        unknown = set(changes) - set(REVISABLE_FIELDS)
        if unknown:
            raise InvalidValueError(min(unknown), "cannot be revised")
        cleaned: dict[str, Any] = {}
        cleared: list[str] = []
        for field, value in changes.items():
            if field == "sponsor" and value is None:
                if self.sponsor is not None:
                    cleared.append(field)
                continue
            new = normalise_tags(value) if field == "tags" else required_text(field, value)
            if new != getattr(self, field):
                cleaned[field] = new
        if not cleaned and not cleared:
            raise NothingToChangeError
        self._record(
            InitiativeRevised,
            meta,
            **{field: cleaned.get(field) for field in REVISABLE_FIELDS},
            cleared=tuple(cleared),
        )


def proposal(
    *,
    title: str,
    problem_statement: str,
    business_case: str,
    owner: str,
    sponsor: str | None,
    tags: tuple[str, ...] | list[str],
    meta: EventMeta,
) -> dict[str, Any]:
    """The fields of a proposal, checked: what InitiativeProposed records."""
    return {
        "title": required_text("title", title),
        "problem_statement": required_text("problem_statement", problem_statement),
        "business_case": required_text("business_case", business_case),
        "owner": required_text("owner", owner),
        "sponsor": optional_text("sponsor", sponsor),
        "proposer": meta.actor,
        "tags": normalise_tags(tags),
        "meta": meta,
    }


class InitiativeProposed(RoadmapCreated):
    title: str
    problem_statement: str
    business_case: str
    owner: str
    sponsor: str | None
    proposer: str
    tags: tuple[str, ...]

    def evolve(self, initiative: Details) -> None:
        initiative.title = self.title
        initiative.problem_statement = self.problem_statement
        initiative.business_case = self.business_case
        initiative.owner = self.owner
        initiative.sponsor = self.sponsor
        initiative.proposer = self.proposer
        initiative.tags = self.tags


class InitiativeRevised(RoadmapEvent):
    # None: unchanged; `cleared` names optional fields set to none.
    title: str | None
    problem_statement: str | None
    business_case: str | None
    owner: str | None
    sponsor: str | None
    tags: tuple[str, ...] | None
    cleared: tuple[str, ...]

    def evolve(self, initiative: Details) -> None:
        for field in REVISABLE_FIELDS:
            value = getattr(self, field)
            if value is not None:
                setattr(initiative, field, value)
        for field in self.cleared:
            setattr(initiative, field, None)
