"""/v1/audit for auditors, and an event that no longer decodes answered as a named
integrity problem (which aggregate, version and position), never a retryable 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest
from litestar.testing import AsyncTestClient

from roadmap_svc.api.app import create_app
from roadmap_svc.audit.signing import new_seed_text
from roadmap_svc.storage.database import DatabaseTarget
from tests.api.helpers import Client, assert_problem, decide, propose
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.contract_check import conforming


@pytest.fixture
async def audited(migrated_database: DatabaseTarget) -> AsyncIterator[Client]:
    # Its own database (verify reads the whole log) and no aggregate cache (reads decode).
    settings = make_settings(audit_signing_key=new_seed_text(), aggregate_cache_size=0)
    async with AsyncTestClient(create_app(settings, migrated_database)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield conforming(client)


async def test_an_auditor_signs_a_checkpoint_and_verifies_the_log(audited: Client) -> None:
    empty = await audited.post("/v1/audit/checkpoints")
    assert_problem(empty, 409, "conflict")
    created = await propose(audited)
    await decide(audited, created["id"], "approve", quarter="2026-Q1")

    signed = await audited.post("/v1/audit/checkpoints")
    assert signed.status_code == 201, signed.text
    assert signed.json()["position"] == 2
    listed = await audited.get("/v1/audit/checkpoints")
    assert [c["position"] for c in listed.json()] == [2]

    report = await audited.get("/v1/audit/verify")
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["verified"], body["events"], body["checkpoints"], body["problem"]) == (
        True,
        2,
        1,
        None,
    )
    assert body["public_key"] == signed.json()["public_key"]


async def test_an_event_that_no_longer_decodes_is_a_named_integrity_problem(
    audited: Client, migrated_database: DatabaseTarget
) -> None:
    created = await propose(audited)
    written = await decide(audited, created["id"], "approve", quarter="2026-Q1")
    with psycopg.connect(migrated_database.dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE roadmap_events SET state = convert_to('{\"quarter\": 7}', 'UTF8')"
            " WHERE notification_id = %s",
            (written["position"],),
        )

    for path in (f"/v1/initiatives/{created['id']}", f"/v1/initiatives/{created['id']}/history"):
        answer = await audited.get(path)
        body = assert_problem(answer, 500, "event-integrity")
        assert (body["aggregate_id"], body["version"], body["position"]) == (
            created["id"],
            2,
            written["position"],
        )
        assert "retrying will not help" in body["detail"]

    report = (await audited.get("/v1/audit/verify")).json()
    assert report["problem"]["kind"] == "event-changed"
    assert report["problem"]["position"] == written["position"]
