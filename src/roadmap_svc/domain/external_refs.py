"""External key claims: one key (e.g. jira / PROJ-123), one object of ours.

Each key is its own small aggregate whose id is derived from the key, so two links of one key
collide on the same aggregate id: the event store's unique key refuses the second, even when
both arrive at once from different processes.
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from roadmap_svc.domain.errors import InvalidValueError
from roadmap_svc.domain.events import RecordsEvents, RoadmapCreated
from roadmap_svc.domain.meta import EventMeta

_SYSTEM = re.compile(r"[a-z][a-z0-9_.-]{0,39}")
_KEY = re.compile(r"[^\s]{1,200}")
_URL = re.compile(r"https?://[^\s]{1,2000}")


def normalise_system(system: str) -> str:
    value = system.strip().lower()
    if not _SYSTEM.fullmatch(value):
        raise InvalidValueError("system", f"{system!r} is not a system name like 'jira'")
    return value


def normalise_key(key: str) -> str:
    value = key.strip()
    if not _KEY.fullmatch(value):
        raise InvalidValueError("key", "must be 1..200 characters without spaces")
    return value


def normalise_url(url: str | None) -> str | None:
    if url is not None and not _URL.fullmatch(url.strip()):
        raise InvalidValueError("url", "must be an http(s) URL")
    return None if url is None else url.strip()


def external_ref_id(system: str, key: str) -> UUID:
    # Keys match case-insensitively: PROJ-123 and proj-123 are one Jira issue.
    return uuid5(NAMESPACE_URL, f"urn:roadmap-svc:external-ref:{system}:{key.casefold()}")


class ExternalRefState(RecordsEvents):
    system: str
    key: str
    url: str | None
    initiative_id: UUID
    milestone_id: UUID | None


class ExternalRef(ExternalRefState, Aggregate):
    @classmethod
    def link(
        cls,
        *,
        system: str,
        key: str,
        url: str | None,
        initiative_id: UUID,
        milestone_id: UUID | None,
        meta: EventMeta,
    ) -> ExternalRef:
        return cls._create(
            ExternalRefLinked,
            id=external_ref_id(system, key),
            system=system,
            key=key,
            url=url,
            initiative_id=initiative_id,
            milestone_id=milestone_id,
            meta=meta,
        )

    @property
    def target(self) -> str:
        if self.milestone_id is None:
            return f"initiative {self.initiative_id}"
        return f"milestone {self.milestone_id} of initiative {self.initiative_id}"


class ExternalRefLinked(RoadmapCreated):
    system: str
    key: str
    url: str | None
    initiative_id: UUID
    milestone_id: UUID | None

    def evolve(self, ref: ExternalRefState) -> None:
        ref.system = self.system
        ref.key = self.key
        ref.url = self.url
        ref.initiative_id = self.initiative_id
        ref.milestone_id = self.milestone_id
