"""Every operation of the OpenAPI document by every role and every kind of bad token.

The operations come from the spec, so a new endpoint is in the matrix without anyone adding
it; what each role may do comes from the rule below (not from the routes' own declarations):
histories are for auditors and admins, other reads for every role, writes for editors and
admins. No token, a malformed, an unknown or a revoked one is 401; a role not allowed is 403;
neither records anything, and no token appears in plain text in the database or the logs.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from roadmap_svc.domain.roles import Role
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.tokens import create_token, revoke_token
from tests.api.helpers import Client, assert_problem, head_position

PUBLIC = {"/healthz", "/readyz", "/metrics"}  # probes and the Prometheus scrape
PATH_VALUES = {"version": "1", "name": "someone", "system": "jira", "key": "PROJ-1"}
PATH_VALUES |= {"quarter": "2030-Q1", "delivery_id": "1"}


def allowed_roles(method: str, operation_id: str) -> set[Role]:
    if "Webhook" in operation_id:  # configuring the service
        return {Role.ADMIN}
    if (
        operation_id.endswith("History") or operation_id == "ListEvents" or "Audit" in operation_id
    ):  # who did what, why, and whether the record was altered
        return {Role.AUDITOR, Role.ADMIN}
    if method == "GET":
        return set(Role)
    return {Role.EDITOR, Role.ADMIN}


async def _operations(client: Client) -> list[tuple[str, str, str]]:
    spec: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    found = []
    for path, operations in spec["paths"].items():
        if path in PUBLIC:
            continue
        for method, operation in operations.items():
            url = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    value = PATH_VALUES.get(parameter["name"], str(uuid4()))
                    url = url.replace("{" + parameter["name"] + "}", value)
            found.append((method.upper(), url, operation["operationId"]))
    return found


ENDLESS = {"StreamViewChanges"}  # server-sent events: the test transport waits for an end


@pytest.fixture(scope="module")
def bad_tokens(database: DatabaseTarget) -> dict[str, str]:
    revoked = create_token(database, f"revoked-{uuid4().hex[:6]}", Role.ADMIN)
    assert revoked_token_is_revoked(database, revoked)
    return {
        "none": "",
        "malformed": "Bearer",
        "not-bearer": "Basic YWRtaW46YWRtaW4=",
        "unknown": "Bearer rmp_" + uuid4().hex,
        "revoked": f"Bearer {revoked}",
    }


def revoked_token_is_revoked(database: DatabaseTarget, token: str) -> bool:
    with psycopg.connect(database.dsn) as conn:
        row = conn.execute(
            "SELECT name FROM api_tokens WHERE token_hash = sha256(%s::bytea)", (token.encode(),)
        ).fetchone()
    assert row is not None
    return revoke_token(database, row[0])


async def test_every_operation_refuses_every_bad_token_and_every_role_not_allowed(
    client: Client,
    tokens: dict[Role, str],
    bad_tokens: dict[str, str],
    database: DatabaseTarget,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    operations = await _operations(client)
    assert len(operations) >= 30  # the whole API, not an empty list
    before = await head_position(client)
    for method, url, operation_id in operations:
        body: dict[str, Any] | None = None if method == "GET" else {}
        for kind, header in bad_tokens.items():
            response = await client.request(
                method, url, json=body, headers={"Authorization": header}
            )
            assert response.status_code == 401, (operation_id, kind, response.text)
            assert_problem(response, 401, "unauthenticated")
        for role, token in tokens.items():
            if operation_id in ENDLESS and role in allowed_roles(method, operation_id):
                continue  # never ends here: tests/api/test_stream.py reads it over HTTP
            headers = {"Authorization": f"Bearer {token}"}
            response = await client.request(method, url, json=body, headers=headers)
            if role in allowed_roles(method, operation_id):
                assert response.status_code not in {401, 403}, (operation_id, role, response.text)
            else:
                assert response.status_code == 403, (operation_id, role, response.text)
                assert_problem(response, 403, "forbidden")
    assert await head_position(client) == before  # nothing refused was recorded

    secrets = [*tokens.values(), bad_tokens["revoked"].removeprefix("Bearer ")]
    assert not [s for s in secrets if s in caplog.text], "a token reached the logs"
    with psycopg.connect(database.dsn) as conn:
        stored = conn.execute("SELECT string_agg(t::text, ' ') FROM api_tokens t").fetchone()
        events = conn.execute(
            "SELECT string_agg(convert_from(state, 'UTF8'), ' ') FROM roadmap_events"
        ).fetchone()
    dumped = f"{stored[0] if stored else ''} {events[0] if events else ''}"
    assert not [s for s in secrets if s in dumped], "a token is stored in plain text"
