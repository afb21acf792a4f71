"""Commands on teams; a name is claimed with the team, atomically, so names stay unique."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from roadmap_svc.commands.unit_of_work import Change, Creation, Plan, UnitOfWork, Work, command
from roadmap_svc.domain.errors import InvalidValueError, NothingToChangeError
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.team import Team
from roadmap_svc.domain.team_names import TeamName, team_name_id, team_name_key


class TeamCommands(UnitOfWork):
    @command
    def register_team(self, *, name: str, wip_limit: int | None, meta: EventMeta) -> Creation[Team]:
        def register(work: Work) -> Team:
            team = Team.register(name=name, wip_limit=wip_limit, meta=meta)
            _claim(work, team.name, team.id, meta)
            return team

        return Creation(meta, register)

    def get_team(self, team_id: UUID, version: int | None = None) -> Team:
        """The team now or at a version, to read (never change what this returns)."""
        return self.read(Team, team_id, version)

    @command
    def update_team(
        self,
        team_id: UUID,
        changes: dict[str, Any],
        *,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Team, Team]:
        """Rename and/or set the WIP limit, in one unit of work."""
        unknown = set(changes) - {"name", "wip_limit"}
        if unknown:
            raise InvalidValueError(min(unknown), "cannot be changed on a team")
        if not changes:
            raise NothingToChangeError

        def update(team: Team, work: Work) -> Team:
            version = team.version
            if "name" in changes and str(changes["name"]).strip() != team.name:
                _move_claim(work, team, changes["name"], meta)
            if "wip_limit" in changes and changes["wip_limit"] != team.wip_limit:
                team.set_wip_limit(changes["wip_limit"], meta)
            if team.version == version:
                raise NothingToChangeError
            return team

        return Change(Team, team_id, expected_version, meta, update)

    @command
    def rename_team(
        self, team_id: UUID, *, name: str, meta: EventMeta, expected_version: int | None
    ) -> Plan[Team]:
        return self.update_team.plan(
            team_id, {"name": name}, meta=meta, expected_version=expected_version
        )

    @command
    def set_team_wip_limit(
        self, team_id: UUID, *, wip_limit: int | None, meta: EventMeta, expected_version: int | None
    ) -> Plan[Team]:
        return self.update_team.plan(
            team_id, {"wip_limit": wip_limit}, meta=meta, expected_version=expected_version
        )

    @command
    def set_team_capacity(
        self,
        team_id: UUID,
        *,
        quarter: str,
        fte: float,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Team, Team]:
        def set_capacity(team: Team, _: Work) -> Team:
            team.set_capacity(quarter, fte, meta)
            return team

        return Change(Team, team_id, expected_version, meta, set_capacity)


def _move_claim(work: Work, team: Team, name: str, meta: EventMeta) -> None:
    old_name = team.name
    team.rename(name, meta)
    _claim(work, team.name, team.id, meta)
    if team_name_key(old_name) != team_name_key(team.name):  # not only the spelling changed
        work.load(TeamName, team_name_id(old_name)).release(team.id, meta)


def _claim(work: Work, name: str, team_id: UUID, meta: EventMeta) -> None:
    # Two concurrent claims of a new name both create version 1 of the same aggregate; the
    # event store keeps one, and the other's retry finds the name held.
    claim = work.find(TeamName, team_name_id(name))
    if claim is None:
        work.add(TeamName.claim_new(name, team_id, meta))
    else:
        claim.claim(name, team_id, meta)
