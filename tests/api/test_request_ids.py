"""Every answer carries X-Request-Id: the client's, if sane, else a new one; the same id is
stored with the events the request records and set on the log lines it writes."""

from __future__ import annotations

import logging

import msgspec

from roadmap_svc.logs import REQUEST_ID, JsonFormatter, _RequestIdFilter
from tests.api.helpers import Client, proposal


async def test_the_clients_request_id_is_answered_and_recorded(client: Client) -> None:
    created = await client.post(
        "/v1/initiatives", json=proposal(), headers={"X-Request-Id": "jira-sync.42"}
    )
    assert created.status_code == 201
    assert created.headers["x-request-id"] == "jira-sync.42"
    history = await client.get(f"/v1/initiatives/{created.json()['id']}/history")
    assert [e["request_id"] for e in history.json()["items"]] == ["jira-sync.42"]


async def test_an_insane_or_missing_request_id_is_replaced_by_a_new_one(client: Client) -> None:
    first = await client.get("/v1/initiatives", headers={"X-Request-Id": "<script>"})
    second = await client.get("/v1/initiatives")
    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.LogRecord("roadmap_svc", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    token = REQUEST_ID.set("req-7")
    try:
        assert _RequestIdFilter().filter(record)
    finally:
        REQUEST_ID.reset(token)
    line = msgspec.json.decode(JsonFormatter().format(record))
    assert line["message"] == "hello you"
    assert line["request_id"] == "req-7"
    assert line["level"] == "INFO"
    assert line["logger"] == "roadmap_svc"
