"""GET /metrics: Prometheus text. Requests by route (Litestar's Prometheus middleware,
PROMETHEUS below), this process's commands and group commits (roadmap_svc/metrics.py), and,
read from the database at each scrape so any `api` process tells the same: the event store's
head, each view's position, lag and poison event, and the webhook backlog."""

from __future__ import annotations

import os
from collections.abc import Iterator

import asyncpg
from litestar import Controller, MediaType, Response, get
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from roadmap_svc.api.dependencies import AppStateDep
from roadmap_svc.projections.status import views_now
from roadmap_svc.storage.pool import Pool
from roadmap_svc.webhooks import endpoints

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PROMETHEUS = PrometheusConfig(
    app_name="roadmap-svc",
    prefix="roadmap_http",
    group_path=True,  # by route template (/v1/initiatives/{initiative_id}), not by id
    exclude=["^/metrics$"],
)


class _Scraped(Collector):
    """Gauges read from the database for this scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        yield from self._families


class MetricsController(Controller):
    tags = ("health",)

    @get(
        "/metrics",
        operation_id="GetMetrics",
        summary="Prometheus metrics",
        media_type=MediaType.TEXT,  # documented as text/plain; answered with its version
        description="Prometheus text exposition 0.0.4 (no token needed, like the probes).",
    )
    async def metrics(self, app_state: AppStateDep) -> Response[bytes]:
        up = GaugeMetricFamily("roadmap_database_up", "1 if this scrape read the database")
        families: list[Metric] = [up]
        try:
            families += await _from_database(app_state.pool)
            up.add_metric([], 1)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            families = [up]
            up.add_metric([], 0)
        scraped = CollectorRegistry(auto_describe=False)
        scraped.register(_Scraped(families))
        body = generate_latest(_process_registry()) + generate_latest(scraped)
        return Response(body, media_type=CONTENT_TYPE)


def _process_registry() -> CollectorRegistry:
    if MULTIPROCESS_DIR not in os.environ:
        return REGISTRY
    # Several `api` processes: each writes its counters to files there; sum them.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


async def _from_database(pool: Pool) -> list[Metric]:
    head, views = await views_now(pool)
    store = GaugeMetricFamily("roadmap_event_store_position", "The last event's position")
    store.add_metric([], head)
    position = GaugeMetricFamily(
        "roadmap_projection_position", "The last position a view applied", labels=["view"]
    )
    lag = GaugeMetricFamily(
        "roadmap_projection_lag_events", "Events a view has still to apply", labels=["view"]
    )
    stuck = GaugeMetricFamily(
        "roadmap_projection_waiting",
        "1 while a view waits at an event it cannot apply (see /readyz)",
        labels=["view"],
    )
    for view in views:
        position.add_metric([view.name], view.position)
        lag.add_metric([view.name], view.lag)
        stuck.add_metric([view.name], 0 if view.failure is None else 1)
    found = await endpoints.backlog(pool)
    deliveries = GaugeMetricFamily(
        "roadmap_webhook_deliveries", "Webhook deliveries by status", labels=["status"]
    )
    for status, count in sorted(found.by_status.items()):
        deliveries.add_metric([status], count)
    oldest = GaugeMetricFamily(
        "roadmap_webhook_oldest_pending_seconds", "Age of the oldest delivery still to be made"
    )
    oldest.add_metric([], found.oldest_pending_seconds)
    return [store, position, lag, stuck, deliveries, oldest]
