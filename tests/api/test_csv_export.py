"""Accept: text/csv on lists: the JSON page's items as rows, the next page in a Link header."""

from __future__ import annotations

import csv
import io
from uuid import uuid4

from tests.api.helpers import Client, decide, propose

CSV = {"Accept": "text/csv"}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_lists_answer_csv_with_the_same_items_and_a_next_link(client: Client) -> None:
    owner = f"owner-{uuid4().hex[:8]}"
    ids = [(await propose(client, owner=owner, tags=["a", "b"]))["id"] for _ in range(3)]
    last = await decide(client, ids[0], "approve", quarter="2032-Q1", decided_by=owner)
    params = {"owner": owner, "limit": 2, "min_position": last["position"]}
    as_json = (await client.get("/v1/initiatives", params=params)).json()
    response = await client.get("/v1/initiatives", params=params, headers=CSV)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = _rows(response.text)
    assert [r["id"] for r in rows] == [i["id"] for i in as_json["items"]] == ids[:2]
    assert rows[0]["status"] == "approved"
    assert rows[0]["tags"] == "a; b"
    link = response.headers["link"]
    assert link == f'<{as_json["next"]}>; rel="next"'
    following = await client.get(link.split(">")[0][1:], headers=CSV)
    assert [r["id"] for r in _rows(following.text)] == ids[2:]
    assert "link" not in following.headers

    lists: tuple[tuple[str, dict[str, str | int]], ...] = (
        ("/v1/decisions", {"decided_by": owner}),
        ("/v1/progress", {"owner": owner}),
        ("/v1/teams", {}),
        ("/v1/planning/quarters", {"first": "2032-Q1", "last": "2032-Q1"}),
    )
    for path, query in lists:
        query["min_position"] = last["position"]  # each list is its own view
        json_items = (await client.get(path, params=query)).json()["items"]
        response = await client.get(path, params=query, headers=CSV)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("text/csv"), path
        rows = _rows(response.text)
        key = "quarter" if "quarters" in path else "id" if path == "/v1/teams" else None
        if key:
            assert [r[key] for r in rows] == [str(i[key]) for i in json_items], path
        else:
            assert len(rows) == len(json_items) > 0, path
