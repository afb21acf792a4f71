"""Every projection the service runs, with its view; one list for runners, migrate and rebuild."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.projection import Projection
from eventsourcing.utils import Environment

from roadmap_svc.projections.initiative_summary_view import InitiativeSummaryView
from roadmap_svc.projections.projection import InitiativeSummaryProjection

PROJECTIONS: tuple[tuple[type[Projection[Any]], type[InitiativeSummaryView]], ...] = (
    (InitiativeSummaryProjection, InitiativeSummaryView),
)


def tracking_table(projection_class: type[Projection[Any]]) -> str:
    # The library names a view's tracking table after the projection (PostgresFactory).
    return f"{projection_class.name.lower()}_tracking"


def construct_view(
    projection_class: type[Projection[Any]],
    view_class: type[InitiativeSummaryView],
    env: dict[str, str],
) -> InitiativeSummaryView:
    factory = InfrastructureFactory[InitiativeSummaryView].construct(
        env=Environment(projection_class.name, env)
    )
    return factory.tracking_recorder(view_class)
