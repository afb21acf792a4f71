"""One way for tests to drive the application directly: a proposal with plausible fields."""

from __future__ import annotations

from uuid import UUID, uuid4

from roadmap_svc.application import RoadmapApplication
from roadmap_svc.domain.meta import EventMeta


def meta_of(actor: str = "test") -> EventMeta:
    return EventMeta(actor=actor, request_id=uuid4().hex)


def propose(app: RoadmapApplication, title: str = "Initiative", actor: str = "test") -> UUID:
    return app.propose_initiative(
        title=title,
        problem_statement="Planning is slow.",
        business_case="Faster planning.",
        owner="owner",
        sponsor=None,
        tags=(),
        meta=meta_of(actor),
    ).id
