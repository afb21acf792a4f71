"""Stakeholders of an initiative: each consulted separately, each with a stance."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from roadmap_svc.domain.errors import StakeholderExistsError, UnknownStakeholderError
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.parts import InitiativePart
from roadmap_svc.domain.text import optional_text, required_text


class Stance(StrEnum):
    ENDORSES = "endorses"
    HAS_CONCERNS = "has_concerns"
    OBJECTS = "objects"


class Stakeholder(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    role: str | None = None
    stance: Stance | None = None
    note: str | None = None


def stakeholder_key(name: str) -> str:
    # Names are matched case-insensitively: "Ada" and "ada" are one person.
    return name.strip().casefold()


class Stakeholders(InitiativePart):
    stakeholders: dict[str, Stakeholder]  # by stakeholder_key

    def _init_parts(self) -> None:
        super()._init_parts()
        self.stakeholders = {}

    def add_stakeholder(self, name: str, role: str | None, meta: EventMeta) -> Stakeholder:
        self._require_open()
        clean = required_text("name", name)
        if stakeholder_key(clean) in self.stakeholders:
            raise StakeholderExistsError(clean)
        self._record(InitiativeStakeholderAdded, meta, name=clean, role=optional_text("role", role))
        return self.stakeholders[stakeholder_key(clean)]

    def record_stance(
        self, name: str, stance: Stance, note: str | None, meta: EventMeta
    ) -> Stakeholder:
        self._require_open()
        stakeholder = self.stakeholders.get(stakeholder_key(name))
        if stakeholder is None:
            raise UnknownStakeholderError(name)
        self._record(
            InitiativeStanceRecorded,
            meta,
            name=stakeholder.name,
            role=stakeholder.role,
            stance=stance,
            note=optional_text("note", note),
        )
        return self.stakeholders[stakeholder_key(name)]

    @property
    def stakeholders_without_stance(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stakeholders.values() if s.stance is None)


class InitiativeStakeholderAdded(RoadmapEvent):
    name: str
    role: str | None

    def evolve(self, initiative: Stakeholders) -> None:
        initiative.stakeholders[stakeholder_key(self.name)] = Stakeholder(
            name=self.name, role=self.role
        )


class InitiativeStanceRecorded(RoadmapEvent):
    name: str
    role: str | None
    stance: Stance
    note: str | None

    def evolve(self, initiative: Stakeholders) -> None:
        initiative.stakeholders[stakeholder_key(self.name)] = Stakeholder(
            name=self.name, role=self.role, stance=self.stance, note=self.note
        )
