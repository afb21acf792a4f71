"""Benchmarks, as ratios against baselines measured in the same run: the write path (here)
and the read side (bench/read_side.py: P2, P3, P4).

    ./dev bench [--seconds 15] [--clients 32] [--n 300] [--events 10000]
                [--log-events 100000] [--as-of-events 200000]
                [--only P1,P2,P3,P4,P5,P6,P7,P8]

Runs on a fresh database: on TEST_POSTGRES_SERVER_URL's server when set, else an embedded
PostgreSQL (fsync on, as shipped). The service runs as `roadmap-svc serve` in its own process;
the load generator (bench/load.py) in another, reporting its own CPU use. P1 and P7 alternate
with their baseline in ROUNDS rounds (fsync latency drifts over minutes on shared machines);
every round is printed, and the median round is reported.

P1  HTTP commands/s, CLIENTS concurrent clients each writing its own initiative
    ÷ the library's single-thread rate of one-event saves (Application.save)   ≥ 2.0, p99 ≤ 50 ms
P5  loading a 10,000-event initiative ÷ loading a 10-event one, aggregate cache off  ≤ 2
P7  one HTTP write (one client, sequential) ÷ the same command on the application   ≤ 1.5
P6  as-of quarter plan over 200,000 events, median ≤ 1 s and ≤ 20 times a live read (bench/as_of.py)
P8  reads and writes/s with 2 and 4 `api` processes ÷ with 1 (bench/processes.py)
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import as_of
import httpx
import processes
import read_side
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from harness import (
    ROUNDS,
    TOKEN,
    Service,
    bench_database,
    load,
    median_round,
    serve,
    worker,
)

from roadmap_svc.application import DecisionInput, RoadmapApplication
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.metrics import Direction
from roadmap_svc.domain.stakeholders import Stance
from roadmap_svc.schema import migrate_database
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import DEFAULT_SNAPSHOT_INTERVAL, eventsourcing_env

META = EventMeta(actor="bench")
P1_RATE_ON_RECORD = 2200.0  # commands/s, 2026-12-01, 2 cores: P3's load when P1 is not run


# ---- the baseline: the library's own one-event saves ---------------------------------------


class Counter(Aggregate):
    class Opened(Aggregate.Created):
        name: str

    @event(Opened)
    def __init__(self, name: str) -> None:
        self.name = name


class BaselineApplication(Application[UUID]):
    name = "bench_baseline"


def library_saves(target: DatabaseTarget, seconds: float) -> tuple[float, float]:
    """Single-thread Application.save of one-event aggregates: (saves per second, median s)."""
    app = BaselineApplication(env=eventsourcing_env(target, pool_size=2, create_table=True))
    try:
        app.save(Counter(name="warm-up"))
        samples: list[float] = []
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            t = time.perf_counter()
            app.save(Counter(name="c"))
            samples.append(time.perf_counter() - t)
        return len(samples) / (time.perf_counter() - start), statistics.median(samples)
    finally:
        app.close()


# ---- databases and the service -------------------------------------------------------------


# ---- what the clients write ----------------------------------------------------------------


def proposal(n: int) -> dict[str, object]:
    return {
        "title": f"Bench {n}",
        "problem_statement": "p",
        "business_case": "b",
        "owner": "bench",
        "tags": ["bench"],
    }


def writing_clients(service: Service, clients: int) -> list[list[dict[str, Any]]]:
    """One initiative per client; each client alternates revisions and stances on it."""
    plan: list[list[dict[str, Any]]] = []
    with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        for n in range(clients):
            created = c.post("/v1/initiatives", json=proposal(n))
            created.raise_for_status()
            base = f"/v1/initiatives/{created.json()['id']}"
            c.post(f"{base}/stakeholders", json={"name": "Linus"}).raise_for_status()
            stance = f"{base}/stakeholders/Linus/stance"
            plan.append(
                [
                    {"method": "PATCH", "path": base, "body": {"title": f"Bench {n} (a)"}},
                    {"method": "POST", "path": stance, "body": {"stance": "endorses"}},
                    {"method": "PATCH", "path": base, "body": {"title": f"Bench {n} (b)"}},
                    {"method": "POST", "path": stance, "body": {"stance": "objects"}},
                ]
            )
    return plan


def direct_commands(target: DatabaseTarget, n: int) -> list[float]:
    """The P7 commands called on the application itself, with the service's settings."""
    app = RoadmapApplication(env=eventsourcing_env(target, aggregate_cache_size=1000))
    try:
        initiative_id = _propose(app)
        app.add_stakeholder(
            initiative_id, name="Linus", role=None, meta=META, expected_version=None
        )
        commands: list[Callable[[], object]] = [
            lambda: app.revise_initiative(initiative_id, {"title": "a"}, META, None),
            lambda: app.record_stance(
                initiative_id,
                name="Linus",
                stance=Stance.ENDORSES,
                note=None,
                meta=META,
                expected_version=None,
            ),
            lambda: app.revise_initiative(initiative_id, {"title": "b"}, META, None),
            lambda: app.record_stance(
                initiative_id,
                name="Linus",
                stance=Stance.OBJECTS,
                note=None,
                meta=META,
                expected_version=None,
            ),
        ]
        for command in commands:  # warm-up
            command()
        samples = []
        for i in range(n):
            start = time.perf_counter()
            commands[i % len(commands)]()
            samples.append(time.perf_counter() - start)
        return samples
    finally:
        app.close()


