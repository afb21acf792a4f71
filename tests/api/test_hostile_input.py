"""Hostile clients: every string, body, encoding and query is checked at the edge; a refused
request answers a 4xx problem and records nothing, and nothing reaches the views that they
could not store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.helpers import Client, assert_problem, head_position, proposal, propose

NUL = "a\u0000b"


async def _refused(
    client: Client, method: str, url: str, body: Any, field: str | None = None
) -> dict[str, Any]:
    before = await head_position(client)
    response = await client.request(method, url, json=body)
    # refused by the schema (400) or by a domain rule (422); either way the field is named
    kind = "validation-error" if response.status_code == 400 else "invalid-value"
    problem = assert_problem(response, 400 if kind == "validation-error" else 422, kind)
    if field is not None:
        assert problem["errors"][0]["field"] == field, problem
    assert await head_position(client) == before
    return problem


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", NUL),
        ("owner", NUL),
        ("sponsor", NUL),
        ("problem_statement", NUL),
        ("business_case", NUL),
        ("title", "bell\u0007"),
        ("title", "escape\u001b[31m"),
        ("title", "two\nlines"),
        ("owner", "tab\there"),
        ("title", "rtl \u202eevil"),
        ("owner", "isolate \u2066x\u2069"),
        ("title", "del\u007f"),
        ("title", "c1 \u0085 control"),
        ("problem_statement", "nul in prose \u0000"),
    ],
)
async def test_control_and_bidi_characters_are_refused_where_they_do_not_belong(
    client: Client, field: str, value: str
) -> None:
    await _refused(client, "POST", "/v1/initiatives", proposal(**{field: value}), field)


async def test_prose_keeps_newlines_and_tabs(client: Client) -> None:
    text = "Line one\n\tindented\r\nline three"
    created = await propose(client, problem_statement=text)
    assert created["problem_statement"] == text


async def test_text_is_stored_in_nfc(client: Client) -> None:
    decomposed = "Cafe\u0301 checkout"
    created = await propose(client, title=decomposed, owner="Zoe\u0308")
    assert created["title"] == "Caf\u00e9 checkout"
    assert created["owner"] == "Zo\u00eb"


async def test_nul_is_refused_in_every_part_of_an_initiative(client: Client) -> None:
    created = await propose(client)
    base = f"/v1/initiatives/{created['id']}"
    await _refused(client, "PATCH", base, {"title": NUL}, "title")
    await _refused(client, "POST", f"{base}/stakeholders", {"name": NUL}, "name")
    await _refused(client, "POST", f"{base}/stakeholders", {"name": "cfo", "role": NUL}, "role")
    await _refused(
        client,
        "POST",
        f"{base}/decisions",
        {"kind": "approve", "quarter": "2030-Q1", "rationale": NUL},
        "rationale",
    )
    await _refused(
        client,
        "POST",
        f"{base}/milestones",
        {"title": NUL, "success_criteria": "done", "target_date": "2030-01-01"},
        "title",
    )
    await _refused(client, "POST", "/v1/teams", {"name": NUL, "wip_limit": 3}, "name")


async def test_a_nul_in_a_path_or_a_filter_is_a_4xx(client: Client) -> None:
    created = await propose(client)
    for query in ("owner=a%00b", "tag=a%00b", "cursor=a%00b", "owner=%1b"):
        response = await client.get(f"/v1/initiatives?{query}")
        assert 400 <= response.status_code < 500, (query, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    response = await client.post(
        f"/v1/initiatives/{created['id']}/stakeholders/a%00b/stance",
        json={"stance": "endorses"},
    )
    assert 400 <= response.status_code < 500, response.text


async def _raw(client: Client, content: bytes, content_type: str | None) -> Any:
    headers = {} if content_type is None else {"content-type": content_type}
    return await client.post("/v1/initiatives", content=content, headers=headers)


async def test_deeply_nested_json_is_a_400(client: Client) -> None:
    before = await head_position(client)
    deep = b'{"title": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    assert_problem(await _raw(client, deep, "application/json"), 400, "malformed-body")
    assert await head_position(client) == before


@pytest.mark.parametrize(
    "content",
    [
        b'{"title": "\xff\xfe"}',
        b'{"title": "\xed\xa0\x80"}',  # an encoded surrogate: not UTF-8
        b'{"title": "\\ud800"}',  # a lone surrogate, escaped
    ],
)
async def test_bad_encodings_are_a_400(client: Client, content: bytes) -> None:
    before = await head_position(client)
    response = await _raw(client, content, "application/json")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await head_position(client) == before


async def test_duplicate_keys_are_refused(client: Client) -> None:
    body = json.dumps(proposal())[:-1] + ', "title": "the other one"}'
    response = await _raw(client, body.encode(), "application/json")
    problem = assert_problem(response, 400, "malformed-body")
    assert "title" in problem["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
async def test_a_body_that_is_not_json_by_its_type_is_415(
    client: Client, content_type: str | None
) -> None:
    before = await head_position(client)
    response = await _raw(client, json.dumps(proposal()).encode(), content_type)
    assert_problem(response, 415, "unsupported-media-type")
    assert await head_position(client) == before


async def test_json_with_a_charset_or_a_problem_type_is_accepted(client: Client) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await _raw(client, json.dumps(proposal()).encode(), content_type)
        assert response.status_code == 201, (content_type, response.text)


async def test_dates_and_numbers_have_sane_bounds(client: Client) -> None:
    created = await propose(client)
    base = f"/v1/initiatives/{created['id']}"
    await _refused(
        client,
        "POST",
        f"{base}/decisions",
        {"kind": "defer", "quarter": "2031-Q1", "revisit_on": "9999-12-31", "rationale": "x"},
        "revisit_on",
    )
    await _refused(
        client,
        "POST",
        f"{base}/milestones",
        {"title": "t", "success_criteria": "s", "target_date": "1900-01-01"},
        "target_date",
    )
    team = await client.post(
        "/v1/teams", json={"name": f"hostile-{created['id'][:8]}", "wip_limit": 2}
    )
    assert team.status_code == 201, team.text
    for fte in (5e-324, 1e-9, -1, 1e6):
        await _refused(
            client,
            "POST",
            f"{base}/assignments",
            {"team_id": team.json()["id"], "quarter": "2030-Q1", "fte": fte},
            "fte",
        )


async def test_min_position_past_the_newest_event_is_a_4xx_at_once(client: Client) -> None:
    head = await head_position(client)
    response = await client.get(f"/v1/initiatives?min_position={head + 1000}")
    problem = assert_problem(response, 400, "position-not-recorded")
    assert problem["event_store_position"] >= head


async def test_options_lists_every_method_of_a_shared_path(client: Client) -> None:
    created = await propose(client)
    for path, methods in [
        ("/v1/initiatives", "GET, OPTIONS, POST"),
        (f"/v1/initiatives/{created['id']}", "GET, OPTIONS, PATCH"),
    ]:
        response = await client.options(path)
        assert response.status_code == 204, response.text
        assert response.headers["allow"] == methods


@pytest.mark.parametrize(
    "headers",
    [{"x-big": "a" * 40_000}, {f"x-h{n}": "v" for n in range(150)}],
    ids=["one-huge-header", "too-many-headers"],
)
async def test_oversized_headers_are_431(client: Client, headers: dict[str, str]) -> None:
    before = await head_position(client)
    response = await client.post("/v1/initiatives", json=proposal(), headers=headers)
    assert_problem(response, 431, "headers-too-large")
    assert await head_position(client) == before
