"""The OpenAPI document as a generated client reads it: every problem, header and page link an
operation can answer with is in it, and the answers say what the next request needs."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from roadmap_svc.api import problems
from roadmap_svc.api.app import create_app
from roadmap_svc.api.contract import PROBLEM_MEDIA_TYPE, document
from roadmap_svc.config import Settings
from roadmap_svc.domain import errors
from roadmap_svc.storage.database import DatabaseTarget
from tests.api.helpers import Client, propose
from tests.contract_check import Contract

SOURCE = Path(problems.__file__).parents[1]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = create_app(Settings(), DatabaseTarget(host="unused"), run_projections=False)
    return document(app)


def _operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for path in spec["paths"].values() for op in path.values()}


def _raised_kinds() -> set[str]:
    """Every problem kind the code can raise: problem("kind", ...) calls, the kinds domain
    errors map to, and Litestar's own errors by status."""
    kinds: set[str] = set()
    for module in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "problem"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                kinds.add(str(node.args[0].value))
    conflicts = [c for c in vars(errors).values() if isinstance(c, type) and "kind" in vars(c)]
    kinds |= {c.kind for c in conflicts if issubclass(c, errors.ConflictError)}
    kinds |= set(problems.DOMAIN_KINDS.values()) | set(problems.HTTP_KINDS.values())
    return kinds | {"domain-rule", "http-error"}  # from_domain_error's and the fallbacks


def test_the_problem_catalogue_lists_every_kind_the_code_raises_and_no_other() -> None:
    assert _raised_kinds() == set(problems.PROBLEM_TYPES)


def test_every_problem_the_document_lists_is_problem_json_with_the_one_schema(
    spec: dict[str, Any],
) -> None:
    for op_id, operation in _operations(spec).items():
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")) or op_id == "GetReadiness":
                continue
            content = response["content"]
            assert list(content) == [PROBLEM_MEDIA_TYPE], (op_id, status)
            assert content[PROBLEM_MEDIA_TYPE]["schema"] == {"$ref": "#/components/schemas/Problem"}
    for kind in problems.PROBLEM_TYPES:
        assert f"`{kind}`" in spec["info"]["description"]


