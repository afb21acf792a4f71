"""Bearer tokens and roles; the actor recorded is always the token's name."""

from __future__ import annotations

import pytest

from roadmap_svc.domain.roles import Role
from tests.api.helpers import Client, assert_problem, history_types, proposal, propose


async def test_no_or_unknown_token_is_401_with_a_challenge(client: Client) -> None:
    for headers in (
        {"Authorization": ""},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic x"},
    ):
        response = await client.get("/v1/initiatives", headers=headers)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_health_and_schema_need_no_token(client: Client) -> None:
    for path in ("/healthz", "/schema/openapi.json"):
        response = await client.get(path, headers={"Authorization": ""})
        assert response.status_code == 200, (path, response.text)


async def test_viewer_reads_but_cannot_write(client: Client, tokens: dict[Role, str]) -> None:
    viewer = {"Authorization": f"Bearer {tokens[Role.VIEWER]}"}
    created = await propose(client)

    read = await client.get(f"/v1/initiatives/{created['id']}", headers=viewer)
    write = await client.post("/v1/initiatives", json=proposal(), headers=viewer)
    decide = await client.post(
        f"/v1/initiatives/{created['id']}/decisions",
        json={"kind": "reject", "rationale": "x"},
        headers=viewer,
    )

    assert read.status_code == 200
    assert_problem(write, 403, "forbidden")
    assert_problem(decide, 403, "forbidden")
    assert await history_types(client, created["id"]) == ["InitiativeProposed"]


async def test_auditor_reads_history_but_cannot_write(
    client: Client, tokens: dict[Role, str]
) -> None:
    auditor = {"Authorization": f"Bearer {tokens[Role.AUDITOR]}"}
    created = await propose(client)

    history = await client.get(f"/v1/initiatives/{created['id']}/history", headers=auditor)
    write = await client.patch(
        f"/v1/initiatives/{created['id']}", json={"owner": "x"}, headers=auditor
    )

    assert history.status_code == 200
    assert_problem(write, 403, "forbidden")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.VIEWER, False), (Role.EDITOR, False), (Role.AUDITOR, True), (Role.ADMIN, True)],
)
async def test_histories_are_for_auditors_and_admins(
    client: Client, tokens: dict[Role, str], role: Role, allowed: bool
) -> None:
    """Histories name actors, reasons and request ids; the decision log stays for every reader."""
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    created = await propose(client)
    team = await client.post("/v1/teams", json={"name": f"audit-{created['id'][:8]}"})
    assert team.status_code == 201, team.text
    for url in (
        f"/v1/initiatives/{created['id']}/history",
        f"/v1/teams/{team.json()['id']}/history",
    ):
        response = await client.get(url, headers=headers)
        if allowed:
            assert response.status_code == 200, response.text
        else:
            assert_problem(response, 403, "forbidden")
    decisions = await client.get(f"/v1/initiatives/{created['id']}/decisions", headers=headers)
    assert decisions.status_code == 200, decisions.text


async def test_the_actor_is_the_token_name_never_the_body(
    client: Client, tokens: dict[Role, str]
) -> None:
    editor = {"Authorization": f"Bearer {tokens[Role.EDITOR]}"}
    forged = await client.post(
        "/v1/initiatives", json=proposal(actor="mallory", proposer="mallory"), headers=editor
    )
    created = await client.post("/v1/initiatives", json=proposal(), headers=editor)
    body = created.json()
    history = (await client.get(f"/v1/initiatives/{body['id']}/history")).json()["items"]

    assert_problem(forged, 400, "validation-error")
    assert body["proposer"].startswith("test-editor-")
    assert history[0]["actor"] == body["proposer"]


def test_every_route_declares_the_roles_it_needs() -> None:
    from roadmap_svc.api.app import create_app  # noqa: PLC0415
    from roadmap_svc.api.auth import PUBLIC_PATHS, ROLES_KEY  # noqa: PLC0415
    from roadmap_svc.config import Settings  # noqa: PLC0415
    from roadmap_svc.storage.database import DatabaseTarget  # noqa: PLC0415

    app = create_app(Settings(), DatabaseTarget(host="unused"), run_projections=False)
    undeclared = [
        (route.path, handler.handler_name)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if not any(route.path.startswith(p) for p in PUBLIC_PATHS)
        and ROLES_KEY not in handler.opt
        and set(handler.http_methods) != {"OPTIONS"}  # Litestar's own, never authenticated
    ]
    assert undeclared == []
