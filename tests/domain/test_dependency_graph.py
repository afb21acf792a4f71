"""The organisation-wide milestone graph, and dependencies between initiatives' milestones."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import CanMutateAggregate
from hypothesis import given, settings
from hypothesis import strategies as st

from roadmap_svc.domain.dependency_graph import (
    GRAPH_ID,
    MilestoneGraph,
    MilestoneGraphEdgeAdded,
    MilestoneGraphEdgeRemoved,
    MilestoneGraphStarted,
)
from roadmap_svc.domain.errors import (
    ConflictError,
    DependencyCycleError,
    DomainError,
    DuplicateDependencyError,
    InvalidValueError,
    NotFoundError,
)
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import (
    MAX_LAG_DAYS,
    Dependency,
    DependencyType,
    Milestone,
    MilestoneDependencyAdded,
    MilestoneDependencyRemoved,
)
from tests.domain.aggregate_checks import refuse, replay

META = EventMeta(actor="alice", request_id="req-9")
OTHER = EventMeta(actor="bob", reason="replanning", request_id="req-10")
TARGET = date(2026, 9, 30)

E = TypeVar("E", bound=DomainError)
Event = CanMutateAggregate[UUID]


def replay_graph(events: Sequence[Event]) -> MilestoneGraph:
    graph: MilestoneGraph | None = None
    for recorded in events:
        graph = recorded.mutate(graph)
    assert isinstance(graph, MilestoneGraph)
    return graph


def edges(graph: MilestoneGraph) -> set[tuple[UUID, UUID]]:
    return {(up, down) for up, downs in graph.downstream_of.items() for down in downs}


def nodes(count: int) -> list[UUID]:
    return [uuid4() for _ in range(count)]


# ---- MilestoneGraph -----------------------------------------------------------------------


def test_a_new_graph_has_the_fixed_id_and_no_edges() -> None:
    graph = MilestoneGraph.start(OTHER)

    assert graph.id == GRAPH_ID
    assert graph.version == 1
    assert graph.downstream_of == {}
    (started,) = graph.collect_events()
    assert isinstance(started, MilestoneGraphStarted)
    assert started.originator_id == GRAPH_ID
    assert started.meta == OTHER


def test_add_edge_records_the_edge() -> None:
    a, b = nodes(2)
    graph = MilestoneGraph.start(META)
    graph.collect_events()

    graph.add_edge(a, b, OTHER)

    (added,) = graph.collect_events()
    assert isinstance(added, MilestoneGraphEdgeAdded)
    assert (added.upstream, added.downstream) == (a, b)
    assert added.meta == OTHER
    assert edges(graph) == {(a, b)}
    assert graph.version == 2


def test_an_edge_replaces_its_entry_so_a_shallow_copy_keeps_the_old_graph() -> None:
    # The aggregate cache copies only the containers (commands/cache.py): sets must be frozen.
    a, b, c = nodes(3)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)
    copied = dict(graph.downstream_of)

    graph.add_edge(a, c, META)
    graph.remove_edge(a, b, META)

    assert all(isinstance(downs, frozenset) for downs in graph.downstream_of.values())
    assert copied == {a: frozenset({b})}
    assert graph.downstream_of == {a: frozenset({c})}


def test_path_follows_edges_downstream_only() -> None:
    a, b, c, d = nodes(4)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)
    graph.add_edge(b, c, META)

    assert graph.path(a, c) == [a, b, c]
    assert graph.path(a, b) == [a, b]
    assert graph.path(c, a) is None  # edges have a direction
    assert graph.path(a, d) is None
    assert graph.path(d, d) == [d]  # the empty path


def test_path_finds_a_shortest_route() -> None:
    a, b, c, d = nodes(4)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)
    graph.add_edge(b, c, META)
    graph.add_edge(c, d, META)
    graph.add_edge(a, d, META)

    assert graph.path(a, d) == [a, d]
    assert graph.path(b, d) == [b, c, d]


def test_a_diamond_is_not_a_cycle() -> None:
    a, b, c, d = nodes(4)
    graph = MilestoneGraph.start(META)

    for up, down in [(a, b), (a, c), (b, d), (c, d)]:
        graph.add_edge(up, down, META)

    assert edges(graph) == {(a, b), (a, c), (b, d), (c, d)}


def test_an_edge_that_closes_a_cycle_is_refused_naming_the_cycle() -> None:
    a, b, c = nodes(3)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)
    graph.add_edge(b, c, META)
    graph.collect_events()

    error = refuse(graph, DependencyCycleError, lambda: graph.add_edge(c, a, META))

    assert error.cycle == [str(a), str(b), str(c), str(a)]
    assert error.cycle[0] == error.cycle[-1]
    assert isinstance(error, ConflictError)
    assert error.kind == "dependency-cycle"
    assert " -> ".join(error.cycle) in str(error)
    assert edges(graph) == {(a, b), (b, c)}


def test_a_two_node_cycle_is_refused() -> None:
    a, b = nodes(2)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)

    error = refuse(graph, DependencyCycleError, lambda: graph.add_edge(b, a, META))

    assert error.cycle == [str(a), str(b), str(a)]


def test_a_self_edge_is_a_cycle() -> None:
    (a,) = nodes(1)
    graph = MilestoneGraph.start(META)

    error = refuse(graph, DependencyCycleError, lambda: graph.add_edge(a, a, META))

    assert error.cycle == [str(a), str(a)]


def test_adding_an_existing_edge_again_keeps_one_edge() -> None:
    a, b = nodes(2)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)

    graph.add_edge(a, b, META)

    assert edges(graph) == {(a, b)}


def test_an_edge_can_be_removed_and_added_again() -> None:
    a, b, c = nodes(3)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)
    graph.add_edge(b, c, META)
    graph.collect_events()

    graph.remove_edge(a, b, OTHER)

    (removed,) = graph.collect_events()
    assert isinstance(removed, MilestoneGraphEdgeRemoved)
    assert (removed.upstream, removed.downstream) == (a, b)
    assert removed.meta == OTHER
    assert edges(graph) == {(b, c)}
    assert graph.path(a, c) is None
    graph.add_edge(a, b, META)
    assert edges(graph) == {(a, b), (b, c)}
    assert graph.path(a, c) == [a, b, c]


def test_removing_an_edge_makes_the_reverse_edge_possible() -> None:
    a, b = nodes(2)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)
    graph.remove_edge(a, b, META)

    graph.add_edge(b, a, META)

    assert edges(graph) == {(b, a)}


def test_removing_a_missing_edge_records_nothing() -> None:
    a, b = nodes(2)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)
    graph.collect_events()
    version = graph.version

    graph.remove_edge(b, a, META)
    graph.remove_edge(a, uuid4(), META)

    assert graph.collect_events() == []
    assert graph.version == version
    assert edges(graph) == {(a, b)}


def test_replaying_the_graph_events_reproduces_the_graph() -> None:
    a, b, c, d = nodes(4)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)
    graph.add_edge(b, c, META)
    graph.add_edge(c, d, META)
    graph.remove_edge(b, c, META)
    graph.add_edge(d, b, META)

    replayed = replay_graph(graph.collect_events())

    assert replayed == graph
    assert edges(replayed) == {(a, b), (c, d), (d, b)}
    assert replayed.version == 6


def test_graph_events_imported_from_another_tool_keep_when_they_happened() -> None:
    a, b = nodes(2)
    long_ago = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    graph = MilestoneGraph.start(EventMeta(actor="importer", occurred_at=long_ago))
    then = long_ago + timedelta(days=3)

    graph.add_edge(a, b, EventMeta(actor="importer", occurred_at=then))

    started, added = graph.collect_events()
    assert isinstance(started, MilestoneGraphStarted)
    assert isinstance(added, MilestoneGraphEdgeAdded)
    assert (started.occurred_at, added.occurred_at) == (long_ago, then)
    assert added.timestamp > then  # recorded now
    assert graph.last_occurred_at == then


def test_a_graph_event_that_occurred_before_the_previous_one_is_refused() -> None:
    a, b = nodes(2)
    graph = MilestoneGraph.start(META)
    graph.add_edge(a, b, META)
    earlier = EventMeta(actor="importer", occurred_at=graph.last_occurred_at - timedelta(1))

    for command in (
        lambda: graph.add_edge(b, uuid4(), earlier),
        lambda: graph.remove_edge(a, b, earlier),
    ):
        error = refuse(graph, InvalidValueError, command)
        assert error.field == "occurred_at"
    assert edges(graph) == {(a, b)}


# ---- Initiative.add_dependency / remove_dependency ----------------------------------------


def propose(title: str) -> Initiative:
    return Initiative.propose(
        title=title,
        problem_statement="A problem.",
        business_case="A case.",
        owner="carol",
        sponsor=None,
        tags=[],
        meta=META,
    )


def with_milestone(title: str) -> tuple[Initiative, UUID]:
    initiative = propose(title)
    milestone_id = initiative.add_milestone(
        title=f"{title} milestone", success_criteria="done", target_date=TARGET, meta=META
    ).id
    initiative.collect_events()
    return initiative, milestone_id


def depend(
    downstream: Initiative,
    downstream_milestone: UUID,
    upstream: Initiative,
    upstream_milestone: UUID,
    graph: MilestoneGraph,
    **overrides: Any,
) -> UUID:
    fields: dict[str, Any] = {
        "upstream_initiative_id": upstream.id,
        "upstream": upstream.milestones[upstream_milestone],
        "type": DependencyType.FINISH_TO_START,
        "lag_days": 0,
        "graph": graph,
        "meta": META,
    }
    fields.update(overrides)
    milestone = downstream.add_dependency(downstream_milestone, **fields)
    assert milestone == downstream.milestones[downstream_milestone]  # returned after the change
    return milestone.dependencies[-1].id


def refuse_both(
    initiative: Initiative, graph: MilestoneGraph, error: type[E], command: Callable[[], object]
) -> E:
    """A refusal that must leave both the initiative and the graph as they were."""
    graph_before = copy.deepcopy(graph)
    graph_pending = len(graph.pending_events)
    caught = refuse(initiative, error, command)
    assert graph == graph_before
    assert len(graph.pending_events) == graph_pending
    return caught


def test_add_dependency_records_it_on_the_initiative_and_the_graph() -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    graph = MilestoneGraph.start(META)
    graph.collect_events()

    returned = app.add_dependency(
        app_m,
        upstream_initiative_id=api.id,
        upstream=api.milestones[api_m],
        type=DependencyType.START_TO_START,
        lag_days=-5,
        graph=graph,
        meta=OTHER,
    )

    assert returned == app.milestones[app_m]  # the downstream milestone, with the dependency
    dependency_id = returned.dependencies[-1].id
    (added,) = app.collect_events()
    assert isinstance(added, MilestoneDependencyAdded)
    assert (added.milestone_id, added.dependency_id) == (app_m, dependency_id)
    assert (added.title, added.target_date) == ("App milestone", TARGET)
    assert (added.upstream_initiative_id, added.upstream_milestone_id) == (api.id, api_m)
    assert (added.type, added.lag_days, added.meta) == (DependencyType.START_TO_START, -5, OTHER)
    assert app.milestones[app_m].dependencies == (
        Dependency(
            id=dependency_id,
            upstream_initiative_id=api.id,
            upstream_milestone_id=api_m,
            type=DependencyType.START_TO_START,
            lag_days=-5,
        ),
    )
    assert api.milestones[api_m].dependencies == ()  # the upstream side is not changed
    (edge,) = graph.collect_events()
    assert isinstance(edge, MilestoneGraphEdgeAdded)
    assert (edge.upstream, edge.downstream) == (api_m, app_m)
    assert edge.meta == OTHER  # the graph records under the same metadata
    assert edges(graph) == {(api_m, app_m)}


def test_a_milestone_can_depend_on_several_upstreams() -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    design, design_m = with_milestone("Design")
    graph = MilestoneGraph.start(META)

    first = depend(app, app_m, api, api_m, graph)
    second = depend(app, app_m, design, design_m, graph, type=DependencyType.FINISH_TO_FINISH)

    assert [d.id for d in app.milestones[app_m].dependencies] == [first, second]
    assert edges(graph) == {(api_m, app_m), (design_m, app_m)}


def test_a_dependency_within_one_initiative_is_allowed() -> None:
    initiative, first = with_milestone("One")
    second = initiative.add_milestone(
        title="Second", success_criteria="done", target_date=TARGET, meta=META
    ).id
    graph = MilestoneGraph.start(META)

    depend(initiative, second, initiative, first, graph)

    assert edges(graph) == {(first, second)}
    (dependency,) = initiative.milestones[second].dependencies
    assert dependency.upstream_initiative_id == initiative.id


def test_a_self_dependency_is_refused() -> None:
    app, app_m = with_milestone("App")
    graph = MilestoneGraph.start(META)

    error = refuse_both(
        app, graph, InvalidValueError, lambda: depend(app, app_m, app, app_m, graph)
    )

    assert error.field == "upstream_milestone_id"
    assert "itself" in error.message


def test_a_duplicate_dependency_is_refused() -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    graph = MilestoneGraph.start(META)
    depend(app, app_m, api, api_m, graph)
    app.collect_events()

    error = refuse_both(
        app,
        graph,
        DuplicateDependencyError,
        lambda: depend(app, app_m, api, api_m, graph, type=DependencyType.FINISH_TO_FINISH),
    )

    assert error.kind == "duplicate-dependency"
    assert len(app.milestones[app_m].dependencies) == 1


def test_a_dependency_on_a_dropped_upstream_is_refused() -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    api.drop_milestone(api_m, reason="descoped", meta=META)
    graph = MilestoneGraph.start(META)

    error = refuse_both(
        app, graph, InvalidValueError, lambda: depend(app, app_m, api, api_m, graph)
    )

    assert error.field == "upstream_milestone_id"
    assert "dropped" in error.message


def test_a_dependency_on_a_completed_upstream_is_allowed() -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    api.complete_milestone(api_m, actual_date=TARGET, today=TARGET, meta=META)
    graph = MilestoneGraph.start(META)

    depend(app, app_m, api, api_m, graph)

    assert edges(graph) == {(api_m, app_m)}


@pytest.mark.parametrize("lag_days", [MAX_LAG_DAYS + 1, -MAX_LAG_DAYS - 1, 10_000])
def test_a_lag_outside_a_year_either_way_is_refused(lag_days: int) -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    graph = MilestoneGraph.start(META)

    error = refuse_both(
        app,
        graph,
        InvalidValueError,
        lambda: depend(app, app_m, api, api_m, graph, lag_days=lag_days),
    )

    assert error.field == "lag_days"
    assert "365" in error.message


@pytest.mark.parametrize("lag_days", [MAX_LAG_DAYS, -MAX_LAG_DAYS, 0])
def test_a_lag_within_a_year_either_way_is_allowed(lag_days: int) -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")

    depend(app, app_m, api, api_m, MilestoneGraph.start(META), lag_days=lag_days)

    assert app.milestones[app_m].dependencies[0].lag_days == lag_days


def three_in_a_chain() -> tuple[
    tuple[Initiative, UUID], tuple[Initiative, UUID], tuple[Initiative, UUID], MilestoneGraph
]:
    """A -> B -> C: B depends on A, C depends on B (each in its own initiative)."""
    a, a_m = with_milestone("A")
    b, b_m = with_milestone("B")
    c, c_m = with_milestone("C")
    graph = MilestoneGraph.start(META)
    depend(b, b_m, a, a_m, graph)
    depend(c, c_m, b, b_m, graph)
    for aggregate in (a, b, c, graph):
        aggregate.collect_events()
    return (a, a_m), (b, b_m), (c, c_m), graph


def test_a_cycle_across_three_initiatives_is_refused_and_nothing_recorded() -> None:
    (a, a_m), (_, b_m), (c, c_m), graph = three_in_a_chain()

    error = refuse_both(a, graph, DependencyCycleError, lambda: depend(a, a_m, c, c_m, graph))

    assert error.cycle == [str(a_m), str(b_m), str(c_m), str(a_m)]
    assert error.cycle[0] == error.cycle[-1]
    assert set(error.cycle) == {str(a_m), str(b_m), str(c_m)}
    assert a.milestones[a_m].dependencies == ()
    assert a.pending_events == []
    assert graph.pending_events == []
    assert edges(graph) == {(a_m, b_m), (b_m, c_m)}


def test_after_removing_a_dependency_the_formerly_cyclic_one_is_allowed() -> None:
    (a, a_m), (b, b_m), (c, c_m), graph = three_in_a_chain()
    (b_on_a,) = b.milestones[b_m].dependencies
    refuse_both(a, graph, DependencyCycleError, lambda: depend(a, a_m, c, c_m, graph))

    returned = b.remove_dependency(b_m, b_on_a.id, graph=graph, meta=OTHER)

    (removed,) = b.collect_events()
    assert isinstance(removed, MilestoneDependencyRemoved)
    assert (removed.milestone_id, removed.dependency_id, removed.upstream_milestone_id) == (
        b_m,
        b_on_a.id,
        a_m,
    )
    assert removed.upstream_initiative_id == a.id
    assert (removed.title, removed.target_date) == ("B milestone", TARGET)
    assert removed.meta == OTHER
    assert b.milestones[b_m].dependencies == ()
    assert returned == b.milestones[b_m]
    (edge_removed,) = graph.collect_events()
    assert isinstance(edge_removed, MilestoneGraphEdgeRemoved)
    assert (edge_removed.upstream, edge_removed.downstream) == (a_m, b_m)
    assert edge_removed.meta == OTHER

    depend(a, a_m, c, c_m, graph)

    assert edges(graph) == {(b_m, c_m), (c_m, a_m)}
    assert len(a.milestones[a_m].dependencies) == 1


def test_a_removed_dependency_can_be_added_again() -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    graph = MilestoneGraph.start(META)
    first = depend(app, app_m, api, api_m, graph)
    app.remove_dependency(app_m, first, graph=graph, meta=META)

    second = depend(app, app_m, api, api_m, graph)

    assert second != first
    assert [d.id for d in app.milestones[app_m].dependencies] == [second]
    assert edges(graph) == {(api_m, app_m)}


def test_removing_only_one_of_several_dependencies_keeps_the_others() -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    design, design_m = with_milestone("Design")
    graph = MilestoneGraph.start(META)
    on_api = depend(app, app_m, api, api_m, graph)
    on_design = depend(app, app_m, design, design_m, graph)

    app.remove_dependency(app_m, on_api, graph=graph, meta=META)

    assert [d.id for d in app.milestones[app_m].dependencies] == [on_design]
    assert edges(graph) == {(design_m, app_m)}


def test_removing_an_unknown_dependency_is_not_found() -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    graph = MilestoneGraph.start(META)
    depend(app, app_m, api, api_m, graph)
    unknown = uuid4()

    error = refuse_both(
        app,
        graph,
        NotFoundError,
        lambda: app.remove_dependency(app_m, unknown, graph=graph, meta=META),
    )

    assert (error.kind, error.identifier) == ("dependency", unknown)


def test_removing_a_dependency_of_an_unknown_milestone_is_not_found() -> None:
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    graph = MilestoneGraph.start(META)
    dependency_id = depend(app, app_m, api, api_m, graph)
    unknown = uuid4()

    error = refuse_both(
        app,
        graph,
        NotFoundError,
        lambda: app.remove_dependency(unknown, dependency_id, graph=graph, meta=META),
    )

    assert (error.kind, error.identifier) == ("milestone", unknown)


def test_a_dependency_of_another_milestone_is_not_found_on_this_one() -> None:
    app, app_m = with_milestone("App")
    other_m = app.add_milestone(
        title="Other", success_criteria="x", target_date=TARGET, meta=META
    ).id
    api, api_m = with_milestone("API")
    graph = MilestoneGraph.start(META)
    dependency_id = depend(app, app_m, api, api_m, graph)

    refuse_both(
        app,
        graph,
        NotFoundError,
        lambda: app.remove_dependency(other_m, dependency_id, graph=graph, meta=META),
    )


def test_replaying_the_initiative_reproduces_its_dependencies() -> None:
    app = propose("App")
    app_m = app.add_milestone(title="Ship", success_criteria="x", target_date=TARGET, meta=META).id
    api, api_m = with_milestone("API")
    design, design_m = with_milestone("Design")
    graph = MilestoneGraph.start(META)
    on_api = depend(app, app_m, api, api_m, graph, lag_days=3)
    depend(app, app_m, design, design_m, graph)
    app.remove_dependency(app_m, on_api, graph=graph, meta=META)

    replayed = replay(app.collect_events())

    assert replayed == app
    assert [d.upstream_milestone_id for d in replayed.milestones[app_m].dependencies] == [design_m]
    assert replay_graph(graph.collect_events()) == graph


# ---- property: the graph never holds a cycle ----------------------------------------------

NODES = [UUID(int=n) for n in range(1, 7)]


def reachable(adjacency: dict[UUID, set[UUID]], start: UUID, goal: UUID) -> bool:
    """Iterative depth-first search, independent of MilestoneGraph.path."""
    seen: set[UUID] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(adjacency.get(node, ()))
    return False


def has_cycle(edge_set: Iterable[tuple[UUID, UUID]]) -> bool:
    """Colouring DFS: a back edge to a node on the current path means a cycle."""
    adjacency: dict[UUID, list[UUID]] = {}
    for up, down in edge_set:
        adjacency.setdefault(up, []).append(down)
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(NODES, white)

    def visit(node: UUID) -> bool:
        colour[node] = grey
        for nxt in adjacency.get(node, []):
            if colour[nxt] == grey or (colour[nxt] == white and visit(nxt)):
                return True
        colour[node] = black
        return False

    return any(colour[n] == white and visit(n) for n in NODES)


def test_the_own_cycle_check_itself_is_right() -> None:
    a, b, c = NODES[:3]
    assert has_cycle([(a, b), (b, c), (c, a)])
    assert has_cycle([(a, a)])
    assert not has_cycle([(a, b), (b, c), (a, c)])
    assert reachable({a: {b}, b: {c}}, a, c)
    assert not reachable({a: {b}, b: {c}}, c, a)


operation = st.tuples(st.booleans(), st.sampled_from(NODES), st.sampled_from(NODES))


@settings(database=None, deadline=None)
@given(st.lists(operation, max_size=40))
def test_accepted_edges_never_form_a_cycle(
    operations: list[tuple[bool, UUID, UUID]],
) -> None:
    graph = MilestoneGraph.start(META)
    model: dict[UUID, set[UUID]] = {}
    for is_add, up, down in operations:
        if not is_add:
            graph.remove_edge(up, down, META)
            model.get(up, set()).discard(down)
            assert edges(graph) == {(u, d) for u, ds in model.items() for d in ds}
            continue
        would_cycle = reachable(model, down, up)  # includes up == down
        version = graph.version
        if would_cycle:
            with pytest.raises(DependencyCycleError) as caught:
                graph.add_edge(up, down, META)
            cycle = [UUID(node) for node in caught.value.cycle]
            assert cycle[0] == cycle[-1] == down
            assert cycle[-2] == up
            closing = {*pairwise(cycle)} - {(up, down)}
            assert all(d in model.get(u, set()) for u, d in closing)  # a real path back
            assert graph.version == version
        else:
            graph.add_edge(up, down, META)
            model.setdefault(up, set()).add(down)
        current = edges(graph)
        assert current == {(u, d) for u, ds in model.items() for d in ds}
        assert not has_cycle(current)
    assert replay_graph(graph.collect_events()) == graph


def test_milestone_struct_of_an_unrelated_initiative_is_only_read() -> None:
    # add_dependency takes the upstream milestone by value; the upstream initiative is untouched.
    app, app_m = with_milestone("App")
    api, api_m = with_milestone("API")
    before: Milestone = api.milestones[api_m]

    depend(app, app_m, api, api_m, MilestoneGraph.start(META))

    assert api.milestones[api_m] is before
    assert api.pending_events == []
