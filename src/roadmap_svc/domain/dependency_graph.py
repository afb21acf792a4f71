"""The milestone dependency graph of the whole organisation, as one aggregate.

Why one aggregate: a cycle can span initiatives, so no single initiative can check it. Every
command that adds an edge saves this graph together with the initiative, in one transaction.
Two concurrent writers load the same graph version; the second save fails on that version
(the event store's unique key) and the command is retried on the new graph, where the
cycle check sees the first writer's edge. So no cycle is ever committed, across processes.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from roadmap_svc.domain.errors import DependencyCycleError

GRAPH_ID = uuid5(NAMESPACE_URL, "urn:roadmap-svc:milestone-graph")


class MilestoneGraph(Aggregate):
    class Started(Aggregate.Created):
        pass

    class EdgeAdded(Aggregate.Event):
        upstream: UUID
        downstream: UUID

    class EdgeRemoved(Aggregate.Event):
        upstream: UUID
        downstream: UUID

    @staticmethod
    def create_id() -> UUID:
        return GRAPH_ID

    @event(Started)
    def __init__(self) -> None:
        self.downstream_of: dict[UUID, set[UUID]] = {}

    def add_edge(self, upstream: UUID, downstream: UUID) -> None:
        """Record that `downstream` depends on `upstream`, unless that closes a cycle."""
        back = self.path(downstream, upstream)
        if back is not None:
            raise DependencyCycleError([str(node) for node in (*back, downstream)])
        self._add_edge(upstream=upstream, downstream=downstream)

    @event(EdgeAdded)
    def _add_edge(self, *, upstream: UUID, downstream: UUID) -> None:
        self.downstream_of.setdefault(upstream, set()).add(downstream)

    def remove_edge(self, upstream: UUID, downstream: UUID) -> None:
        if downstream in self.downstream_of.get(upstream, set()):
            self._remove_edge(upstream=upstream, downstream=downstream)

    @event(EdgeRemoved)
    def _remove_edge(self, *, upstream: UUID, downstream: UUID) -> None:
        self.downstream_of[upstream].discard(downstream)

    def path(self, start: UUID, goal: UUID) -> list[UUID] | None:
        """A path of edges from start to goal (breadth first, so a shortest one), or None."""
        came_from: dict[UUID, UUID | None] = {start: None}
        frontier = [start]
        while frontier:
            following: list[UUID] = []
            for node in frontier:
                if node == goal:
                    route = [node]
                    while (previous := came_from[route[-1]]) is not None:
                        route.append(previous)
                    return route[::-1]
                for nxt in self.downstream_of.get(node, ()):
                    if nxt not in came_from:
                        came_from[nxt] = node
                        following.append(nxt)
            frontier = following
        return None
