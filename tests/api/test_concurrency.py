"""Two writers on one version: one wins, the other gets 412; nothing is lost or doubled."""

from __future__ import annotations

import asyncio

from tests.api.helpers import Client, history_types, propose


async def test_same_if_match_from_two_writers_one_wins(client: Client) -> None:
    created = await propose(client)
    url = f"/v1/initiatives/{created['id']}/decisions"

    responses = await asyncio.gather(
        *(
            client.post(
                url,
                json={"kind": "approve", "rationale": f"writer {n}", "quarter": "2027-Q1"},
                headers={"If-Match": '"1"'},
            )
            for n in range(6)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 412, 412, 412, 412, 412]
    assert await history_types(client, created["id"]) == [
        "InitiativeProposed",
        "InitiativeApproved",
    ]


async def test_unconditional_concurrent_writes_are_all_kept_or_refused(client: Client) -> None:
    created = await propose(client)
    url = f"/v1/initiatives/{created['id']}/stakeholders"

    responses = await asyncio.gather(
        *(client.post(url, json={"name": f"person-{n}"}) for n in range(8))
    )

    accepted = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert all(r.status_code == 409 for r in refused), [r.text for r in refused]
    assert all(r.json()["type"].endswith("concurrent-write") for r in refused)
    stakeholders = (await client.get(f"/v1/initiatives/{created['id']}")).json()["stakeholders"]
    assert len(stakeholders) == len(accepted) >= 1
