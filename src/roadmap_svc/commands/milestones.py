"""Commands on milestones and their dependencies (the cycle check spans initiatives)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from roadmap_svc.commands.initiatives import InitiativeCommands
from roadmap_svc.commands.unit_of_work import Outcome
from roadmap_svc.domain.dependency_graph import GRAPH_ID, MilestoneGraph
from roadmap_svc.domain.errors import InvalidValueError
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import DependencyType


class MilestoneCommands(InitiativeCommands):
    def add_milestone(
        self,
        initiative_id: UUID,
        *,
        title: str,
        success_criteria: str,
        target_date: date,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        def add(initiative: Initiative) -> None:
            initiative.add_milestone(
                title=title, success_criteria=success_criteria, target_date=target_date, meta=meta
            )

        return self.change_initiative(initiative_id, expected_version, add)

    def replan_milestone(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        to_date: date,
        reason: str,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        return self.change_initiative(
            initiative_id,
            expected_version,
            lambda i: i.replan_milestone(milestone_id, to_date=to_date, reason=reason, meta=meta),
        )

    def start_milestone(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        return self.change_initiative(
            initiative_id, expected_version, lambda i: i.start_milestone(milestone_id, meta)
        )

    def complete_milestone(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        actual_date: date,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        today = self.today()
        return self.change_initiative(
            initiative_id,
            expected_version,
            lambda i: i.complete_milestone(
                milestone_id, actual_date=actual_date, today=today, meta=meta
            ),
        )

    def miss_milestone(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        reason: str | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        return self.change_initiative(
            initiative_id,
            expected_version,
            lambda i: i.miss_milestone(milestone_id, reason=reason, meta=meta),
        )

    def drop_milestone(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        reason: str,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        return self.change_initiative(
            initiative_id,
            expected_version,
            lambda i: i.drop_milestone(milestone_id, reason=reason, meta=meta),
        )

    def add_dependency(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        *,
        upstream_initiative_id: UUID,
        upstream_milestone_id: UUID,
        type: DependencyType,  # noqa: A002 - the domain's word
        lag_days: int,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        def add(initiative: Initiative) -> Sequence[Aggregate]:
            upstream_initiative = (
                initiative
                if upstream_initiative_id == initiative.id
                else self.find(Initiative, upstream_initiative_id)
            )
            if upstream_initiative is None:
                raise InvalidValueError("upstream_initiative_id", "no such initiative")
            upstream = upstream_initiative.milestones.get(upstream_milestone_id)
            if upstream is None:
                raise InvalidValueError(
                    "upstream_milestone_id", "no such milestone on the upstream initiative"
                )
            # Saved with the initiative: a concurrent edge elsewhere makes this save fail on
            # the graph's version, and the retry re-checks cycles on the new graph.
            graph = self.find(MilestoneGraph, GRAPH_ID) or MilestoneGraph()
            initiative.add_dependency(
                milestone_id,
                upstream_initiative_id=upstream_initiative_id,
                upstream=upstream,
                type=type,
                lag_days=lag_days,
                graph=graph,
                meta=meta,
            )
            return [graph]

        # Every dependency change saves the one graph: take the graph's turn first (then the
        # initiative's, in run), so edits of different initiatives do not race on it.
        with self.serialised(GRAPH_ID):
            return self.change_initiative(initiative_id, expected_version, add)

    def remove_dependency(
        self,
        initiative_id: UUID,
        milestone_id: UUID,
        dependency_id: UUID,
        *,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        def remove(initiative: Initiative) -> Sequence[Aggregate]:
            graph = self.find(MilestoneGraph, GRAPH_ID) or MilestoneGraph()
            initiative.remove_dependency(milestone_id, dependency_id, graph=graph, meta=meta)
            return [graph]

        with self.serialised(GRAPH_ID):
            return self.change_initiative(initiative_id, expected_version, remove)
