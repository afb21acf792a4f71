"""Team name claims: at most one team holds a name, compared without case.

A claim's id is derived from the name, so two concurrent registrations of one name both try
to create the same aggregate at version 1 and the event store lets only one succeed.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from roadmap_svc.domain.errors import TeamNameTakenError
from roadmap_svc.domain.events import RecordsEvents, RoadmapCreated, RoadmapEvent
from roadmap_svc.domain.meta import EventMeta


def team_name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def team_name_id(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"urn:roadmap-svc:team-name:{team_name_key(name)}")


class TeamNameState(RecordsEvents):
    name: str
    holder: UUID | None


class TeamName(TeamNameState, Aggregate):
    @classmethod
    def claim_new(cls, name: str, team_id: UUID, meta: EventMeta) -> TeamName:
        return cls._create(
            TeamNameClaimed, id=team_name_id(name), name=name, team_id=team_id, meta=meta
        )

    def claim(self, name: str, team_id: UUID, meta: EventMeta) -> None:
        if self.holder is not None and self.holder != team_id:
            raise TeamNameTakenError(name, self.holder)
        self._record(TeamNameReclaimed, meta, name=name, team_id=team_id)

    def release(self, team_id: UUID, meta: EventMeta) -> None:
        if self.holder == team_id:
            self._record(TeamNameReleased, meta, team_id=team_id)


class TeamNameClaimed(RoadmapCreated):
    name: str
    team_id: UUID

    def evolve(self, claim: TeamNameState) -> None:
        claim.name = self.name
        claim.holder = self.team_id


class TeamNameReclaimed(RoadmapEvent):
    name: str
    team_id: UUID

    def evolve(self, claim: TeamNameState) -> None:
        claim.name = self.name
        claim.holder = self.team_id


class TeamNameReleased(RoadmapEvent):
    team_id: UUID

    def evolve(self, claim: TeamNameState) -> None:
        claim.holder = None
