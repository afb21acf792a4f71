"""Linking external keys (jira / PROJ-123) to an initiative or milestone, and finding them."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.domain import Aggregate

from roadmap_svc.commands.initiatives import InitiativeCommands
from roadmap_svc.commands.unit_of_work import Outcome
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
    ) -> Outcome:
        system, key, url = normalise_system(system), normalise_key(key), normalise_url(url)

        def link(initiative: Initiative) -> Sequence[Aggregate]:
            existing = self.find(ExternalRef, external_ref_id(system, key))
            if existing is not None:
                raise ExternalKeyTakenError(system, existing.key, existing.target)
            initiative.link_external_key(
                system=system, key=key, url=url, milestone_id=milestone_id, meta=meta
            )
            ref = ExternalRef(
                system=system,
                key=key,
                url=url,
                initiative_id=initiative.id,
                milestone_id=milestone_id,
                meta=meta,
            )
            return [ref]

        return self.change_initiative(initiative_id, expected_version, link)

    def find_external_ref(self, system: str, key: str) -> ExternalRef:
        system, key = normalise_system(system), normalise_key(key)
        ref = self.find(ExternalRef, external_ref_id(system, key))
        if ref is None:
            raise NotFoundError("external key", f"{system}/{key}")
        return ref
