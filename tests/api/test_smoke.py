from __future__ import annotations

from tests.api.helpers import Client, decide, propose


async def test_propose_approve_pause_resume(client: Client) -> None:
    created = await propose(client)
    await decide(client, created["id"], "approve", quarter="2027-Q1")
    await decide(client, created["id"], "pause")
    resumed = await decide(client, created["id"], "resume")
    assert resumed["status_after"] == "in_progress"
