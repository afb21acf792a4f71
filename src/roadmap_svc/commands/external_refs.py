"""Linking external keys (jira / PROJ-123) to an initiative or milestone, and finding them."""

from __future__ import annotations

from uuid import UUID

from roadmap_svc.commands.initiatives import InitiativeCommands
from roadmap_svc.commands.unit_of_work import Change, Work, command
from roadmap_svc.domain.errors import ExternalKeyTakenError, NotFoundError
from roadmap_svc.domain.external_refs import (
    ExternalRef,
    external_ref_id,
    normalise_key,
    normalise_system,
    normalise_url,
)
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta


class ExternalRefCommands(InitiativeCommands):
    @command
    def link_external_key(
        self,
        initiative_id: UUID,
        *,
        system: str,
        key: str,
        url: str | None,
        milestone_id: UUID | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, ExternalRef]:
        """Link the key; the answer is the key's claim (which object it belongs to)."""
        system, key, url = normalise_system(system), normalise_key(key), normalise_url(url)

        def link(initiative: Initiative, work: Work) -> ExternalRef:
            existing = work.find(ExternalRef, external_ref_id(system, key))
            if existing is not None:
                raise ExternalKeyTakenError(system, existing.key, existing.target)
            initiative.link_external_key(
                system=system, key=key, url=url, milestone_id=milestone_id, meta=meta
            )
            # Two concurrent links of one key both create this claim at version 1: one wins.
            ref = ExternalRef.link(
                system=system,
                key=key,
                url=url,
                initiative_id=initiative.id,
                milestone_id=milestone_id,
                meta=meta,
            )
            work.add(ref)
            return ref

        return self.initiative_change(initiative_id, expected_version, meta, link)

    def find_external_ref(self, system: str, key: str) -> ExternalRef:
        system, key = normalise_system(system), normalise_key(key)
        try:
            return self.read(ExternalRef, external_ref_id(system, key))
        except NotFoundError:
            raise NotFoundError("external key", f"{system}/{key}") from None
