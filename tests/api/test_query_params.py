"""A query parameter the operation does not take answers 400 and names the ones it does."""

from __future__ import annotations

from tests.api.helpers import Client, assert_problem, propose


async def test_a_misspelt_parameter_is_refused_not_ignored(client: Client) -> None:
    created = await propose(client)
    response = await client.get(f"/v1/initiatives/{created['id']}", params={"verison": "1"})
    body = assert_problem(response, 400, "unknown-query-parameter")
    assert body["detail"] == "verison: not a parameter of this operation (it takes: as_of, version)"
    assert body["errors"] == [
        {"field": "verison", "message": "unknown query parameter", "source": "query"}
    ]
    listed = await client.get("/v1/initiatives", params={"stauts": "approved", "limit": 1})
    assert "stauts" in assert_problem(listed, 400, "unknown-query-parameter")["detail"]
    # the parameters an operation does take still work, and writes take none
    assert (
        await client.get(f"/v1/initiatives/{created['id']}", params={"version": 1})
    ).status_code == 200
    write = await client.patch(
        f"/v1/initiatives/{created['id']}", params={"force": "1"}, json={"title": "Renamed"}
    )
    assert_problem(write, 400, "unknown-query-parameter")
    assert (await client.get(f"/v1/initiatives/{created['id']}")).json()["title"] != "Renamed"
