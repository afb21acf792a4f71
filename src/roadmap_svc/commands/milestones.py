"""Commands on milestones and their dependencies (the cycle check spans initiatives)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from roadmap_svc.commands.initiatives import InitiativeCommands
from roadmap_svc.commands.unit_of_work import Change, Work, command
from roadmap_svc.domain.dependency_graph import GRAPH_ID, MilestoneGraph
from roadmap_svc.domain.errors import InvalidValueError
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import DependencyType, Milestone


class MilestoneCommands(InitiativeCommands):
    @command
    def add_milestone(
        self,
        initiative_id: UUID,
        *,
        title: str,
        success_criteria: str,
        target_date: date,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Milestone]:
        return self.initiative_change(
            initiative_id,
            expected_version,
            meta,
            lambda i, _: i.add_milestone(
                title=title, success_criteria=success_criteria, target_date=target_date, meta=meta
            ),
        )

    @command
    def replan_milestone(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        to_date: date,
        reason: str,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Milestone]:
        return self.initiative_change(
            initiative_id,
            expected_version,
            meta,
            lambda i, _: i.replan_milestone(
                milestone_id, to_date=to_date, reason=reason, meta=meta
            ),
        )

    @command
    def start_milestone(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Milestone]:
        return self.initiative_change(
            initiative_id,
            expected_version,
            meta,
            lambda i, _: i.start_milestone(milestone_id, meta),
        )

    @command
    def complete_milestone(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        actual_date: date | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Milestone]:
        """Complete it on `actual_date` (default: the day it happened)."""
        today = self.occurred_day(meta)
        return self.initiative_change(
            initiative_id,
            expected_version,
            meta,
            lambda i, _: i.complete_milestone(
                milestone_id, actual_date=actual_date or today, today=today, meta=meta
            ),
        )

    @command
    def miss_milestone(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        reason: str | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Milestone]:
        return self.initiative_change(
            initiative_id,
            expected_version,
            meta,
            lambda i, _: i.miss_milestone(milestone_id, reason=reason, meta=meta),
        )

    @command
    def drop_milestone(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        reason: str,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Milestone]:
        return self.initiative_change(
            initiative_id,
            expected_version,
            meta,
            lambda i, _: i.drop_milestone(milestone_id, reason=reason, meta=meta),
        )

    @command
    def add_dependency(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        upstream_initiative_id: UUID | None,
        upstream_milestone_id: UUID,
        type: DependencyType,  # noqa: A002 - the domain's word
        lag_days: int,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Milestone]:
        """Depend on a milestone of another initiative (default: of this one)."""

        def add(initiative: Initiative, work: Work) -> Milestone:
            upstream_id = upstream_initiative_id or initiative.id
            # Loaded, not changed: the commit refuses this attempt if the upstream initiative
            # changed meanwhile (e.g. the milestone was dropped), and it is decided again.
            upstream_initiative = work.find(Initiative, upstream_id)
            if upstream_initiative is None:
                raise InvalidValueError("upstream_initiative_id", "no such initiative")
            upstream = upstream_initiative.milestones.get(upstream_milestone_id)
            if upstream is None:
                raise InvalidValueError(
                    "upstream_milestone_id", "no such milestone on the upstream initiative"
                )
            return initiative.add_dependency(
                milestone_id,
                upstream_initiative_id=upstream_id,
                upstream=upstream,
                type=type,
                lag_days=lag_days,
                graph=_graph(work, meta),
                meta=meta,
            )

        # Every dependency change stores the one graph: take the graph's turn first (then the
        # initiative's), so edits of different initiatives do not race on it.
        return self.initiative_change(
            initiative_id, expected_version, meta, add, after_turn_of=(GRAPH_ID,)
        )

    @command
    def remove_dependency(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        dependency_id: UUID,
        *,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Milestone]:
        def remove(initiative: Initiative, work: Work) -> Milestone:
            return initiative.remove_dependency(
                milestone_id, dependency_id, graph=_graph(work, meta), meta=meta
            )

        return self.initiative_change(
            initiative_id, expected_version, meta, remove, after_turn_of=(GRAPH_ID,)
        )


def _graph(work: Work, meta: EventMeta) -> MilestoneGraph:
    """The organisation's graph, stored with the command (started by its first edge)."""
    graph = work.find(MilestoneGraph, GRAPH_ID)
    if graph is None:
        graph = MilestoneGraph.start(meta)
        work.add(graph)
    return graph