def test_writes_document_concurrency_headers_and_their_problems(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    revise = operations["ReviseInitiative"]
    assert {"If-Match", "Roadmap-Occurred-At", "X-Request-Id"} <= {
        p["name"] for p in revise["parameters"]
    }
    assert {"400", "401", "403", "404", "409", "412", "413", "415", "422", "428"} <= set(
        revise["responses"]
    )
    assert {"ETag", "Roadmap-Position"} <= set(revise["responses"]["200"]["headers"])
    created = operations["AddMilestone"]["responses"]["201"]["headers"]
    assert {"ETag", "Roadmap-Position", "Location"} <= set(created)
    assert "ETag" in operations["GetInitiative"]["responses"]["200"]["headers"]
    assert "412" not in operations["ProposeInitiative"]["responses"]  # nothing to match yet
    assert operations["GetHealth"]["security"] == []


def test_lists_document_their_next_page(spec: dict[str, Any]) -> None:
    page = spec["components"]["schemas"]["InitiativePage"]
    assert {"items", "next_cursor", "next"} <= set(page["properties"])
    ok = _operations(spec)["ListInitiatives"]["responses"]["200"]
    assert "Link" in ok["headers"]
    assert set(ok["content"]) == {"application/json", "text/csv"}


def test_request_bodies_refuse_unknown_fields_and_keep_the_constraints_of_list_items(
    spec: dict[str, Any],
) -> None:
    proposed = spec["components"]["schemas"]["InitiativePropose"]
    assert proposed["additionalProperties"] is False
    assert proposed["properties"]["tags"]["items"]["minLength"] == 1


def test_the_conformance_check_refuses_what_the_document_does_not_say(
    spec: dict[str, Any],
) -> None:
    # The negative control of the check every test client runs (tests/contract_check.py).
    contract = Contract(spec)
    request = httpx.Request("GET", "http://test/v1/initiatives")
    problem = {"type": "urn:roadmap-svc:problem:x", "title": "t", "status": 418, "detail": "d"}
    with pytest.raises(AssertionError, match="418 is not documented"):
        contract.check(httpx.Response(418, json=problem, request=request))
    with pytest.raises(AssertionError, match="body does not match"):
        contract.check(httpx.Response(200, json={"items": "none"}, request=request))
    with pytest.raises(AssertionError, match="is not documented"):
        contract.check(httpx.Response(200, text="<p>hi</p>", request=request))
    patch = httpx.Request(
        "PATCH", f"http://test/v1/initiatives/{'0' * 8}-0000-0000-0000-{'0' * 12}"
    )
    with pytest.raises(AssertionError, match="lacks the header ETag"):
        contract.check(httpx.Response(200, json={}, request=patch))
    page: dict[str, Any] = {"items": [], "next_cursor": None, "next": None}
    contract.check(httpx.Response(200, json=page, request=request))  # and passes the rest


async def test_a_part_answers_with_the_initiatives_version_and_the_writes_position(
    client: Client,
) -> None:
    created = await propose(client)
    base = f"/v1/initiatives/{created['id']}"
    added = await client.post(
        f"{base}/milestones",
        json={"title": "Beta", "success_criteria": "10 users", "target_date": "2027-03-01"},
    )
    milestone = added.json()
    assert added.headers["etag"] == f'"{milestone["initiative_version"]}"' == '"2"'
    assert milestone["position"] == int(added.headers["roadmap-position"])
    # The next write needs no read: its If-Match comes from the answer.
    started = await client.post(
        f"{base}/milestones/{milestone['id']}/start",
        headers={"If-Match": added.headers["etag"]},
    )
    assert started.status_code == 200, started.text
    assert started.json()["initiative_version"] == 3
    read = (await client.get(f"{base}/milestones/{milestone['id']}")).json()
    assert (read["initiative_version"], read["position"]) == (3, None)
    listed = (await client.get(f"{base}/milestones")).json()
    assert listed["initiative_version"] == 3


async def test_assignments_and_metrics_are_read_where_their_location_says(client: Client) -> None:
    created = await propose(client)
    base = f"/v1/initiatives/{created['id']}"
    team = (await client.post("/v1/teams", json={"name": f"Team {created['id']}"})).json()
    assigned = await client.post(
        f"{base}/assignments", json={"team_id": team["id"], "quarter": "2027-Q1", "fte": 1.5}
    )
    metric = await client.post(
        f"{base}/metrics",
        json={
            "name": "p95 latency",
            "unit": "ms",
            "baseline": 900,
            "target": 300,
            "direction": "lower_is_better",
        },
    )
    for written in (assigned, metric):
        assert written.status_code == 201, written.text
        read = await client.get(written.headers["location"])
        assert read.status_code == 200, read.text
        assert read.json()["id"] == written.json()["id"]
        assert read.headers["etag"] == '"3"'
    assert [a["fte"] for a in (await client.get(f"{base}/assignments")).json()["items"]] == [1.5]
    assert len((await client.get(f"{base}/metrics")).json()["items"]) == 1


async def test_pages_link_to_the_next_by_cursor_and_by_link(client: Client) -> None:
    owner = f"pager-{uuid4().hex[:8]}"
    proposed = [await propose(client, owner=owner) for _ in range(3)]
    wait = proposed[-1]["position"]  # the list is a view: read it at the last write
    first = await client.get(
        "/v1/initiatives", params={"owner": owner, "limit": 2, "min_position": wait}
    )
    body = first.json()
    assert len(body["items"]) == 2
    assert first.headers["link"] == f'<{body["next"]}>; rel="next"'
    by_cursor = await client.get(
        "/v1/initiatives", params={"owner": owner, "limit": 2, "cursor": body["next_cursor"]}
    )
    by_link = await client.get(body["next"])
    assert by_cursor.json() == by_link.json()
    last = by_cursor.json()
    assert len(last["items"]) == 1
    assert (last["next_cursor"], last["next"]) == (None, None)
    assert "link" not in by_cursor.headers
    seen = [i["id"] for i in body["items"] + last["items"]]
    assert len(set(seen)) == 3