def _propose(app: RoadmapApplication) -> UUID:
    return app.propose_initiative(
        title="Bench",
        problem_statement="p",
        business_case="b",
        owner="bench",
        sponsor=None,
        tags=(),
        meta=META,
    ).id


# ---- P5: long histories --------------------------------------------------------------------


# The kinds of command a long history is made of, as steps of long_history (see there).
REVISE, STANCE, FTE, REPLAN, MEASURE, PAUSE = range(6)
BOUNDED = (REVISE, STANCE, FTE, REVISE, STANCE, FTE, REVISE, STANCE, PAUSE, PAUSE)
GROWING = (REVISE, STANCE, FTE, REVISE, STANCE, FTE, REVISE, STANCE, REPLAN, MEASURE)


def long_history(app: RoadmapApplication, events: int, mix: tuple[int, ...] = GROWING) -> UUID:
    """An initiative with `events` events, its commands cycling through `mix`.

    BOUNDED: revisions, stances, FTE changes, pauses and resumes; the state stays the same
    size however long the history. GROWING: every tenth event a re-plan (its slip is kept)
    and every tenth a measurement (kept): the state grows with the history.
    """
    initiative_id = _propose(app)
    app.add_stakeholder(initiative_id, name="Linus", role=None, meta=META, expected_version=None)
    team = app.register_team(name=f"team {uuid4().hex[:6]}", wip_limit=None, meta=META).id
    assignment = app.assign_team(
        initiative_id,
        team_id=team,
        quarter="2027-Q1",
        fte=1,
        person=None,
        role=None,
        meta=META,
        expected_version=None,
    ).value.id
    milestone = app.add_milestone(
        initiative_id,
        title="Beta",
        success_criteria="s",
        target_date=date(2027, 1, 1),
        meta=META,
        expected_version=None,
    ).value.id
    metric = app.define_metric(
        initiative_id,
        name="conversion",
        unit="%",
        baseline=1,
        target=2,
        direction=Direction.HIGHER_IS_BETTER,
        meta=META,
        expected_version=None,
    ).value.id
    app.decide(
        initiative_id,
        DecisionInput(kind=DecisionKind.APPROVE, rationale="go", quarter="2027-Q1"),
        META,
        None,
    )
    app.decide(initiative_id, DecisionInput(kind=DecisionKind.START, rationale="go"), META, None)
    steps: list[Callable[[int], object]] = [
        lambda i: app.revise_initiative(initiative_id, {"title": f"t{i % 2}"}, META, None),
        lambda i: app.record_stance(
            initiative_id,
            name="Linus",
            stance=(Stance.ENDORSES, Stance.OBJECTS)[i % 2],
            note=None,
            meta=META,
            expected_version=None,
        ),
        lambda i: app.change_assignment(
            initiative_id,
            assignment,
            {"fte": 2 - i % 2},
            meta=META,
            expected_version=None,
        ),
        lambda i: app.replan_milestone(
            initiative_id,
            milestone,
            to_date=date(2027, 1, 1) + timedelta(days=1 + i % 700),
            reason="slip",
            meta=META,
            expected_version=None,
        ),
        lambda i: app.record_measurement(
            initiative_id,
            metric,
            value=i / 100,
            measured_on=date(2026, 1, 1),
            note=None,
            meta=META,
            expected_version=None,
        ),
        lambda i: app.decide(
            initiative_id,
            DecisionInput(
                kind=(DecisionKind.PAUSE, DecisionKind.RESUME)[i % 2], rationale="capacity"
            ),
            META,
            None,
        ),
    ]
    done = [0] * len(steps)  # each step alternates its own values
    version = app.get_initiative(initiative_id).version
    i = 0
    while version < events:
        step = mix[i % len(mix)]
        version = steps[step](done[step]).version  # type: ignore[attr-defined]
        done[step] += 1
        i += 1
    return initiative_id


