"""Two `serve` processes on one database, 16 writers sending the same `If-Match` at once,
half to each process: exactly one write wins, the 15 others get 412, history grows by one.
Repeated on many initiatives. Extended tier (`./dev test-extended`), with CI.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.serve_process import ADMIN_TOKEN, ServeProcess, free_port

pytestmark = pytest.mark.extended

WRITERS = 16
REPEATS = int(os.environ.get("RACE_REPEATS", "100"))


@pytest.fixture(scope="module")
def two_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServeProcess]]:
    data_dir = tmp_path_factory.mktemp("races") / "data"
    first = ServeProcess(data_dir, free_port())
    first.wait_healthy()  # the first one creates the embedded server; the second joins it
    second = ServeProcess(data_dir, free_port())
    second.wait_healthy()
    yield [first, second]
    for serve in (second, first):
        assert serve.stop() == 0, serve.log.read_text()


def _proposal(n: int) -> dict[str, object]:
    return {"title": f"race {n}", "problem_statement": "p", "business_case": "b", "owner": "o"}


def _race(clients: list[httpx.Client], url: str, if_match: str | None) -> Counter[int]:
    """WRITERS writes of one initiative released together, alternating between processes."""
    barrier = threading.Barrier(WRITERS)
    statuses: list[int] = []
    headers = {} if if_match is None else {"If-Match": if_match}

    def write(writer: int) -> None:
        barrier.wait(30)
        client = clients[writer % len(clients)]
        response = client.patch(url, json={"owner": f"writer {writer}"}, headers=headers)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return Counter(statuses)


@pytest.fixture
def clients(two_services: list[ServeProcess]) -> Iterator[list[httpx.Client]]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    opened = [httpx.Client(base_url=s.base_url, headers=headers, timeout=30) for s in two_services]
    yield opened
    for client in opened:
        client.close()


def _versions(client: httpx.Client, url: str) -> list[int]:
    return [e["version"] for e in client.get(f"{url}/history").json()["items"]]


def test_sixteen_writers_on_one_version_across_two_processes(
    clients: list[httpx.Client],
) -> None:
    for n in range(REPEATS):
        created = clients[n % 2].post("/v1/initiatives", json=_proposal(n))
        assert created.status_code == 201, created.text
        url = f"/v1/initiatives/{created.json()['id']}"
        outcome = _race(clients, url, if_match='"1"')
        assert outcome == {200: 1, 412: WRITERS - 1}, (n, outcome)
        for client in clients:  # both processes see the one winner, at version 2
            assert _versions(client, url) == [1, 2], n
            assert client.get(url).headers["etag"] == '"2"', n


def test_the_harness_counts_every_winner(clients: list[httpx.Client]) -> None:
    """Negative control: without If-Match every write may win, and the same harness must see
    all sixteen of them (and sixteen more versions), not one."""
    created = clients[0].post("/v1/initiatives", json=_proposal(-1)).json()
    url = f"/v1/initiatives/{created['id']}"
    assert _race(clients, url, if_match=None) == {200: WRITERS}
    assert _versions(clients[1], url) == list(range(1, WRITERS + 2))
