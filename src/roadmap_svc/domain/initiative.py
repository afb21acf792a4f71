"""The Initiative aggregate: the consistency boundary of its parts.

Each part is a module of its own with its state, events and rules: details.py, stakeholders.py,
decisions.py, milestones.py (with dependencies), assignments.py, metrics.py, external_links.py.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from roadmap_svc.domain.assignments import Assignments
from roadmap_svc.domain.decisions import Decisions
from roadmap_svc.domain.details import Details, InitiativeProposed, proposal
from roadmap_svc.domain.external_links import ExternalLinks
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.metrics import Metrics

__all__ = ["Initiative"]


class Initiative(Details, Decisions, ExternalLinks, Assignments, Metrics, Aggregate):
    def __init__(self) -> None:
        self._init_parts()

    @classmethod
    def propose(
        cls,
        *,
        title: str,
        problem_statement: str,
        business_case: str,
        owner: str,
        sponsor: str | None,
        tags: tuple[str, ...] | list[str],
        meta: EventMeta,
    ) -> Initiative:
        return cls._create(
            InitiativeProposed,
            **proposal(
                title=title,
                problem_statement=problem_statement,
                business_case=business_case,
                owner=owner,
                sponsor=sponsor,
                tags=tags,
                meta=meta,
            ),
        )
