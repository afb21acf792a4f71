"""/v1/webhooks as an admin configures them and a receiver gets them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from roadmap_svc.api.app import create_app
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.webhooks.dispatcher import backoff
from tests.api.helpers import Client, assert_problem, eventually, proposal
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.contract_check import conforming
from tests.e2e.webhook_receiver import Received, receiver

BOUND_SECONDS = 30.0


@pytest.fixture
async def hooks(migrated_database: DatabaseTarget) -> AsyncIterator[Client]:
    """An app of its own (runners and dispatcher included) that may send to loopback."""
    settings = make_settings(
        webhook_allow_private_targets=True,
        webhook_first_retry_seconds=0.1,
        webhook_timeout_seconds=2.0,
    )
    async with AsyncTestClient(create_app(settings, migrated_database)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield conforming(client)


@pytest.fixture
def listening() -> Iterator[tuple[Received, str]]:
    received = Received()
    with receiver(received) as url:
        yield received, url


async def test_an_endpoint_gets_each_event_signed_once_with_its_secret(
    hooks: Client, listening: tuple[Received, str]
) -> None:
    received, url = listening
    registered = await hooks.post(
        "/v1/webhooks", json={"url": url, "event_types": ["InitiativeProposed"]}
    )
    assert registered.status_code == 201, registered.text
    endpoint = registered.json()
    assert endpoint["secret"].startswith("whsec_")
    assert registered.headers["location"] == f"/v1/webhooks/{endpoint['id']}"
    received.secret = endpoint["secret"]

    created = (await hooks.post("/v1/initiatives", json=proposal())).json()
    await hooks.post(
        f"/v1/initiatives/{created['id']}/decisions",
        json={"kind": "approve", "quarter": "2027-Q1", "rationale": "go"},
    )  # not a type it asked for
    await eventually(lambda: received.positions() == {created["position"]}, "no delivery")

    (body,) = received.verified[f"msg_{created['position']}"]
    assert body["type"] == "InitiativeProposed"
    assert body["version"] == 1
    assert body["data"]["aggregate_id"] == created["id"]
    assert body["data"]["event"]["title"] == created["title"]
    listed = (await hooks.get("/v1/webhooks")).json()["items"]
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert "secret" not in listed[0]
    deliveries = (await hooks.get(f"/v1/webhooks/{endpoint['id']}/deliveries")).json()
    (delivery,) = deliveries["items"]
    assert (delivery["status"], delivery["attempts"], delivery["last_status"]) == (
        "delivered",
        1,
        200,
    )
    assert delivery["webhook_id"] == f"msg_{created['position']}"

    # Redelivery on request: the same message again, with the same webhook-id.
    again = await hooks.post(f"/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 202
    await eventually(
        lambda: len(received.verified[f"msg_{created['position']}"]) == 2, "no redelivery"
    )

    # A rotated secret signs what is sent from then on; the old one no longer verifies.
    rotated = (await hooks.post(f"/v1/webhooks/{endpoint['id']}/secret")).json()
    assert rotated["secret"] != endpoint["secret"]
    received.secret = rotated["secret"]
    second = (await hooks.post("/v1/initiatives", json=proposal())).json()
    await eventually(lambda: second["position"] in received.positions(), "nothing after rotation")
    assert received.forged == []


async def test_failures_are_retried_and_a_410_disables_the_endpoint(
    hooks: Client, listening: tuple[Received, str]
) -> None:
    received, url = listening
    received.secret = "whsec_" + "A" * 43  # not the endpoints' secret: every delivery fails
    failing = (await hooks.post("/v1/webhooks", json={"url": url})).json()
    gone = (await hooks.post("/v1/webhooks", json={"url": url + "/gone"})).json()
    await hooks.post("/v1/initiatives", json=proposal())

    async def delivery(endpoint: dict[str, Any]) -> dict[str, Any] | None:
        items = (await hooks.get(f"/v1/webhooks/{endpoint['id']}/deliveries")).json()["items"]
        return items[0] if items else None

    deadline = time.monotonic() + BOUND_SECONDS
    while (found := await delivery(failing)) is None or found["attempts"] < 3:
        assert time.monotonic() < deadline, "not retried"
        await asyncio.sleep(0.05)
    assert (found["status"], found["last_status"]) == ("pending", 400)  # retried, with back-off

    while (stopped := await delivery(gone)) is None or stopped["status"] == "pending":
        assert time.monotonic() < deadline, "the 410 was not taken"
        await asyncio.sleep(0.05)
    assert (stopped["status"], stopped["last_status"], stopped["attempts"]) == ("failed", 410, 1)
    endpoint = (await hooks.get(f"/v1/webhooks/{gone['id']}")).json()
    assert endpoint["enabled"] is False
    assert endpoint["disabled_reason"] == "the receiver answered 410 Gone"

    enabled = await hooks.patch(f"/v1/webhooks/{gone['id']}", json={"enabled": True})
    assert (enabled.json()["enabled"], enabled.json()["disabled_reason"]) == (True, None)
    disabled = await hooks.patch(f"/v1/webhooks/{failing['id']}", json={"enabled": False})
    assert disabled.json()["disabled_reason"] == "disabled by an admin"


def test_the_back_off_doubles_with_jitter() -> None:
    waits = [backoff(n, 10.0) for n in range(1, 6)]
    for n, wait in enumerate(waits):
        assert 5.0 * 2**n <= wait <= 15.0 * 2**n


async def test_a_private_target_is_refused_unless_allowed(client: Client) -> None:
    for url in ("http://127.0.0.1:9/x", "http://10.0.0.7/x", "http://169.254.169.254/latest"):
        refused = await client.post("/v1/webhooks", json={"url": url})
        body = assert_problem(refused, 422, "webhook-target-refused")
        assert body["errors"][0]["field"] == "url"
    bad_type = await client.post(
        "/v1/webhooks", json={"url": "https://example.com/x", "event_types": ["Nope"]}
    )
    assert_problem(bad_type, 400, "validation-error")


async def test_an_unknown_endpoint_is_404_and_a_deleted_one_is_gone(
    hooks: Client, listening: tuple[Received, str]
) -> None:
    _, url = listening
    endpoint = (await hooks.post("/v1/webhooks", json={"url": url})).json()
    assert (await hooks.delete(f"/v1/webhooks/{endpoint['id']}")).status_code == 204
    assert_problem(await hooks.get(f"/v1/webhooks/{endpoint['id']}"), 404, "not-found")
    assert_problem(await hooks.delete(f"/v1/webhooks/{endpoint['id']}"), 404, "not-found")


def test_signatures_follow_standard_webhooks() -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from roadmap_svc.webhooks.dispatcher import signed_headers  # noqa: PLC0415
    from roadmap_svc.webhooks.endpoints import new_secret  # noqa: PLC0415

    secret = new_secret()
    body = '{"type": "InitiativeProposed"}'
    headers = signed_headers(secret, "msg_7", body, datetime.now(UTC))
    assert Webhook(secret).verify(body, headers) == {"type": "InitiativeProposed"}
    assert headers["webhook-id"] == "msg_7"


async def test_configuration_writes_take_an_idempotency_key_too(
    hooks: Client, listening: tuple[Received, str]
) -> None:
    _, url = listening
    key = {"Idempotency-Key": "register-once"}
    first = await hooks.post("/v1/webhooks", json={"url": url}, headers=key)
    again = await hooks.post("/v1/webhooks", json={"url": url}, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await hooks.post("/v1/webhooks", json={"url": url + "/other"}, headers=key)
    assert_problem(other, 422, "idempotency-key-reused")
    assert len((await hooks.get("/v1/webhooks")).json()["items"]) == 1
    gone = f"/v1/webhooks/{first.json()['id']}"
    deleted = [(await hooks.delete(gone, headers={"Idempotency-Key": "d"})) for _ in range(2)]
    assert [d.status_code for d in deleted] == [204, 204]
    assert deleted[1].headers["idempotent-replayed"] == "true"