def loads(
    target: DatabaseTarget, histories: Mapping[str, tuple[int, tuple[int, ...]]], n: int
) -> dict[str, tuple[int, float]]:
    """Median time of get_initiative, aggregate cache off, for each (length, mix) history."""
    builder = RoadmapApplication(env=eventsourcing_env(target, aggregate_cache_size=1000))
    try:
        ids = {label: long_history(builder, size, mix) for label, (size, mix) in histories.items()}
    finally:
        builder.close()
    reader = RoadmapApplication(env=eventsourcing_env(target, aggregate_cache_size=0))
    try:
        result: dict[str, tuple[int, float]] = {}
        for label, initiative_id in ids.items():
            version = reader.get_initiative(initiative_id).version
            samples = []
            for _ in range(n):
                start = time.perf_counter()
                reader.get_initiative(initiative_id)
                samples.append(time.perf_counter() - start)
            result[label] = (version, statistics.median(samples))
        return result
    finally:
        reader.close()


# ---- the report ----------------------------------------------------------------------------


def write_path_measures(
    args: argparse.Namespace, only: set[str], target: DatabaseTarget
) -> float | None:
    """P1 and P7, in alternating rounds with the baseline; P1's rate, if measured."""
    p1_rate: float | None = None
    # The disk's fsync latency drifts over minutes on shared machines: measure the
    # baseline and each measure in alternating rounds, and report the median round.
    rounds: list[dict[str, Any]] = []
    command = ("-m", "roadmap_svc.cli", "api" if args.split else "serve")
    views = worker(target) if args.split else contextlib.nullcontext()
    if args.split:
        print("P1 and P7: `api`, with the views and webhooks in a `worker` process")
    with views, serve(target, command=command) as service:
        for _ in range(ROUNDS):
            base_rate, base_median = library_saves(target, args.seconds / ROUNDS)
            rounds.append({"base_rate": base_rate, "base_median": base_median})
            if "P1" in only:
                rounds[-1]["p1"] = load(
                    service,
                    writing_clients(service, args.clients),
                    args.seconds / ROUNDS,
                )
            if "P7" in only:
                rounds[-1]["p7_http"] = load(
                    service, writing_clients(service, 1), args.seconds / ROUNDS
                )
                # On the application, while the service (and its projection) runs.
                rounds[-1]["p7_direct"] = statistics.median(
                    direct_commands(target, max(args.n // ROUNDS, 20))
                )
    for n, r in enumerate(rounds, start=1):
        print(
            f"round {n}: baseline {r['base_rate']:.0f}/s"
            + (f", P1 {r['p1']['rate']:.0f}/s" if "p1" in r else "")
            + (
                f", P7 {r['p7_http']['p50_ms']:.2f} / {r['p7_direct'] * 1000:.2f} ms"
                if "p7_http" in r
                else ""
            )
        )
    if "P1" in only:
        middle = median_round(rounds, lambda r: r["p1"]["rate"] / r["base_rate"])
        _print_baseline(middle)
        report_p1(middle["p1"], middle["base_rate"], args.clients)
        p1_rate = float(middle["p1"]["rate"])
    if "P7" in only:
        middle = median_round(rounds, lambda r: r["p7_http"]["p50_ms"] / 1000 / r["p7_direct"])
        report_p7(middle["p7_http"], middle["p7_direct"])
    return p1_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0, help="load, all rounds (P1, P7)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (P1)")
    parser.add_argument("--n", type=int, default=300, help="samples per direct measurement")
    parser.add_argument("--events", type=int, default=10_000, help="long history (P5)")
    parser.add_argument("--as-of-events", type=int, default=200_000, help="P6's history")
    parser.add_argument("--as-of-reads", type=int, default=200, help="P6's random times")
    parser.add_argument("--only", default="P1,P2,P3,P4,P5,P6,P7,P8", help="which, e.g. P1,P7")
    parser.add_argument("--log-events", type=int, default=100_000, help="log to rebuild (P4)")
    parser.add_argument(
        "--split",
        action="store_true",
        help="P1 and P7 against `api` with the views in a `worker` process, not `serve`",
    )
    args = parser.parse_args()
    only = set(args.only.upper().split(","))
    p1_rate: float | None = None

    with bench_database() as (target, where):
        migrate_database(target)
        print(f"roadmap-svc benchmarks on {where}; each ratio is against a baseline")
        print("measured in this same run. The load generator runs in its own process.")
        print()
        if only & {"P1", "P7"}:
            p1_rate = write_path_measures(args, only, target)
        if "P5" in only:
            # Exactly at a snapshot, half an interval past one (typical), and just before the
            # next one (worst).
            gap = DEFAULT_SNAPSHOT_INTERVAL
            histories = {"10": (10, BOUNDED)}
            for mix_name, mix in (("bounded", BOUNDED), ("growing", GROWING)):
                histories[mix_name] = (args.events, mix)
                histories[f"{mix_name}+half"] = (args.events + gap // 2, mix)
                histories[f"{mix_name}+worst"] = (args.events + gap - 1, mix)
            report_p5(loads(target, histories, max(20, args.n // 10)))
    read_side_measures(args, only, p1_rate)
    if "P8" in only:
        with bench_database() as (target, _):
            migrate_database(target)
            processes.report_p8(processes.p8(target, args.seconds, args.clients), args.clients)


def read_side_measures(args: argparse.Namespace, only: set[str], p1_rate: float | None) -> None:
    """The read side's measures, each on a database of its own."""
    if "P2" in only:
        with bench_database() as (target, _):
            migrate_database(target)
            read_side.report_p2(read_side.p2(target, args.seconds, args.clients), args.clients)
    if "P3" in only:
        with bench_database() as (target, _):
            migrate_database(target)
            # half the P1 throughput of this run (else of the last run on record here)
            rate = (p1_rate or P1_RATE_ON_RECORD) / 2
            read_side.report_p3(read_side.p3(target, rate, args.seconds))
    if "P4" in only:
        with bench_database() as (target, _):
            migrate_database(target)
            read_side.report_p4(read_side.p4(target, args.log_events))
    if "P6" in only:
        with bench_database() as (target, _):
            migrate_database(target)
            as_of.report_p6(as_of.p6(target, args.as_of_events, args.as_of_reads))


def _print_baseline(r: dict[str, Any]) -> None:
    print(
        "baseline  library Application.save, one event, one thread:"
        f" {r['base_rate']:6.0f}/s (median {r['base_median'] * 1000:.2f} ms)  [median round]"
    )


def report_p1(p1: dict[str, Any], base_rate: float, clients: int) -> None:
    ratio = p1["rate"] / base_rate
    met = ratio >= 2.0 and p1["p99_ms"] <= 50
    print(
        f"P1  {clients} HTTP clients on their own initiatives: {p1['rate']:6.0f} commands/s,"
        f" p50 {p1['p50_ms']:.1f} ms, p99 {p1['p99_ms']:.1f} ms"
    )
    print(f"    ratio {ratio:.2f}  (target >= 2.0 with p99 <= 50 ms: {'met' if met else 'MISSED'})")
    print(
        f"    CPU: service {p1['server_cpu_seconds'] / p1['seconds']:.2f} cores"
        f" = {p1['server_cpu_seconds'] / p1['requests'] * 1000:.2f} ms a command;"
        f" load generator {p1['cpu_seconds'] / p1['seconds']:.2f} cores"
    )


def report_p5(p5: dict[str, tuple[int, float]]) -> None:
    _, small = p5["10"]
    for label, what in (
        ("bounded", "revisions, stances, FTE changes, pauses"),
        ("growing", "the same, and every 10th a kept slip, every 10th a kept measurement"),
    ):
        version, load_time = p5[label]
        ratio = load_time / small
        met = "met" if ratio <= 2 else "MISSED"
        print(f"P5  {what}:")
        print(
            f"    load a {version}-event initiative {load_time * 1000:.2f} ms / a 10-event one"
            f" {small * 1000:.2f} ms, cache off: ratio {ratio:.2f}  (target <= 2: {met})"
        )
        for case, name in (("half", "typical"), ("worst", "worst")):
            case_version, case_time = p5[f"{label}+{case}"]
            print(
                f"    {name}, {case_version} events ({case_version - version} after the last"
                f" snapshot): {case_time * 1000:.2f} ms, ratio {case_time / small:.2f}"
            )


def report_p7(http: dict[str, Any], direct: float) -> None:
    ratio = http["p50_ms"] / 1000 / direct
    print(
        f"P7  one HTTP write {http['p50_ms']:.2f} ms / the same command on the application"
        f" {direct * 1000:.2f} ms (medians): ratio {ratio:.2f}"
        f"  (target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
