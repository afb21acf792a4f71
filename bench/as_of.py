"""P6 (issue 8): the quarter plan as of a random past time over a long history, against a
live quarter-plan read of the same quarters, measured in the same run.

P6  as-of quarter plan over a 200,000-event history at a random time, median
    ≤ 1 s, and ≤ 20 times the median live quarter-plan read

The history is written first (bench/read_side.seed_log: 16 writers, initiatives approved into
8 quarters in turn), then `serve` starts and its runners catch up on it (batches of 2,000
events: the as-of views write their row versions every 250). The times are the recording
times of random positions of the log (audit_chain.recorded_at); reads are sequential, one
client, so each latency is one request's.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

import httpx
import psycopg
from harness import TOKEN, serve
from read_side import caught_up, seed_log

from roadmap_svc.application import RoadmapApplication
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import eventsourcing_env

QUARTERS = tuple(f"2027-Q{q}" for q in range(1, 5)) + tuple(f"2028-Q{q}" for q in range(1, 5))


def p6(target: DatabaseTarget, events: int, reads: int) -> dict[str, Any]:
    app = RoadmapApplication(env=eventsourcing_env(target, aggregate_cache_size=1000))
    started = time.monotonic()
    try:
        head = seed_log(app, events, quarters=QUARTERS)
    finally:
        app.close()
    seeded = time.monotonic() - started
    rng = random.Random(6)  # noqa: S311 - bench data
    with psycopg.connect(target.dsn) as conn:
        positions = sorted(rng.sample(range(1, head + 1), reads))
        times = [
            row[0].isoformat()
            for row in conn.execute(
                "SELECT recorded_at FROM audit_chain WHERE position = ANY(%s)", (positions,)
            )
        ]
        versions = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
            " WHERE relname LIKE '%%\\_\\_versions' AND relkind = 'r'"
        ).fetchone()
    rng.shuffle(times)
    with serve(target, 8768) as service:
        started = time.monotonic()
        caught_up(service, head, seconds=1200)
        catch_up = time.monotonic() - started
        with httpx.Client(
            base_url=service.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
        ) as client:
            quarters = [rng.choice(QUARTERS) for _ in times]
            for quarter in QUARTERS:  # warm: connections, the plan cache
                client.get(f"/v1/planning/quarters/{quarter}").raise_for_status()
            live = _timed(client, [(f"/v1/planning/quarters/{q}", {}) for q in quarters])
            as_of = _timed(
                client,
                [
                    (f"/v1/planning/quarters/{q}", {"as_of": t})
                    for q, t in zip(quarters, times, strict=True)
                ],
            )
            sizes = [len(client.get(f"/v1/planning/quarters/{q}").content) for q in QUARTERS]
    with psycopg.connect(target.dsn) as conn:
        versions_after = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
            " WHERE relname LIKE '%%\\_\\_versions' AND relkind = 'r'"
        ).fetchone()
    return {
        "events": head,
        "seeded": seeded,
        "catch_up": catch_up,
        "live": live,
        "as_of": as_of,
        "plan_kb": statistics.median(sizes) / 1000,
        "versions_mb": float((versions_after or [0])[0] or 0) / 1e6,
        "versions_before_mb": float((versions or [0])[0] or 0) / 1e6,
    }


def _timed(client: httpx.Client, requests: list[tuple[str, dict[str, str]]]) -> list[float]:
    seconds = []
    for path, params in requests:
        started = time.perf_counter()
        response = client.get(path, params=params)
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
    return seconds


def report_p6(r: dict[str, Any]) -> None:
    live, as_of = statistics.median(r["live"]), statistics.median(r["as_of"])
    ratio = as_of / live
    p90 = statistics.quantiles(r["as_of"], n=10)[-1]
    print(
        f"P6  {r['events']} events (8 quarters, written in {r['seeded']:.0f}s; the views caught"
        f" up in {r['catch_up']:.0f}s; row versions {r['versions_mb']:.0f} MB;"
        f" plans of about {r['plan_kb']:.0f} kB), {len(r['as_of'])} random times:"
    )
    print(
        f"    as-of quarter plan: median {as_of * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms,"
        f" max {max(r['as_of']) * 1000:.1f} ms"
        f"  (target <= 1 s: {'met' if as_of <= 1 else 'MISSED'})"
    )
    print(
        f"    live quarter plan: median {live * 1000:.2f} ms;"
        f" ratio {ratio:.1f}  (target <= 20: {'met' if ratio <= 20 else 'MISSED'})"
    )
