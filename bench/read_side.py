"""Benchmarks of the read side (issue 7), as ratios or rates measured in the same run.

P2  quarter-plan reads/s (500 initiatives, 40 teams) ÷ a hello-JSON Litestar endpoint served
    with the same server settings                                                      ≥ 0.4
P3  projection lag, commit → visible in every view, p50 / p99, under a steady write load
    of half the P1 throughput                                                          p99 ≤ 25 ms
P4  rebuild of every view over ≥ 100,000 events, events/s; catch-up after a restart
    likewise                                                                           ≥ 25,000 ev/s
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import httpx
import psycopg
from harness import ROUNDS, TOKEN, Service, load, median_round, serve

from roadmap_svc.application import APPLICATION_NAME, DecisionInput, RoadmapApplication
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.stakeholders import Stance
from roadmap_svc.projections.rebuild import rebuild
from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.projections.runner import start_runners, stop_runners
from roadmap_svc.projections.view_tables import tracking_table
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import eventsourcing_env

META = EventMeta(actor="bench")
QUARTER = "2027-Q1"
HELLO = (
    "-m",
    "uvicorn",
    "hello:app",
    "--app-dir",
    "bench",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--log-level",
    "warning",
    "--port",
)


# ---- P2: the quarter plan against hello-JSON -------------------------------------------------


def seed_quarter(app: RoadmapApplication, initiatives: int = 500, teams: int = 40) -> int:
    """A quarter of `initiatives` approved initiatives over `teams` teams; returns the head."""
    rng = random.Random(2)  # noqa: S311 - bench data
    team_ids = []
    for n in range(teams):
        team = app.register_team(name=f"Bench team {n}", wip_limit=rng.choice([2, 3, 4]), meta=META)
        app.set_team_capacity(
            team.id,
            quarter=QUARTER,
            fte=float(rng.randint(4, 12)),
            meta=META,
            expected_version=None,
        )
        team_ids.append(team.id)

    def one(n: int) -> int:
        initiative = app.propose_initiative(
            title=f"Initiative {n}",
            problem_statement="p",
            business_case="b",
            owner=f"owner {n % 30}",
            sponsor=None,
            tags=(),
            meta=META,
        ).id
        app.decide(
            initiative,
            DecisionInput(kind=DecisionKind.APPROVE, rationale="go", quarter=QUARTER),
            META,
            None,
        )
        for team in rng.sample(team_ids, rng.choice([1, 1, 2])):
            app.assign_team(
                initiative,
                team_id=team,
                quarter=QUARTER,
                fte=rng.choice([0.5, 1.0, 2.0]),
                person=None,
                role=None,
                meta=META,
                expected_version=None,
            )
        kind = rng.choice([DecisionKind.START, DecisionKind.START, None])
        if kind is None:
            return 0
        return app.decide(initiative, DecisionInput(kind=kind, rationale="go"), META, None).position

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(initiatives)))
    head = app.recorder.max_notification_id()
    return int(head or 0)


def caught_up(service: Service, head: int, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while True:
        body = httpx.get(f"{service.url}/readyz", timeout=5).json()
        if all(p["position"] >= head for p in body["projections"]):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"views did not catch up: {body}")
        time.sleep(0.2)


def p2(target: DatabaseTarget, seconds: float, clients: int) -> dict[str, Any]:
    app = RoadmapApplication(env=eventsourcing_env(target, aggregate_cache_size=1000))
    try:
        head = seed_quarter(app)
    finally:
        app.close()
    rounds: list[dict[str, Any]] = []
    with serve(target, 8766) as service, serve(target, 8767, (*HELLO, "8767")) as hello:
        caught_up(service, head)
        with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            plan_bytes = len(c.get(f"{service.url}/v1/planning/quarters/{QUARTER}").content)
        reads = [[{"method": "GET", "path": f"/v1/planning/quarters/{QUARTER}"}]] * clients
        hellos = [[{"method": "GET", "path": "/hello"}]] * clients
        for _ in range(ROUNDS):
            hello_round = load(hello, hellos, seconds / ROUNDS / 2)
            rounds.append(
                {"hello": hello_round, "plan": load(service, reads, seconds / ROUNDS / 2)}
            )
    for n, r in enumerate(rounds, start=1):
        print(
            f"round {n}: hello {r['hello']['rate']:.0f}/s, quarter plan {r['plan']['rate']:.0f}/s"
        )
    middle = median_round(rounds, lambda r: r["plan"]["rate"] / r["hello"]["rate"])
    middle["plan_bytes"] = plan_bytes
    return middle


def report_p2(r: dict[str, Any], clients: int) -> None:
    ratio = r["plan"]["rate"] / r["hello"]["rate"]
    print(
        f"P2  {clients} clients reading a quarter plan of 500 initiatives and 40 teams"
        f" ({r['plan_bytes'] / 1000:.0f} kB): {r['plan']['rate']:.0f}/s, p99"
        f" {r['plan']['p99_ms']:.1f} ms; hello-JSON {r['hello']['rate']:.0f}/s"
    )
    print(
        f"    ratio {ratio:.2f}  (target >= 0.4: {'met' if ratio >= 0.4 else 'MISSED'});"
        f" service CPU {r['plan']['server_cpu_seconds'] / r['plan']['requests'] * 1e6:.0f} µs"
        f" a read, hello {r['hello']['server_cpu_seconds'] / r['hello']['requests'] * 1e6:.0f} µs;"
        f" load generator {r['plan']['cpu_seconds'] / r['plan']['seconds']:.2f} cores"
    )


# ---- P4: rebuild and catch-up -----------------------------------------------------------------


def seed_log(
    app: RoadmapApplication,
    events: int,
    writers: int = 16,
    quarters: tuple[str, ...] = (QUARTER,),
) -> int:
    """At least `events` events of mixed kinds, written by concurrent commands; initiatives
    are approved into `quarters` in turn."""
    teams = [app.register_team(name=f"Log team {n}", wip_limit=3, meta=META).id for n in range(20)]
    for team in teams:
        for quarter in quarters:
            app.set_team_capacity(team, quarter=quarter, fte=8, meta=META, expected_version=None)
    per_writer = events // writers

    def writer(w: int) -> None:
        rng = random.Random(w)  # noqa: S311 - bench data
        written = 0
        while written < per_writer:
            quarter = quarters[(written // 50) % len(quarters)]
            initiative = app.propose_initiative(
                title=f"Log {w}",
                problem_statement="p",
                business_case="b",
                owner="o",
                sponsor=None,
                tags=("bench",),
                meta=META,
            ).id
            app.add_stakeholder(
                initiative, name="Linus", role=None, meta=META, expected_version=None
            )
            milestone = app.add_milestone(
                initiative,
                title="M",
                success_criteria="s",
                target_date=date(2027, 2, 1),
                meta=META,
                expected_version=None,
            ).value.id
            app.decide(
                initiative,
                DecisionInput(kind=DecisionKind.APPROVE, rationale="go", quarter=quarter),
                META,
                None,
            )
            app.assign_team(
                initiative,
                team_id=rng.choice(teams),
                quarter=quarter,
                fte=1,
                person=None,
                role=None,
                meta=META,
                expected_version=None,
            )
            written += 5
            for i in range(45):
                _one_of_three(app, i, w, initiative, milestone)
            written += 45

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(writer, range(writers)))
    return int(app.recorder.max_notification_id() or 0)


def _one_of_three(
    app: RoadmapApplication, i: int, w: int, initiative: UUID, milestone: UUID
) -> None:
    if i % 3 == 0:
        app.revise_initiative(initiative, {"title": f"Log {w} {i}"}, META, None)
    elif i % 3 == 1:
        app.record_stance(
            initiative,
            name="Linus",
            stance=(Stance.ENDORSES, Stance.OBJECTS)[i % 2],
            note=None,
            meta=META,
            expected_version=None,
        )
    else:
        app.replan_milestone(
            initiative,
            milestone,
            to_date=date(2027, 2, 1) + timedelta(days=i),
            reason="slip",
            meta=META,
            expected_version=None,
        )


def p4(target: DatabaseTarget, events: int) -> dict[str, Any]:
    app = RoadmapApplication(env=eventsourcing_env(target, aggregate_cache_size=1000))
    started = time.monotonic()
    try:
        head = seed_log(app, events)
    finally:
        app.close()
    seeded = time.monotonic() - started
    # Catch-up: the runners start on a log they have never seen (a restart after a long stop).
    runners = start_runners(eventsourcing_env(target, pool_size=1))
    started = time.monotonic()
    try:
        with psycopg.connect(target.dsn) as conn:
            while True:
                positions = [
                    conn.execute(
                        f"SELECT notification_id FROM {tracking_table(v.name)}"  # noqa: S608
                        " WHERE application_name = %s",
                        (APPLICATION_NAME,),
                    ).fetchone()
                    for v in VIEWS
                ]
                if all(p is not None and p[0] >= head for p in positions):
                    break
                time.sleep(0.05)
        catch_up = time.monotonic() - started
    finally:
        stop_runners(runners)
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        started = time.monotonic()
        rebuild(conn, VIEWS)
        rebuilt = time.monotonic() - started
    return {"events": head, "seeded": seeded, "catch_up": catch_up, "rebuild": rebuilt}


def report_p4(r: dict[str, Any]) -> None:
    events = r["events"]
    names = ", ".join(v.name for v in VIEWS)
    print(f"P4  {events} events ({names}; written in {r['seeded']:.0f}s by 16 writers):")
    for label, key in (
        ("rebuild of every view", "rebuild"),
        ("catch-up after a restart", "catch_up"),
    ):
        rate = events / r[key]
        print(
            f"    {label}: {r[key]:.1f}s = {rate:.0f} events/s"
            f"  (target >= 25,000: {'met' if rate >= 25_000 else 'MISSED'})"
        )


# ---- P3: lag under a steady write load ---------------------------------------------------------


def p3(target: DatabaseTarget, rate: float, seconds: float, writers: int = 16) -> dict[str, Any]:
    """`writers` clients write at `rate` a second together; for each write, the time from its
    answer (after its commit) until every view's tracked position has it, as seen by a
    reader polling the tracking tables every half millisecond."""
    lags: list[float] = []
    answered: dict[int, float] = {}
    lock = threading.Lock()
    stop = threading.Event()
    with serve(target, 8768) as service:

        def watch() -> None:
            tables = [tracking_table(v.name) for v in VIEWS]
            query = " UNION ALL ".join(
                f"SELECT min(notification_id) FROM {t} WHERE application_name = %s"  # noqa: S608
                for t in tables
            )
            sql = f"SELECT min(m) FROM ({query}) AS v(m)"  # noqa: S608
            with psycopg.connect(target.dsn, autocommit=True) as conn:
                while not stop.is_set():
                    row = conn.execute(sql, [APPLICATION_NAME] * len(tables)).fetchone()
                    now = time.perf_counter()
                    visible = int(row[0] or 0) if row else 0
                    with lock:
                        arrived = [p for p in answered if p <= visible]
                        lags.extend(now - answered.pop(p) for p in arrived)
                    time.sleep(0.0005)

        def write(n: int) -> None:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            with httpx.Client(base_url=service.url, headers=headers) as c:
                body = {
                    "title": "Lag",
                    "problem_statement": "p",
                    "business_case": "b",
                    "owner": "o",
                }
                base = f"/v1/initiatives/{c.post('/v1/initiatives', json=body).json()['id']}"
                interval = writers / rate
                deadline = time.perf_counter() + seconds
                next_at = time.perf_counter() + interval * n / writers
                i = 0
                while time.perf_counter() < deadline:
                    time.sleep(max(0.0, next_at - time.perf_counter()))
                    answer = c.patch(base, json={"title": f"Lag {n} {i}"})
                    answer.raise_for_status()
                    with lock:
                        answered[int(answer.headers["Roadmap-Position"])] = time.perf_counter()
                    next_at += interval
                    i += 1

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(writers) as pool:
                list(pool.map(write, range(writers)))
            time.sleep(0.5)
        finally:
            stop.set()
            watcher.join()
    lags.sort()
    return {
        "samples": len(lags),
        "rate": len(lags) / seconds,
        "p50_ms": statistics.median(lags) * 1000,
        "p99_ms": lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000,
    }


def report_p3(r: dict[str, Any]) -> None:
    met = r["p99_ms"] <= 25
    print(
        f"P3  lag from a write's answer until every view has it, at {r['rate']:.0f} writes/s"
        f" ({r['samples']} writes): p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"
        f"  (target p99 <= 25 ms: {'met' if met else 'MISSED'})"
    )
