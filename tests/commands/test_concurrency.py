"""Commands raced from real threads against one application and a real PostgreSQL.

Every race starts its threads together at a barrier; uniqueness (team names, external keys),
the acyclic dependency graph and If-Match must hold however the saves interleave, and
unconditional commands must all be kept (the unit of work retries a lost race).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from roadmap_svc.application import APPLICATION_NAME, RoadmapApplication, Written
from roadmap_svc.commands.unit_of_work import ATTEMPTS
from roadmap_svc.domain.dependency_graph import GRAPH_ID, MilestoneGraph
from roadmap_svc.domain.errors import (
    ConcurrentWriteError,
    DependencyCycleError,
    ExternalKeyTakenError,
    InvalidValueError,
    TeamNameTakenError,
    VersionMismatchError,
)
from roadmap_svc.domain.external_links import ExternalKeyLinked
from roadmap_svc.domain.external_refs import ExternalRef, external_ref_id
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import DependencyType, Milestone
from roadmap_svc.domain.team import Team
from roadmap_svc.domain.team_names import TeamName, team_name_id
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import eventsourcing_env
from roadmap_svc.storage.group_commit import GroupCommitter, Snapshot
from roadmap_svc.storage.idempotency import Claim

META = EventMeta(actor="concurrency-test")
BARRIER_TIMEOUT = 30.0
RESULT_TIMEOUT = 60.0

Outcome = Written[object]
Result = Outcome | Exception


@pytest.fixture
def app(migrated_database: DatabaseTarget) -> Iterator[RoadmapApplication]:
    application = RoadmapApplication(
        env=eventsourcing_env(migrated_database, pool_size=3, aggregate_cache_size=1000)
    )
    try:
        yield application
    finally:
        application.close()


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=16, thread_name_prefix="command") as executor:
        yield executor


def race(pool: ThreadPoolExecutor, calls: Sequence[Callable[[], Outcome]]) -> list[Result]:
    """Run the calls in threads that start together; each one's outcome or exception, in order."""
    barrier = threading.Barrier(len(calls))

    def at_once(call: Callable[[], Outcome]) -> Outcome:
        barrier.wait(BARRIER_TIMEOUT)
        return call()

    futures = [pool.submit(at_once, call) for call in calls]
    results: list[Result] = []
    for future in futures:
        error = future.exception(RESULT_TIMEOUT)
        if error is None:
            results.append(future.result())
        elif isinstance(error, Exception):
            results.append(error)
        else:  # pragma: no cover - KeyboardInterrupt and friends
            raise error
    return results


def successes(results: Sequence[Result]) -> list[Outcome]:
    return [r for r in results if isinstance(r, Written)]


def failures(results: Sequence[Result]) -> list[Exception]:
    return [r for r in results if isinstance(r, Exception)]


def propose(app: RoadmapApplication, title: str = "Initiative") -> UUID:
    outcome = app.propose_initiative(
        title=f"{title} {uuid4().hex[:6]}",
        problem_statement="Planning is slow.",
        business_case="Faster planning.",
        owner="owner",
        sponsor=None,
        tags=(),
        meta=META,
    )
    return outcome.id


def add_milestone(app: RoadmapApplication, initiative_id: UUID, title: str = "M") -> UUID:
    return app.add_milestone(
        initiative_id,
        title=title,
        success_criteria="done",
        target_date=date(2027, 3, 31),
        meta=META,
        expected_version=None,
    ).value.id


def depend(
    app: RoadmapApplication,
    downstream: tuple[UUID, UUID],
    upstream: tuple[UUID, UUID],
) -> Callable[[], Outcome]:
    """A command making downstream (initiative, milestone) depend on upstream's milestone."""

    def call() -> Outcome:
        return app.add_dependency(
            downstream[0],
            downstream[1],
            upstream_initiative_id=upstream[0],
            upstream_milestone_id=upstream[1],
            type=DependencyType.FINISH_TO_START,
            lag_days=0,
            meta=META,
            expected_version=None,
        )

    return call


def register(app: RoadmapApplication, name: str) -> Callable[[], Outcome]:
    return lambda: app.register_team(name=name, wip_limit=None, meta=META)


def rename(app: RoadmapApplication, team_id: UUID, name: str) -> Callable[[], Outcome]:
    return lambda: app.rename_team(team_id, name=name, meta=META, expected_version=None)


