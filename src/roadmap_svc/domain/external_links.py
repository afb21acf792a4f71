"""External keys (e.g. jira / PROJ-123) as the initiative records them: its links.

Which object a key belongs to is the ExternalRef claim's (external_refs.py): one key, one object.
"""

from __future__ import annotations

from uuid import UUID

import msgspec

from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import Milestones


class ExternalLink(msgspec.Struct, frozen=True, kw_only=True):
    system: str
    key: str
    url: str | None
    milestone_id: UUID | None  # None: the initiative itself


class ExternalLinks(Milestones):
    external_links: tuple[ExternalLink, ...]

    def _init_parts(self) -> None:
        super()._init_parts()
        self.external_links = ()

    def link_external_key(
        self, *, system: str, key: str, url: str | None, milestone_id: UUID | None, meta: EventMeta
    ) -> ExternalLink:
        """Record the link (the key's own claim guards uniqueness); keys come normalised."""
        self._require_open()
        milestone_title = None if milestone_id is None else self.milestone(milestone_id).title
        self._record(
            ExternalKeyLinked,
            meta,
            system=system,
            key=key,
            url=url,
            milestone_id=milestone_id,
            milestone_title=milestone_title,
        )
        return self.external_links[-1]


class ExternalKeyLinked(RoadmapEvent):
    system: str
    key: str
    url: str | None
    milestone_id: UUID | None
    milestone_title: str | None

    def evolve(self, initiative: ExternalLinks) -> None:
        link = ExternalLink(
            system=self.system, key=self.key, url=self.url, milestone_id=self.milestone_id
        )
        initiative.external_links = (*initiative.external_links, link)
