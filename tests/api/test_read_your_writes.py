"""A write followed by a read with its position never returns the older state, in any view."""

from __future__ import annotations

from datetime import date

from tests.api.helpers import Client, decide, propose


async def test_every_view_read_at_a_write_s_position_shows_that_write(client: Client) -> None:
    created = await propose(client)
    initiative = created["id"]
    quarter = "2033-Q2"
    await decide(client, initiative, "approve", quarter=quarter)
    for n in range(12):
        title = f"Revision {n}"
        response = await client.patch(f"/v1/initiatives/{initiative}", json={"title": title})
        assert response.status_code == 200, response.text
        position = response.json()["position"]
        at = {"min_position": position}
        summary = (
            await client.get("/v1/initiatives", params={**at, "owner": created["owner"]})
        ).json()
        assert [i["title"] for i in summary["items"]] == [title]
        plan = (await client.get(f"/v1/planning/quarters/{quarter}", params=at)).json()
        assert [i["title"] for i in plan["initiatives"] if i["id"] == initiative] == [title]
        progress = (await client.get(f"/v1/initiatives/{initiative}/progress", params=at)).json()
        assert progress["title"] == title
        if n % 4 == 3:  # now and then a decision: the decision log has it at once too
            kind = "pause" if n % 8 == 3 else "resume"
            if n == 3:
                await decide(client, initiative, "start")
            decided = await decide(client, initiative, kind)
            log = await client.get(
                "/v1/decisions",
                params={"initiative_id": initiative, "min_position": decided["position"]},
            )
            assert log.json()["items"][-1]["position"] == decided["position"]
    milestone = await client.post(
        f"/v1/initiatives/{initiative}/milestones",
        json={"title": "Beta", "success_criteria": "s", "target_date": str(date(2033, 5, 1))},
    )
    position = int(milestone.headers["Roadmap-Position"])
    progress = await client.get(
        f"/v1/initiatives/{initiative}/progress", params={"min_position": position}
    )
    assert [m["title"] for m in progress.json()["milestone_progress"]] == ["Beta"]