def holder(app: RoadmapApplication, name: str) -> UUID | None:
    return app.read(TeamName, team_name_id(name)).holder


def graph_edges(graph: MilestoneGraph) -> set[tuple[UUID, UUID]]:
    return {(up, down) for up, downs in graph.downstream_of.items() for down in downs}


def has_cycle(edges: set[tuple[UUID, UUID]]) -> bool:
    following: dict[UUID, set[UUID]] = {}
    for up, down in edges:
        following.setdefault(up, set()).add(down)
    state: dict[UUID, str] = {}  # "open" while on the current path, "done" after

    def visit(node: UUID) -> bool:
        state[node] = "open"
        for nxt in following.get(node, ()):
            if state.get(nxt) == "open" or (nxt not in state and visit(nxt)):
                return True
        state[node] = "done"
        return False

    return any(node not in state and visit(node) for node in list(following))


def dependency_edges(app: RoadmapApplication, *initiative_ids: UUID) -> set[tuple[UUID, UUID]]:
    """(upstream, downstream) for every dependency the initiatives record on their milestones."""
    edges: set[tuple[UUID, UUID]] = set()
    for initiative_id in initiative_ids:
        for milestone in app.get_initiative(initiative_id).milestones.values():
            edges |= {(d.upstream_milestone_id, milestone.id) for d in milestone.dependencies}
    return edges


# ---- team names ---------------------------------------------------------------------------


