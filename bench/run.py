"""Benchmarks: our paths as ratios against a baseline measured in the same run.

    ./dev bench            (or: .venv/bin/python bench/run.py [--n 300])

Baseline: the eventsourcing library saving a one-event aggregate (the floor of any write).
Measured: proposing through RoadmapApplication (domain + msgspec transcoder), proposing over
HTTP through the real app (ASGI, no network), and a write followed by a read of the summary
view that asks for the write's position (read-your-writes).
Runs on a fresh database: on TEST_POSTGRES_SERVER_URL's server when set, else embedded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from litestar.testing import AsyncTestClient

from roadmap_svc.api.app import create_app
from roadmap_svc.application import RoadmapApplication
from roadmap_svc.config import Settings
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import DependencyType
from roadmap_svc.schema import migrate_database as migrate
from roadmap_svc.storage.database import DatabaseTarget, parse_database_url
from roadmap_svc.storage.embedded import embedded_postgres
from roadmap_svc.storage.eventstore import eventsourcing_env
from roadmap_svc.storage.server import drop_database, ensure_database

TOKEN = "bench-admin-token-0123456789"  # noqa: S105 - a throwaway bench token


class Counter(Aggregate):
    class Opened(Aggregate.Created):
        name: str

    @event(Opened)
    def __init__(self, name: str) -> None:
        self.name = name


class BaselineApplication(Application[UUID]):
    name = "bench_baseline"


@contextmanager
def bench_database() -> Iterator[DatabaseTarget]:
    url = os.environ.get("TEST_POSTGRES_SERVER_URL")
    with tempfile.TemporaryDirectory() as tmp:
        if url and url.lower() != "none":
            server_cm = _nullcontext(parse_database_url(url))
        else:
            server_cm = embedded_postgres(Path(tmp), dbname="postgres")
        with server_cm as server:
            name = f"roadmap_bench_{uuid4().hex[:8]}"
            ensure_database(server, name)
            try:
                yield server.with_database(name)
            finally:
                drop_database(server, name)


@contextmanager
def _nullcontext(value: DatabaseTarget) -> Iterator[DatabaseTarget]:
    yield value


def per_op(samples: list[float]) -> float:
    return statistics.median(samples)


def time_sync(n: int, op: Callable[[int], object]) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        op(i)
        samples.append(time.perf_counter() - start)
    return samples


async def time_async(n: int, op: Callable[[int], Awaitable[object]]) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        await op(i)
        samples.append(time.perf_counter() - start)
    return samples


def proposal(i: int) -> dict[str, object]:
    return {
        "title": f"bench {i}",
        "problem_statement": "p",
        "business_case": "b",
        "owner": "bench",
        "tags": ["bench"],
    }


async def http_paths(target: DatabaseTarget, n: int) -> tuple[list[float], list[float]]:
    app = create_app(Settings(admin_token=TOKEN, read_wait_seconds=10), target)
    async with AsyncTestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"

        async def propose(i: int) -> None:
            response = await client.post("/v1/initiatives", json=proposal(i))
            assert response.status_code == 201, response.text

        async def write_then_read(i: int) -> None:
            response = await client.post("/v1/initiatives", json=proposal(i))
            position = response.json()["position"]
            page = await client.get(
                "/v1/initiatives", params={"min_position": position, "owner": "bench", "limit": 1}
            )
            assert page.status_code == 200, page.text

        await propose(-1)  # warm-up
        return await time_async(n, propose), await time_async(n, write_then_read)


def graph_growth(roadmap: RoadmapApplication, sizes: tuple[int, ...], n: int) -> dict[int, float]:
    """Median time of one add_dependency once the organisation's graph holds `size` edges.

    Each edge is a milestone of its own initiative depending on one upstream milestone, so
    only the graph grows (as it would across an organisation).
    """
    meta = EventMeta(actor="bench")

    def initiative_with_milestone() -> tuple[UUID, UUID]:
        initiative = roadmap.propose_initiative(
            title="i",
            problem_statement="p",
            business_case="b",
            owner="bench",
            sponsor=None,
            tags=[],
            meta=meta,
        ).id
        milestone = roadmap.add_milestone(
            initiative,
            title="m",
            success_criteria="s",
            target_date=date(2030, 1, 1),
            meta=meta,
            expected_version=None,
        ).value.id
        return initiative, milestone

    anchor, upstream = initiative_with_milestone()
    edges = 0
    medians: dict[int, float] = {}

    def add_edge() -> float:
        nonlocal edges
        initiative, milestone = initiative_with_milestone()
        start = time.perf_counter()
        roadmap.add_dependency(
            initiative,
            milestone,
            upstream_initiative_id=anchor,
            upstream_milestone_id=upstream,
            type=DependencyType.FINISH_TO_START,
            lag_days=0,
            meta=meta,
            expected_version=None,
        )
        edges += 1
        return time.perf_counter() - start

    for size in sizes:
        while edges < size:
            add_edge()
        medians[size] = per_op([add_edge() for _ in range(n)])
    return medians


def timed_graph_growth(cache_size: int, sizes: tuple[int, ...], n: int) -> dict[int, float]:
    with bench_database() as target:
        migrate(target)
        env = eventsourcing_env(target, pool_size=2, aggregate_cache_size=cache_size)
        app = RoadmapApplication(env=env)
        try:
            return graph_growth(app, sizes, n)
        finally:
            app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="operations per measurement")
    parser.add_argument(
        "--graph-sizes", default="0,500,2000", help="dependency-graph sizes (edges) to time at"
    )
    args = parser.parse_args()
    n = args.n
    sizes = tuple(int(size) for size in args.graph_sizes.split(","))
    with bench_database() as target:
        migrate(target)
        # HTTP first: its projection runner starts from the first event, and the graph phase
        # below writes thousands of events it would otherwise have to replay.
        http, read_your_writes = asyncio.run(http_paths(target, n))
        env = eventsourcing_env(target, pool_size=2, create_table=True)
        baseline_app = BaselineApplication(env=env)
        roadmap = RoadmapApplication(env=eventsourcing_env(target, pool_size=2))
        meta = EventMeta(actor="bench")
        try:
            baseline_app.save(Counter(name="warm-up"))
            baseline = time_sync(n, lambda i: baseline_app.save(Counter(name=f"c{i}")))
            domain = time_sync(
                n,
                lambda i: roadmap.propose_initiative(
                    title=f"bench {i}",
                    problem_statement="p",
                    business_case="b",
                    owner="bench",
                    sponsor=None,
                    tags=["bench"],
                    meta=meta,
                ),
            )
        finally:
            baseline_app.close()
            roadmap.close()
    # Each variant grows its own graph from nothing, on a database of its own.
    graphs = {
        name: timed_graph_growth(cache_size, sizes, max(20, n // 10))
        for name, cache_size in (("no cache", 0), ("cache", 1000))
    }

    base = per_op(baseline)
    print(f"n={n} per measurement; medians; ratio = median / baseline median")
    print(f"{'path':<44}{'median ms':>12}{'ratio':>8}")
    for label, samples in (
        ("baseline: library save, 1-event aggregate", baseline),
        ("propose via RoadmapApplication", domain),
        ("propose via HTTP (ASGI, in-process)", http),
        ("propose via HTTP + list at its position", read_your_writes),
    ):
        print(f"{label:<44}{per_op(samples) * 1000:>12.2f}{per_op(samples) / base:>8.2f}")
    for name, timings in graphs.items():
        for size, median in timings.items():
            label = f"add dependency, graph {size} edges, {name}"
            print(f"{label:<44}{median * 1000:>12.2f}{median / base:>8.2f}")


if __name__ == "__main__":
    main()
