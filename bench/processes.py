"""P8: API throughput with 1, 2 and 4 `api` processes (ROADMAP_API_PROCESSES), each a ratio
to 1 process in the same run, for reads and for writes; the views run in a `worker`.

Reads scale with processes up to the cores the machine has (the load generator takes one of
them here); writes are bounded by the event store's single write lock, which group commit
shares between processes' batches, so they are expected to scale less.
"""

from __future__ import annotations

from typing import Any

import httpx
from harness import TOKEN, Service, load, serve, worker

from roadmap_svc.storage.database import DatabaseTarget

PROCESSES = (1, 2, 4)
INITIATIVES = 200


def _reading_clients(service: Service, clients: int) -> list[list[dict[str, Any]]]:
    with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        listed = c.get("/v1/initiatives", params={"limit": 100})
        listed.raise_for_status()
        ids = [item["id"] for item in listed.json()["items"]]
    return [
        [
            {"method": "GET", "path": f"/v1/initiatives/{ids[(n + k) % len(ids)]}", "body": None}
            for k in range(4)
        ]
        + [{"method": "GET", "path": "/v1/initiatives?limit=20", "body": None}]
        for n in range(clients)
    ]


def _seed(service: Service) -> None:
    with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        for n in range(INITIATIVES):
            body = {"title": f"P8 {n}", "problem_statement": "p", "business_case": "b"}
            c.post("/v1/initiatives", json=body | {"owner": "bench"}).raise_for_status()


def p8(target: DatabaseTarget, seconds: float, clients: int) -> dict[int, dict[str, Any]]:
    from run import writing_clients  # noqa: PLC0415 - run.py imports this module

    results: dict[int, dict[str, Any]] = {}
    with worker(target):
        for processes in PROCESSES:
            command = ("-m", "roadmap_svc.cli", "api", "--processes", str(processes))
            with serve(target, port=8765 + processes, command=command) as service:
                if processes == PROCESSES[0]:
                    _seed(service)
                results[processes] = {
                    "reads": load(service, _reading_clients(service, clients), seconds / 2),
                    "writes": load(service, writing_clients(service, clients), seconds / 2),
                }
    return results


def report_p8(results: dict[int, dict[str, Any]], clients: int) -> None:
    one = results[PROCESSES[0]]
    print(f"P8  API processes, {clients} clients each (views in a `worker`):")
    for processes, r in results.items():
        parts = []
        for kind in ("reads", "writes"):
            m = r[kind]
            parts.append(
                f"{kind} {m['rate']:6.0f}/s (x{m['rate'] / one[kind]['rate']:.2f},"
                f" p99 {m['p99_ms']:.0f} ms, service {m['server_cpu_seconds'] / m['seconds']:.2f}"
                f" cores, load {m['cpu_seconds'] / m['seconds']:.2f})"
            )
        print(f"    {processes} process{'es' if processes > 1 else '  '}: " + "; ".join(parts))
