"""Commands on teams; a name is claimed with the team, atomically, so names stay unique."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from roadmap_svc.commands.unit_of_work import Outcome, UnitOfWork
from roadmap_svc.domain.errors import InvalidValueError, NothingToChangeError
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.team import Team
from roadmap_svc.domain.team_names import TeamName, team_name_id, team_name_key


class TeamCommands(UnitOfWork):
    def register_team(self, *, name: str, wip_limit: int | None, meta: EventMeta) -> Outcome:
        def register() -> Sequence[Aggregate]:
            team = Team.register(name=name, wip_limit=wip_limit, meta=meta)
            return [team, self._claim(team.name, team.id)]

        return self.create(register)

    def get_team(self, team_id: UUID, version: int | None = None) -> Team:
        return self.load(Team, team_id, version)

    def update_team(
        self,
        team_id: UUID,
        changes: dict[str, Any],
        *,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        """Rename and/or set the WIP limit, in one unit of work."""
        unknown = set(changes) - {"name", "wip_limit"}
        if unknown:
            raise InvalidValueError(min(unknown), "cannot be changed on a team")
        if not changes:
            raise NothingToChangeError

        def update(team: Team) -> Sequence[Aggregate]:
            version = team.version
            claims: list[Aggregate] = []
            if "name" in changes and str(changes["name"]).strip() != team.name:
                claims = self._move_claim(team, changes["name"], meta)
            if "wip_limit" in changes and changes["wip_limit"] != team.wip_limit:
                team.set_wip_limit(changes["wip_limit"], meta)
            if team.version == version:
                raise NothingToChangeError
            return claims

        return self.run(Team, team_id, expected_version, update)

    def rename_team(
        self, team_id: UUID, *, name: str, meta: EventMeta, expected_version: int | None
    ) -> Outcome:
        return self.update_team(
            team_id, {"name": name}, meta=meta, expected_version=expected_version
        )

    def _move_claim(self, team: Team, name: str, meta: EventMeta) -> list[Aggregate]:
        old_name = team.name
        team.rename(name, meta)
        claim = self._claim(team.name, team.id)
        if team_name_key(old_name) == team_name_key(team.name):
            return [claim]  # only the spelling changed: same claim
        old_claim = self.load(TeamName, team_name_id(old_name))
        old_claim.release(team.id)
        return [claim, old_claim]

    def set_team_capacity(
        self,
        team_id: UUID,
        *,
        quarter: str,
        fte: float,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        return self.run(
            Team, team_id, expected_version, lambda t: t.set_capacity(quarter, fte, meta)
        )

    def set_team_wip_limit(
        self, team_id: UUID, *, wip_limit: int | None, meta: EventMeta, expected_version: int | None
    ) -> Outcome:
        return self.update_team(
            team_id, {"wip_limit": wip_limit}, meta=meta, expected_version=expected_version
        )

    def _claim(self, name: str, team_id: UUID) -> TeamName:
        # Two concurrent claims of a new name both create version 1 of the same aggregate; the
        # event store keeps one, and the other's retry finds the name held.
        claim = self.find(TeamName, team_name_id(name))
        if claim is None:
            return TeamName(name=name, team_id=team_id)
        claim.claim(name, team_id)
        return claim