def test_one_of_twelve_concurrent_registrations_of_one_name_wins(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    spellings = ["Platform", "platform", " PLATFORM ", "PlatForm", "platform ", "PLATFORM"] * 2

    results = race(pool, [register(app, name) for name in spellings])

    won = successes(results)
    assert len(won) == 1, results
    assert all(isinstance(e, TeamNameTakenError) for e in failures(results)), failures(results)
    winner = won[0].id
    claim = app.read(TeamName, team_name_id("platform"))
    assert claim.holder == winner
    assert app.get_team(winner).name in {s.strip() for s in spellings}
    notifications = app.recorder.select_notifications(start=1, limit=1000)
    registered = [n for n in notifications if n.topic.endswith(":TeamRegistered")]
    assert [n.originator_id for n in registered] == [winner]


def test_rename_keeps_names_unique_and_frees_the_old_one(app: RoadmapApplication) -> None:
    alpha = app.register_team(name="Alpha", wip_limit=None, meta=META).id
    beta = app.register_team(name="Beta", wip_limit=None, meta=META).id

    with pytest.raises(TeamNameTakenError):
        rename(app, alpha, " beta ")()
    assert app.get_team(alpha).name == "Alpha"
    assert app.get_team(alpha).version == 1
    assert holder(app, "beta") == beta
    assert holder(app, "alpha") == alpha

    rename(app, alpha, "Gamma")()
    assert app.get_team(alpha).name == "Gamma"
    assert holder(app, "gamma") == alpha
    assert holder(app, "alpha") is None  # freed: another team may take it
    newcomer = app.register_team(name="ALPHA", wip_limit=None, meta=META).id
    assert holder(app, "Alpha") == newcomer
    with pytest.raises(TeamNameTakenError):
        rename(app, beta, "alpha")()

    claim_version = app.read(TeamName, team_name_id("gamma")).version
    rename(app, alpha, "GAMMA")()  # only the case changes: the claim stays with the team
    assert app.get_team(alpha).name == "GAMMA"
    claim = app.read(TeamName, team_name_id("gamma"))
    assert claim.holder == alpha
    assert claim.name == "GAMMA"
    assert claim.version == claim_version + 1
    with pytest.raises(TeamNameTakenError):
        register(app, "gamma")()


def test_renames_and_registrations_racing_for_one_name_leave_one_holder(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    teams = [app.register_team(name=f"Team {n}", wip_limit=None, meta=META).id for n in range(6)]
    calls = [rename(app, team, "Delta") for team in teams]
    calls += [register(app, name) for name in ("delta", "DELTA", " Delta", "dElTa", "delta ")]

    results = race(pool, calls)

    won = successes(results)
    assert len(won) == 1, results
    assert all(isinstance(e, TeamNameTakenError) for e in failures(results)), failures(results)
    winner = won[0].id
    assert holder(app, "delta") == winner
    for n, team in enumerate(teams):
        kept = app.get_team(team).name
        assert kept == ("Delta" if team == winner else f"Team {n}")
        assert holder(app, kept) == team  # every team still holds the claim of its own name
    if winner in teams:  # the renamed team's old name was freed
        assert holder(app, f"Team {teams.index(winner)}") is None


def test_a_freed_name_raced_for_goes_to_exactly_one_team(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    legacy = app.register_team(name="Legacy", wip_limit=None, meta=META).id
    rename(app, legacy, "Modern")()
    assert holder(app, "legacy") is None
    spellings = ["Legacy", "legacy", " LEGACY", "LeGaCy"] * 3

    results = race(pool, [register(app, name) for name in spellings])

    won = successes(results)
    assert len(won) == 1, results
    assert all(isinstance(e, TeamNameTakenError) for e in failures(results)), failures(results)
    claim = app.read(TeamName, team_name_id("legacy"))
    assert claim.holder == won[0].id
    assert claim.version == 3  # claimed, released by the rename, claimed again
    assert holder(app, "modern") == legacy


# ---- dependency cycles --------------------------------------------------------------------


def test_opposite_dependencies_raced_never_both_recorded(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    x, y = propose(app, "X"), propose(app, "Y")
    rounds = 20

    for n in range(rounds):
        mx, my = add_milestone(app, x, f"mx{n}"), add_milestone(app, y, f"my{n}")
        results = race(pool, [depend(app, (y, my), (x, mx)), depend(app, (x, mx), (y, my))])

        assert len(successes(results)) == 1, (n, results)
        refused = failures(results)
        assert len(refused) == 1, (n, results)
        assert isinstance(refused[0], DependencyCycleError), (n, refused)

    graph = app.read(MilestoneGraph, GRAPH_ID)
    edges = graph_edges(graph)
    assert len(edges) == rounds
    assert not has_cycle(edges)
    assert graph.version == 1 + rounds  # Started + one EdgeAdded per round
    assert dependency_edges(app, x, y) == edges


def test_closing_edge_of_a_long_cycle_refused_while_another_edge_is_added(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    a, b, c, d, e = (propose(app, name) for name in "ABCDE")
    rounds = 5

    for n in range(rounds):
        ma, mb, mc, md, me = (add_milestone(app, i, f"m{n}") for i in (a, b, c, d, e))
        depend(app, (b, mb), (a, ma))()
        depend(app, (c, mc), (b, mb))()  # a -> b -> c

        closing, elsewhere = race(
            pool, [depend(app, (a, ma), (c, mc)), depend(app, (e, me), (d, md))]
        )

        assert isinstance(closing, DependencyCycleError), (n, closing)
        assert closing.cycle == [str(ma), str(mb), str(mc), str(ma)]
        assert isinstance(elsewhere, Written), (n, elsewhere)

    edges = graph_edges(app.read(MilestoneGraph, GRAPH_ID))
    assert len(edges) == 3 * rounds
    assert not has_cycle(edges)
    assert dependency_edges(app, a, b, c, d, e) == edges


def test_two_raced_edges_that_only_together_close_a_cycle(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    a, b, c = propose(app, "A"), propose(app, "B"), propose(app, "C")
    rounds = 8

    for n in range(rounds):
        ma, mb, mc = (add_milestone(app, i, f"m{n}") for i in (a, b, c))
        depend(app, (b, mb), (a, ma))()  # a -> b; then b -> c and c -> a at once
        results = race(pool, [depend(app, (c, mc), (b, mb)), depend(app, (a, ma), (c, mc))])

        assert len(successes(results)) == 1, (n, results)
        assert [type(r) for r in failures(results)] == [DependencyCycleError], (n, results)

    edges = graph_edges(app.read(MilestoneGraph, GRAPH_ID))
    assert len(edges) == 2 * rounds
    assert not has_cycle(edges)
    assert dependency_edges(app, a, b, c) == edges


# ---- external keys ------------------------------------------------------------------------


def test_one_of_ten_concurrent_links_of_one_external_key_wins(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    initiatives = [propose(app, f"I{n}") for n in range(10)]

    def link(initiative_id: UUID, system: str, key: str) -> Callable[[], Outcome]:
        return partial(
            app.link_external_key,
            initiative_id,
            system=system,
            key=key,
            url=None,
            milestone_id=None,
            meta=META,
            expected_version=None,
        )

    for n in range(3):
        key = f"proj-{n}"
        spellings = [f"PROJ-{n}", f"proj-{n}", f"Proj-{n}", f" PROJ-{n} ", f"pRoJ-{n}"] * 2
        systems = ["jira", " JIRA", "Jira ", "jira", "jIRA"] * 2

        results = race(
            pool,
            [link(i, s, k) for i, s, k in zip(initiatives, systems, spellings, strict=True)],
        )

        won = successes(results)
        assert len(won) == 1, results
        refused = failures(results)
        assert all(isinstance(r, ExternalKeyTakenError) for r in refused), refused
        winner = won[0].id
        ref = app.find_external_ref("JIRA", key.upper())
        assert (ref.initiative_id, ref.milestone_id, ref.system) == (winner, None, "jira")
        assert isinstance(app.repository.get(external_ref_id("jira", key)), ExternalRef)
        for initiative_id in initiatives:
            initiative: Initiative = app.repository.get(initiative_id)
            links = [x.key.casefold() for x in initiative.external_links]
            history = [
                e.key.casefold()
                for e in app.events.get(initiative_id)
                if isinstance(e, ExternalKeyLinked)
            ]
            expected = 1 if initiative_id == winner else 0
            assert links.count(key) == expected, (initiative_id, links)
            assert history.count(key) == expected, (initiative_id, history)

    # Each initiative's history holds exactly the links it won, nothing of the races it lost.
    assert sum(len(app.get_initiative(i).external_links) for i in initiatives) == 3
    for initiative_id in initiatives:
        initiative = app.get_initiative(initiative_id)
        assert initiative.version == 1 + len(initiative.external_links)


def test_a_key_lost_in_a_race_leaves_the_loser_untouched(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    initiatives = [propose(app, f"L{n}") for n in range(10)]

    results = race(
        pool,
        [
            partial(
                app.link_external_key,
                i,
                system="jira",
                key="LOST-1",
                url="https://jira.example/browse/LOST-1",
                milestone_id=None,
                meta=META,
                expected_version=None,
            )
            for i in initiatives
        ],
    )

    (won,) = successes(results)
    assert all(isinstance(r, ExternalKeyTakenError) for r in failures(results))
    for initiative_id in initiatives:
        initiative: Initiative = app.repository.get(initiative_id)
        history = list(app.events.get(initiative_id))
        if initiative_id == won.id:
            assert len(initiative.external_links) == 1
            assert sum(isinstance(e, ExternalKeyLinked) for e in history) == 1
        else:
            assert initiative.external_links == ()
            assert not any(isinstance(e, ExternalKeyLinked) for e in history)
            assert initiative.version == 1


# ---- unconditional commands and If-Match --------------------------------------------------


# Commands on one aggregate take turns inside a process, so any number of concurrent
# unconditional writers are all kept (retries cover races between processes).
WRITERS = [4, 16]


@pytest.mark.parametrize("writers", WRITERS)
def test_concurrent_stakeholders_are_all_kept(
    app: RoadmapApplication, pool: ThreadPoolExecutor, writers: int
) -> None:
    initiative_id = propose(app)
    names = [f"person-{n}" for n in range(writers)]

    results = race(
        pool,
        [
            partial(
                app.add_stakeholder,
                initiative_id,
                name=name,
                role=None,
                meta=META,
                expected_version=None,
            )
            for name in names
        ],
    )

    # Whatever was refused was refused whole, as a lost race, and everything accepted is kept.
    kept = successes(results)
    refused = failures(results)
    assert all(type(r) is ConcurrentWriteError for r in refused), refused
    initiative = app.get_initiative(initiative_id)
    assert initiative.version == 1 + len(kept)
    assert sorted(r.version for r in kept) == list(range(2, 2 + len(kept)))
    assert len(initiative.stakeholders) == len(kept)
    # The promise: a command that still holds on fresh state simply succeeds.
    assert refused == []
    assert sorted(s.name for s in initiative.stakeholders.values()) == sorted(names)
    assert initiative.version == 1 + writers


@pytest.mark.parametrize("writers", WRITERS)
def test_concurrent_milestones_are_all_kept(
    app: RoadmapApplication, pool: ThreadPoolExecutor, writers: int
) -> None:
    initiative_id = propose(app)

    results = race(
        pool, [partial(_add_milestone_outcome, app, initiative_id, n) for n in range(writers)]
    )

    kept = successes(results)
    refused = failures(results)
    assert all(type(r) is ConcurrentWriteError for r in refused), refused
    initiative = app.get_initiative(initiative_id)
    assert initiative.version == 1 + len(kept)
    assert {r.value.id for r in kept if isinstance(r.value, Milestone)} == set(
        initiative.milestones
    )
    assert refused == []
    assert len(initiative.milestones) == writers
    assert initiative.version == 1 + writers


def _add_milestone_outcome(app: RoadmapApplication, initiative_id: UUID, n: int) -> Outcome:
    return app.add_milestone(
        initiative_id,
        title=f"milestone {n}",
        success_criteria="done",
        target_date=date(2027, 6, 30),
        meta=META,
        expected_version=None,
    )


def test_same_if_match_from_sixteen_writers_one_wins(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    initiative_id = propose(app)
    app.add_stakeholder(initiative_id, name="first", role=None, meta=META, expected_version=1)
    version = app.get_initiative(initiative_id).version

    results = race(
        pool,
        [
            partial(
                app.add_stakeholder,
                initiative_id,
                name=f"writer-{n}",
                role=None,
                meta=META,
                expected_version=version,
            )
            for n in range(16)
        ],
    )

    (won,) = successes(results)
    assert won.version == version + 1
    refused = failures(results)
    assert len(refused) == 15
    assert all(isinstance(r, VersionMismatchError) for r in refused), refused
    assert all(isinstance(r, VersionMismatchError) and r.expected == version for r in refused)
    initiative = app.get_initiative(initiative_id)
    assert initiative.version == version + 1
    assert len(initiative.stakeholders) == 2


# ---- lost races, interleaved on purpose ---------------------------------------------------


class InterferingCommitter(GroupCommitter):
    """Runs another writer's command just before each of its next commits."""

    interference: list[Callable[[], object]]

    def commit(
        self,
        events: Sequence[StoredEvent],
        reads: Sequence[tuple[UUID, int]] = (),
        snapshots: Sequence[Snapshot] = (),
        claim: Claim | None = None,
    ) -> list[int]:
        if self.interference:
            self.interference.pop(0)()
        return super().commit(events, reads, snapshots, claim)


class Interleaved(RoadmapApplication):
    """Lets another writer commit just before each of its next saves: a lost race on demand.

    The other writer is a second application on the same database, as another API replica
    would be (with a cache of its own); nothing is faked, only the order of two real commits
    is fixed.
    """

    name = APPLICATION_NAME  # a subclass would otherwise name its own event table

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(env)
        self.committer.close()
        self.committer = self.interfering = InterferingCommitter(
            self.recorder.datastore,  # type: ignore[attr-defined]
            f"{APPLICATION_NAME}_events",
            f"{APPLICATION_NAME}_snapshots",
        )
        self.interfering.interference = []

    @property
    def interference(self) -> list[Callable[[], object]]:
        return self.interfering.interference

    @interference.setter
    def interference(self, calls: list[Callable[[], object]]) -> None:
        self.interfering.interference = calls


@pytest.fixture
def interleaved(
    migrated_database: DatabaseTarget, app: RoadmapApplication
) -> Iterator[Interleaved]:
    del app  # only for its migrated database, and as the other writer in the tests
    application = Interleaved(
        env=eventsourcing_env(migrated_database, pool_size=2)  # no cache: always the store
    )
    try:
        yield application
    finally:
        application.close()


def test_lost_race_on_the_graph_is_retried_and_finds_the_new_cycle(
    app: RoadmapApplication, interleaved: Interleaved
) -> None:
    a, b, c = propose(app, "A"), propose(app, "B"), propose(app, "C")
    ma, mb, mc = add_milestone(app, a), add_milestone(app, b), add_milestone(app, c)
    depend(app, (b, mb), (a, ma))()
    # Decided on a graph holding only a -> b; b -> c commits first, so c -> a closes a cycle.
    interleaved.interference = [depend(app, (c, mc), (b, mb))]

    with pytest.raises(DependencyCycleError) as refused:
        depend(interleaved, (a, ma), (c, mc))()

    assert interleaved.interference == []
    assert refused.value.cycle == [str(ma), str(mb), str(mc), str(ma)]
    edges = graph_edges(app.read(MilestoneGraph, GRAPH_ID))
    assert edges == {(ma, mb), (mb, mc)}
    assert dependency_edges(app, a, b, c) == edges
    assert app.get_initiative(a).version == 2  # proposed + its milestone


def test_lost_race_for_an_external_key_is_retried_and_refused(
    app: RoadmapApplication, interleaved: Interleaved
) -> None:
    mine, theirs = propose(app, "Mine"), propose(app, "Theirs")

    def link(application: RoadmapApplication, initiative_id: UUID, key: str) -> Outcome:
        return application.link_external_key(
            initiative_id,
            system="jira",
            key=key,
            url=None,
            milestone_id=None,
            meta=META,
            expected_version=None,
        )

    interleaved.interference = [partial(link, app, theirs, "RACE-1")]

    with pytest.raises(ExternalKeyTakenError):
        link(interleaved, mine, "race-1")

    assert app.find_external_ref("jira", "Race-1").initiative_id == theirs
    assert app.get_initiative(mine).version == 1
    assert app.get_initiative(mine).external_links == ()
    assert not any(isinstance(e, ExternalKeyLinked) for e in app.events.get(mine))


def test_lost_race_for_a_team_name_is_retried_and_refused(
    app: RoadmapApplication, interleaved: Interleaved
) -> None:
    existing = app.register_team(name="Sales", wip_limit=None, meta=META).id
    interleaved.interference = [register(app, "Ops"), register(app, "Marketing")]

    with pytest.raises(TeamNameTakenError):
        register(interleaved, "OPS")()
    with pytest.raises(TeamNameTakenError):
        rename(interleaved, existing, "marketing")()

    notifications = app.recorder.select_notifications(start=1, limit=1000)
    registered = [n for n in notifications if n.topic.endswith(":TeamRegistered")]
    assert len(registered) == 3
    assert app.get_team(existing).name == "Sales"
    assert app.get_team(existing).version == 1
    assert holder(app, "sales") == existing
    assert holder(app, "ops") not in {None, existing}


def test_lost_race_under_if_match_answers_version_mismatch(
    app: RoadmapApplication, interleaved: Interleaved
) -> None:
    initiative_id = propose(app)
    interleaved.interference = [
        partial(
            app.add_stakeholder,
            initiative_id,
            name="them",
            role=None,
            meta=META,
            expected_version=1,
        )
    ]

    with pytest.raises(VersionMismatchError) as refused:
        interleaved.add_stakeholder(
            initiative_id, name="me", role=None, meta=META, expected_version=1
        )

    assert (refused.value.expected, refused.value.actual) == (1, 2)
    assert set(app.get_initiative(initiative_id).stakeholders) == {"them"}


@pytest.mark.parametrize("losses", [ATTEMPTS - 1, ATTEMPTS])
def test_a_command_retries_lost_races_a_bounded_number_of_times(
    app: RoadmapApplication, interleaved: Interleaved, losses: int
) -> None:
    initiative_id = propose(app)

    def other_writer(n: int) -> Outcome:
        return app.add_stakeholder(
            initiative_id, name=f"other-{n}", role=None, meta=META, expected_version=None
        )

    interleaved.interference = [partial(other_writer, n) for n in range(losses)]

    def mine() -> Outcome:
        return interleaved.add_stakeholder(
            initiative_id, name="mine", role=None, meta=META, expected_version=None
        )

    if losses < ATTEMPTS:
        assert mine().version == 2 + losses
    else:  # gives up whole: nothing of this command is stored
        with pytest.raises(ConcurrentWriteError):
            mine()
    initiative = app.get_initiative(initiative_id)
    others = {f"other-{n}" for n in range(losses)}
    expected = others | ({"mine"} if losses < ATTEMPTS else set())
    assert {s.name for s in initiative.stakeholders.values()} == expected
    assert initiative.version == 1 + len(expected)


# ---- assignments --------------------------------------------------------------------------


def test_assigning_an_unknown_team_is_refused_and_records_nothing(
    app: RoadmapApplication,
) -> None:
    initiative_id = propose(app)
    position = app.recorder.max_notification_id()

    for team_id in (uuid4(), initiative_id):  # no aggregate at all; not a team
        with pytest.raises(InvalidValueError) as refused:
            app.assign_team(
                initiative_id,
                team_id=team_id,
                quarter="2027-Q1",
                fte=1.0,
                person=None,
                role=None,
                meta=META,
                expected_version=None,
            )
        assert refused.value.field == "team_id"

    assert app.get_initiative(initiative_id).version == 1
    assert app.get_initiative(initiative_id).assignments == {}
    assert app.recorder.max_notification_id() == position


def test_over_allocating_a_team_is_accepted(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    team_id = app.register_team(name="Payments", wip_limit=1, meta=META).id
    app.set_team_capacity(team_id, quarter="2027-Q1", fte=5, meta=META, expected_version=None)
    first, second = propose(app, "First"), propose(app, "Second")

    results = race(
        pool,
        [
            partial(
                app.assign_team,
                i,
                team_id=team_id,
                quarter="2027-Q1",
                fte=100,
                person=None,
                role=None,
                meta=META,
                expected_version=None,
            )
            for i in (first, second)
        ],
    )

    assert failures(results) == []
    for initiative_id in (first, second):
        (assignment,) = app.get_initiative(initiative_id).assignments.values()
        assert assignment.team_id == team_id
        assert assignment.fte == 100
        assert assignment.quarter == "2027-Q1"
    team: Team = app.get_team(team_id)
    assert team.capacity == {"2027-Q1": 5}


def test_concurrent_dependencies_on_different_initiatives_are_all_kept(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    """Every dependency change saves the one graph; in one process they take turns."""
    upstream_initiative = propose(app)
    upstream = add_milestone(app, upstream_initiative)
    initiatives = [propose(app) for _ in range(16)]
    pairs = [(initiative, add_milestone(app, initiative)) for initiative in initiatives]

    results = race(
        pool,
        [
            partial(
                app.add_dependency,
                initiative,
                milestone,
                upstream_initiative_id=upstream_initiative,
                upstream_milestone_id=upstream,
                type=DependencyType.FINISH_TO_START,
                lag_days=0,
                meta=META,
                expected_version=None,
            )
            for initiative, milestone in pairs
        ],
    )

    assert failures(results) == []
    graph: object = app.repository.get(GRAPH_ID)
    assert isinstance(graph, MilestoneGraph)
    assert graph.downstream_of[upstream] == {milestone for _, milestone in pairs}


# ---- a dependency against a concurrent drop of its upstream milestone ---------------------


def test_a_dependency_decided_before_its_upstream_was_dropped_is_refused(
    app: RoadmapApplication, interleaved: Interleaved
) -> None:
    upstream_initiative, downstream_initiative = propose(app, "Up"), propose(app, "Down")
    upstream = add_milestone(app, upstream_initiative)
    downstream = add_milestone(app, downstream_initiative)
    # Decided on an upstream that is open; the drop commits first.
    interleaved.interference = [
        partial(
            app.drop_milestone,
            upstream_initiative,
            upstream,
            reason="cut",
            meta=META,
            expected_version=None,
        )
    ]

    with pytest.raises(InvalidValueError) as refused:
        depend(interleaved, (downstream_initiative, downstream), (upstream_initiative, upstream))()

    assert refused.value.field == "upstream_milestone_id"
    assert "dropped" in refused.value.message
    assert app.get_initiative(downstream_initiative).milestones[downstream].dependencies == ()
    assert app.get_initiative(downstream_initiative).version == 2


def test_dependencies_raced_with_drops_never_point_at_a_dropped_milestone(
    app: RoadmapApplication, pool: ThreadPoolExecutor
) -> None:
    upstream_initiative = propose(app, "Up")
    downstreams = [(i, add_milestone(app, i)) for i in (propose(app, f"D{n}") for n in range(6))]

    for n in range(5):
        upstream = add_milestone(app, upstream_initiative, f"up {n}")
        calls: list[Callable[[], Outcome]] = [
            depend(app, downstream, (upstream_initiative, upstream)) for downstream in downstreams
        ]
        calls.insert(
            n % len(calls),
            partial(
                app.drop_milestone,
                upstream_initiative,
                upstream,
                reason="cut",
                meta=META,
                expected_version=None,
            ),
        )
        results = race(pool, calls)

        assert all(isinstance(r, Written | InvalidValueError) for r in results), results
        dropped_at = app.get_initiative(upstream_initiative).milestones[upstream]
        assert dropped_at.status.value == "dropped"
        # Every dependency that was kept was decided, and committed, before the drop.
        drop_position = next(
            r.position for r in results if isinstance(r, Written) and r.id == upstream_initiative
        )
        for result in results:
            if isinstance(result, Written) and result.id != upstream_initiative:
                assert result.position < drop_position, (n, results)
