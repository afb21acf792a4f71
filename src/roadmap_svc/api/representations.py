"""Shaping domain objects and read models into response schemas."""

from __future__ import annotations

from roadmap_svc.api import schemas
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind, Status, allowed_decisions
from roadmap_svc.projections.initiative_summary import InitiativeSummary


def initiative(aggregate: Initiative, position: int | None = None) -> schemas.Initiative:
    return schemas.Initiative(
        id=aggregate.id,
        title=aggregate.title,
        problem_statement=aggregate.problem_statement,
        business_case=aggregate.business_case,
        owner=aggregate.owner,
        sponsor=aggregate.sponsor,
        proposer=aggregate.proposer,
        tags=list(aggregate.tags),
        status=aggregate.status,
        quarter=aggregate.quarter,
        revisit_on=aggregate.revisit_on,
        last_decision=aggregate.last_decision,
        allowed_decisions=list(allowed_decisions(aggregate.status)),
        stakeholders=[
            schemas.Stakeholder(name=s.name, role=s.role, stance=s.stance, note=s.note)
            for s in aggregate.stakeholders.values()
        ],
        stakeholders_without_stance=list(aggregate.stakeholders_without_stance),
        milestones=list(aggregate.milestones.values()),
        assignments=list(aggregate.assignments.values()),
        metrics=list(aggregate.metrics.values()),
        external_refs=list(aggregate.external_links),
        version=aggregate.version,
        proposed_at=aggregate.created_on,
        updated_at=aggregate.modified_on,
        position=position,
    )


def summary(row: InitiativeSummary) -> schemas.InitiativeSummary:
    return schemas.InitiativeSummary(
        id=row.id,
        title=row.title,
        status=Status(row.status),
        owner=row.owner,
        sponsor=row.sponsor,
        quarter=row.quarter,
        tags=list(row.tags),
        last_decision=None if row.last_decision is None else DecisionKind(row.last_decision),
        stakeholders_without_stance=list(row.stakeholders_without_stance),
        version=row.version,
        updated_at=row.updated_at,
    )
