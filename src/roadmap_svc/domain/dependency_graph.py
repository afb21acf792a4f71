"""The milestone dependency graph of the whole organisation, as one aggregate.

Why one aggregate: a cycle can span initiatives, so no single initiative can check it. Every
command that adds an edge saves this graph together with the initiative, in one transaction.
Two concurrent writers load the same graph version; the second save fails on that version
(the event store's unique key) and the command is retried on the new graph, where the
cycle check sees the first writer's edge. So no cycle is ever committed, across processes.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from roadmap_svc.domain.errors import DependencyCycleError
from roadmap_svc.domain.events import RecordsEvents, RoadmapCreated, RoadmapEvent
from roadmap_svc.domain.meta import EventMeta

GRAPH_ID = uuid5(NAMESPACE_URL, "urn:roadmap-svc:milestone-graph")


class GraphState(RecordsEvents):
    # Frozen sets: an edge replaces one entry, so a copy of the dict is a copy of the graph.
    downstream_of: dict[UUID, frozenset[UUID]]


class MilestoneGraph(GraphState, Aggregate):
    def __init__(self) -> None:
        self.downstream_of = {}

    @classmethod
    def start(cls, meta: EventMeta) -> MilestoneGraph:
        return cls._create(MilestoneGraphStarted, id=GRAPH_ID, meta=meta)

    def add_edge(self, upstream: UUID, downstream: UUID, meta: EventMeta) -> None:
        """Record that `downstream` depends on `upstream`, unless that closes a cycle."""
        back = self.path(downstream, upstream)
        if back is not None:
            raise DependencyCycleError([str(node) for node in (*back, downstream)])
        self._record(MilestoneGraphEdgeAdded, meta, upstream=upstream, downstream=downstream)

    def remove_edge(self, upstream: UUID, downstream: UUID, meta: EventMeta) -> None:
        if downstream in self.downstream_of.get(upstream, frozenset()):
            self._record(MilestoneGraphEdgeRemoved, meta, upstream=upstream, downstream=downstream)

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


class MilestoneGraphStarted(RoadmapCreated):
    def evolve(self, graph: GraphState) -> None:
        del graph  # starts empty (__init__)


class MilestoneGraphEdgeAdded(RoadmapEvent):
    upstream: UUID
    downstream: UUID

    def evolve(self, graph: GraphState) -> None:
        edges = graph.downstream_of
        edges[self.upstream] = edges.get(self.upstream, frozenset()) | {self.downstream}


class MilestoneGraphEdgeRemoved(RoadmapEvent):
    upstream: UUID
    downstream: UUID

    def evolve(self, graph: GraphState) -> None:
        edges = graph.downstream_of
        edges[self.upstream] = edges[self.upstream] - {self.downstream}
