"""The service's own Prometheus metrics (HTTP requests are counted by Litestar's middleware,
see api/metrics.py). Module-level, as prometheus_client wants: one set per process, summed
across `api` processes by its multiprocess mode (PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

COMMANDS = Counter(
    "roadmap_commands",
    "Commands run through the API, by command and outcome (ok, replayed, refused, conflict, "
    "unavailable, error)",
    ["command", "outcome"],
)
GROUP_COMMIT_BATCH = Histogram(
    "roadmap_group_commit_batch_size",
    "Commands stored per group-commit transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
GROUP_COMMIT_SECONDS = Histogram(
    "roadmap_group_commit_seconds",
    "Time of one group-commit transaction (the event store's write lock is held within it)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
