"""The Litestar app factory: routes, auth, problem details, OpenAPI, and start-up/shut-down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.logging.config import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.problem_details import ProblemDetailsPlugin

from roadmap_svc.api.assignments import AssignmentController, MetricController
from roadmap_svc.api.audit import AuditController
from roadmap_svc.api.auth import authentication_middleware
from roadmap_svc.api.baselines import BaselineController
from roadmap_svc.api.bodies import check_json_body
from roadmap_svc.api.contract import render_plugins
from roadmap_svc.api.decision_log import DecisionLogController
from roadmap_svc.api.decisions import DecisionController
from roadmap_svc.api.dependencies import DEPENDENCIES
from roadmap_svc.api.event_feed import EventFeedController
from roadmap_svc.api.external_refs import ExternalRefController, ExternalRefLinkController
from roadmap_svc.api.header_limits import bounded_headers
from roadmap_svc.api.health import HealthController
from roadmap_svc.api.history import HistoryController
from roadmap_svc.api.idempotency import purge_forever
from roadmap_svc.api.initiatives import InitiativeController
from roadmap_svc.api.metrics import PROMETHEUS, MetricsController
from roadmap_svc.api.milestones import MilestoneController
from roadmap_svc.api.options import allow_every_method
from roadmap_svc.api.planning import PlanningController, RevisitController
from roadmap_svc.api.problems import internal_error, problem_details_config
from roadmap_svc.api.progress import ProgressController
from roadmap_svc.api.query_params import check_query_params
from roadmap_svc.api.rate_limits import RateLimiter
from roadmap_svc.api.relay import ViewAnnouncements
from roadmap_svc.api.request_ids import request_ids
from roadmap_svc.api.stakeholders import StakeholderController
from roadmap_svc.api.state import AppState
from roadmap_svc.api.stream import StreamController
from roadmap_svc.api.teams import TeamController
from roadmap_svc.api.webhooks import WebhookController
from roadmap_svc.application import RoadmapApplication
from roadmap_svc.audit.checkpoints import Checkpointer
from roadmap_svc.audit.signing import signing_key
from roadmap_svc.config import Settings
from roadmap_svc.projections.runner import start_runners, stop_runners
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import eventsourcing_env
from roadmap_svc.storage.pool import create_pool
from roadmap_svc.webhooks.dispatcher import Dispatcher

logger = logging.getLogger(__name__)
API_VERSION = "1.0.0"


def create_app(
    settings: Settings, target: DatabaseTarget, *, run_projections: bool = True
) -> Litestar:
    """Build the app; the Application, pool and runners are made at start-up (after any fork)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Commands run in Litestar's thread pool; size the library's pool above it.
        env = eventsourcing_env(
            target,
            pool_size=settings.db_pool_size,
            aggregate_cache_size=settings.aggregate_cache_size,
            snapshot_interval=settings.snapshot_interval,
            connect_timeout=settings.db_timeout_seconds,
        )
        application = await asyncio.to_thread(RoadmapApplication, env)
        key = await asyncio.to_thread(signing_key, settings)
        pool = await create_pool(target, settings.db_pool_size, settings.db_timeout_seconds)
        state = AppState(
            settings=settings,
            application=application,
            pool=pool,
            limiter=RateLimiter(settings.rate_limit_per_minute),
            dsn=target.dsn,
            signing_key=key,
        )
        dispatcher = checkpointer = None
        if run_projections:
            # A runner uses one connection at a time (the library allows as many again).
            state.runners = start_runners(eventsourcing_env(target, pool_size=1))
            dispatcher = Dispatcher(target.dsn, settings)
            dispatcher.start()
            checkpointer = Checkpointer(target.dsn, key, settings.audit_checkpoint_minutes)
            checkpointer.start()
        state.announcements = ViewAnnouncements(target)
        state.announcements.tell(state.plans_hear)
        await state.announcements.start()
        app.state[AppState.KEY] = state
        chores = [
            asyncio.create_task(
                purge_forever(pool, settings.idempotency_key_hours * 3600), name="purge-keys"
            ),
            asyncio.create_task(state.limiter.run(pool), name="share-rate-limits"),
        ]
        try:
            yield
        finally:
            for chore in chores:
                chore.cancel()
            await state.announcements.stop()
            await asyncio.to_thread(stop_runners, state.runners)
            if dispatcher is not None:
                await asyncio.to_thread(dispatcher.stop)
            if checkpointer is not None:
                await asyncio.to_thread(checkpointer.stop)
            await pool.close()
            application.close()

    return Litestar(
        route_handlers=[
            HealthController,
            MetricsController,
            InitiativeController,
            StakeholderController,
            DecisionController,
            HistoryController,
            MilestoneController,
            AssignmentController,
            MetricController,
            ExternalRefLinkController,
            ExternalRefController,
            TeamController,
            PlanningController,
            BaselineController,
            RevisitController,
            DecisionLogController,
            ProgressController,
            StreamController,
            WebhookController,
            EventFeedController,
            AuditController,
        ],
        dependencies=DEPENDENCIES,
        middleware=[
            request_ids,
            PROMETHEUS.middleware,
            bounded_headers,
            allow_every_method,
            authentication_middleware(),
        ],
        before_request=_check_request,
        plugins=[ProblemDetailsPlugin(problem_details_config())],
        exception_handlers={500: internal_error},
        lifespan=[lifespan],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi_config(),
        # The process (cli, uvicorn, pytest) owns the root logger; unhandled errors are logged
        # once, by problems.internal_error.
        logging_config=LoggingConfig(configure_root_logger=False, log_exceptions="never"),
        debug=False,
    )


async def _check_request(request: Request[Any, Any, Any]) -> None:
    """Before any handler: no unknown query parameter, and a clean JSON body if any."""
    check_query_params(request)
    await check_json_body(request)


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="roadmap-svc",
        version=API_VERSION,
        description=(
            "Event-sourced initiative roadmaps: every proposal, decision and stakeholder stance "
            "is an event. Errors are RFC 9457 problem details."
        ),
        path="/schema",
        render_plugins=render_plugins(),
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", description="API token")
            }
        ),
        security=[{"bearer": []}],
        use_handler_docstrings=False,
    )
