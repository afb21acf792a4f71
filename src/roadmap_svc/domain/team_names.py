"""Team name claims: at most one team holds a name, compared without case.

A claim's id is derived from the name, so two concurrent registrations of one name both try
to create the same aggregate at version 1 and the event store lets only one succeed.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from roadmap_svc.domain.errors import TeamNameTakenError


def team_name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def team_name_id(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"urn:roadmap-svc:team-name:{team_name_key(name)}")


class TeamName(Aggregate):
    class Claimed(Aggregate.Created):
        name: str
        team_id: UUID

    class Released(Aggregate.Event):
        team_id: UUID

    class Reclaimed(Aggregate.Event):
        name: str
        team_id: UUID

    @staticmethod
    def create_id(name: str) -> UUID:
        return team_name_id(name)

    @event(Claimed)
    def __init__(self, *, name: str, team_id: UUID) -> None:
        self.name = name
        self.holder: UUID | None = team_id

    def claim(self, name: str, team_id: UUID) -> None:
        if self.holder is not None and self.holder != team_id:
            raise TeamNameTakenError(name)
        self._reclaim(name=name, team_id=team_id)

    @event(Reclaimed)
    def _reclaim(self, *, name: str, team_id: UUID) -> None:
        self.name = name
        self.holder = team_id

    def release(self, team_id: UUID) -> None:
        if self.holder == team_id:
            self._release(team_id=team_id)

    @event(Released)
    def _release(self, *, team_id: UUID) -> None:
        del team_id
        self.holder = None
