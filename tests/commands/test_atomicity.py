"""A command that fails part-way records nothing: no event of it, on no aggregate.

Each test notes the store's last position before the failing command and checks it is
unchanged afterwards, besides the versions of every aggregate the command touched.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import AggregateNotFoundError

from roadmap_svc.application import DecisionInput, RoadmapApplication, Work
from roadmap_svc.domain.dependency_graph import GRAPH_ID, MilestoneGraph
from roadmap_svc.domain.errors import (
    DependencyCycleError,
    DuplicateDependencyError,
    InitiativeClosedError,
    InvalidValueError,
    NotFoundError,
    TeamNameTakenError,
)
from roadmap_svc.domain.external_links import ExternalKeyLinked
from roadmap_svc.domain.external_refs import ExternalRef, external_ref_id
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import DependencyType
from roadmap_svc.domain.team import Team
from roadmap_svc.domain.team_names import TeamName, team_name_id
from roadmap_svc.storage.group_commit import CommitConflictError
from tests.application_helpers import propose

META = EventMeta(actor="atomicity-test")


def position(app: RoadmapApplication) -> int | None:
    return app.recorder.max_notification_id()


def add_milestone(app: RoadmapApplication, initiative_id: UUID) -> UUID:
    return app.add_milestone(
        initiative_id,
        title="M",
        success_criteria="done",
        target_date=date(2027, 3, 31),
        meta=META,
        expected_version=None,
    ).value.id


def depend(
    app: RoadmapApplication,
    downstream: tuple[UUID, UUID],
    upstream: tuple[UUID, UUID],
    lag_days: int = 0,
) -> None:
    app.add_dependency(
        downstream[0],
        downstream[1],
        upstream_initiative_id=upstream[0],
        upstream_milestone_id=upstream[1],
        type=DependencyType.FINISH_TO_START,
        lag_days=lag_days,
        meta=META,
        expected_version=None,
    )


def link(
    app: RoadmapApplication,
    initiative_id: UUID,
    key: str,
    *,
    milestone_id: UUID | None = None,
    url: str | None = None,
) -> None:
    app.link_external_key(
        initiative_id,
        system="jira",
        key=key,
        url=url,
        milestone_id=milestone_id,
        meta=META,
        expected_version=None,
    )


def registered_teams(app: RoadmapApplication) -> list[UUID]:
    notifications = app.recorder.select_notifications(start=1, limit=1000)
    return [
        UUID(str(n.originator_id)) for n in notifications if n.topic.endswith(":TeamRegistered")
    ]


# ---- dependencies -------------------------------------------------------------------------


def test_a_refused_cycle_changes_neither_initiative_nor_graph(app: RoadmapApplication) -> None:
    x, y = propose(app, "X"), propose(app, "Y")
    mx, my = add_milestone(app, x), add_milestone(app, y)
    depend(app, (y, my), (x, mx))
    before = (app.get_initiative(x).version, app.get_initiative(y).version, position(app))
    graph_version = app.read(MilestoneGraph, GRAPH_ID).version

    with pytest.raises(DependencyCycleError) as refused:
        depend(app, (x, mx), (y, my))

    assert refused.value.cycle == [str(mx), str(my), str(mx)]
    assert (app.get_initiative(x).version, app.get_initiative(y).version, position(app)) == before
    graph = app.read(MilestoneGraph, GRAPH_ID)
    assert graph.version == graph_version
    assert graph.downstream_of == {mx: frozenset({my})}
    assert app.get_initiative(x).milestones[mx].dependencies == ()


def test_a_refused_first_dependency_creates_no_graph(app: RoadmapApplication) -> None:
    x, y = propose(app, "X"), propose(app, "Y")
    mx, my = add_milestone(app, x), add_milestone(app, y)
    before = position(app)

    refusals: list[tuple[tuple[UUID, UUID], tuple[UUID, UUID], int, str]] = [
        ((x, mx), (y, uuid4()), 0, "upstream_milestone_id"),  # no such milestone
        ((x, mx), (uuid4(), my), 0, "upstream_initiative_id"),  # no such initiative
        ((x, mx), (x, mx), 0, "upstream_milestone_id"),  # itself
        ((x, mx), (y, my), 366, "lag_days"),  # refused after the graph was made in memory
    ]
    for downstream, upstream, lag_days, field in refusals:
        with pytest.raises(InvalidValueError) as refused:
            depend(app, downstream, upstream, lag_days)
        assert refused.value.field == field

    assert position(app) == before
    with pytest.raises(AggregateNotFoundError):
        app.repository.get(GRAPH_ID)
    assert app.get_initiative(x).version == 2


def test_a_duplicate_dependency_records_nothing(app: RoadmapApplication) -> None:
    x, y = propose(app, "X"), propose(app, "Y")
    mx, my = add_milestone(app, x), add_milestone(app, y)
    depend(app, (y, my), (x, mx))
    before = (app.read(MilestoneGraph, GRAPH_ID).version, position(app))

    with pytest.raises(DuplicateDependencyError):
        depend(app, (y, my), (x, mx))

    assert (app.read(MilestoneGraph, GRAPH_ID).version, position(app)) == before
    assert len(app.get_initiative(y).milestones[my].dependencies) == 1


def test_a_refused_edge_does_not_leak_into_the_next_command(app: RoadmapApplication) -> None:
    x, y, z = propose(app, "X"), propose(app, "Y"), propose(app, "Z")
    mx, my, mz = add_milestone(app, x), add_milestone(app, y), add_milestone(app, z)
    depend(app, (y, my), (x, mx))
    with pytest.raises(DependencyCycleError):
        depend(app, (x, mx), (y, my))

    depend(app, (z, mz), (y, my))  # the next edge is saved on the stored graph, not the refused one

    graph = app.read(MilestoneGraph, GRAPH_ID)
    assert graph.downstream_of == {mx: frozenset({my}), my: frozenset({mz})}
    assert graph.version == 3
    assert app.get_initiative(x).milestones[mx].dependencies == ()


# ---- external keys ------------------------------------------------------------------------


def test_a_link_to_an_unknown_milestone_leaves_no_external_ref(app: RoadmapApplication) -> None:
    initiative_id = propose(app)
    before = position(app)

    with pytest.raises(NotFoundError):
        link(app, initiative_id, "PROJ-9", milestone_id=uuid4())

    assert position(app) == before
    with pytest.raises(AggregateNotFoundError):
        app.repository.get(external_ref_id("jira", "PROJ-9"))
    with pytest.raises(NotFoundError):
        app.find_external_ref("jira", "proj-9")
    assert app.get_initiative(initiative_id).version == 1
    # Nothing was reserved: the key is still free to link.
    link(app, initiative_id, "proj-9")
    assert app.find_external_ref("JIRA", "PROJ-9").initiative_id == initiative_id


def test_refused_links_leave_no_external_ref(app: RoadmapApplication) -> None:
    initiative_id = propose(app)
    closed = propose(app, "Closed")
    app.decide(
        closed,
        DecisionInput(kind=DecisionKind.CANCEL, rationale="no budget", decided_by="cfo"),
        META,
        expected_version=None,
    )
    before = position(app)

    with pytest.raises(InvalidValueError) as bad_url:
        link(app, initiative_id, "PROJ-10", url="ftp://example.com/PROJ-10")
    assert bad_url.value.field == "url"
    with pytest.raises(InitiativeClosedError):
        link(app, closed, "PROJ-11")

    assert position(app) == before
    for key in ("PROJ-10", "PROJ-11"):
        with pytest.raises(AggregateNotFoundError):
            app.repository.get(external_ref_id("jira", key))
    assert not any(isinstance(e, ExternalKeyLinked) for e in app.events.get(closed))


def test_a_save_whose_last_aggregate_conflicts_stores_none_of_them(
    app: RoadmapApplication,
) -> None:
    # A command's commit is all or nothing: the initiative's event is refused with the
    # conflicting ExternalRef, although the initiative's own version was free.
    theirs, mine = propose(app, "Theirs"), propose(app, "Mine")
    link(app, theirs, "PROJ-12")
    before = position(app)
    work = Work(app)
    initiative = work.load(Initiative, mine)
    initiative.link_external_key(
        system="jira", key="PROJ-12", url=None, milestone_id=None, meta=META
    )
    work.add(
        ExternalRef.link(
            system="jira", key="PROJ-12", url=None, initiative_id=mine, milestone_id=None, meta=META
        )
    )

    with pytest.raises(CommitConflictError):
        work.commit()

    assert position(app) == before
    assert app.get_initiative(mine).version == 1
    assert app.get_initiative(mine).external_links == ()
    assert app.find_external_ref("jira", "proj-12").initiative_id == theirs


# ---- teams --------------------------------------------------------------------------------


def test_a_refused_registration_leaves_no_team_and_no_claim_change(
    app: RoadmapApplication,
) -> None:
    ops = app.register_team(name="Ops", wip_limit=None, meta=META).id
    claim_version = app.read(TeamName, team_name_id("ops")).version
    before = position(app)

    with pytest.raises(TeamNameTakenError):
        app.register_team(name=" OPS ", wip_limit=3, meta=META)
    with pytest.raises(InvalidValueError) as bad_limit:
        app.register_team(name="Design", wip_limit=0, meta=META)
    assert bad_limit.value.field == "wip_limit"
    with pytest.raises(InvalidValueError) as blank:
        app.register_team(name="   ", wip_limit=None, meta=META)
    assert blank.value.field == "name"

    assert position(app) == before
    assert registered_teams(app) == [ops]
    claim = app.read(TeamName, team_name_id("ops"))
    assert (claim.holder, claim.version) == (ops, claim_version)
    with pytest.raises(AggregateNotFoundError):
        app.repository.get(team_name_id("design"))


def test_a_refused_rename_changes_neither_team_nor_claims(app: RoadmapApplication) -> None:
    alpha = app.register_team(name="Alpha", wip_limit=None, meta=META).id
    beta = app.register_team(name="Beta", wip_limit=None, meta=META).id
    claims = {name: app.read(TeamName, team_name_id(name)).version for name in ("alpha", "beta")}
    before = position(app)

    with pytest.raises(TeamNameTakenError):
        app.rename_team(alpha, name="BETA", meta=META, expected_version=None)

    assert position(app) == before
    assert {n: app.read(TeamName, team_name_id(n)).version for n in claims} == claims
    assert app.read(TeamName, team_name_id("alpha")).holder == alpha
    assert app.read(TeamName, team_name_id("beta")).holder == beta
    # The refused rename was applied in memory only; the next command starts from the store.
    app.set_team_wip_limit(alpha, wip_limit=4, meta=META, expected_version=1)
    team = app.get_team(alpha)
    assert (team.name, team.wip_limit, team.version) == ("Alpha", 4, 2)
    history = [type(e).__qualname__ for e in app.events.get(alpha)]
    assert history == ["TeamRegistered", "TeamWipLimitSet"]


def test_a_team_saved_with_a_conflicting_claim_is_not_stored(app: RoadmapApplication) -> None:
    app.register_team(name="Sales", wip_limit=None, meta=META)
    before = position(app)
    team = Team.register(name="sales", wip_limit=None, meta=META)
    work = Work(app)
    work.add(team)
    work.add(TeamName.claim_new("sales", team.id, META))  # version 1 of a claim that exists

    with pytest.raises(CommitConflictError):
        work.commit()

    assert position(app) == before
    with pytest.raises(AggregateNotFoundError):
        app.repository.get(team.id)
    assert app.stored(team.id) is None
