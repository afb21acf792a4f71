"""Every view the service runs: one list for runners, migrate, rebuild and status."""

from __future__ import annotations

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from roadmap_svc.projections import (
    decision_log,
    initiative_summary,
    progress,
    quarter_plan,
    webhook_outbox,
)
from roadmap_svc.projections.kit import View
from roadmap_svc.projections.view_store import ViewRecorder

VIEWS: tuple[View, ...] = (
    initiative_summary.VIEW,
    quarter_plan.VIEW,
    decision_log.VIEW,
    progress.VIEW,
    webhook_outbox.VIEW,
)


def view_named(name: str) -> View:
    for view in VIEWS:
        if view.name == name:
            return view
    known = ", ".join(v.name for v in VIEWS)
    msg = f"no view named {name!r} (views: {known})"
    raise LookupError(msg)


def construct_view(view: View, env: dict[str, str]) -> ViewRecorder:
    """The library's tracking recorder for a view, bound to the view's tables."""
    factory = InfrastructureFactory[ViewRecorder].construct(env=Environment(view.name, env))
    return factory.tracking_recorder(ViewRecorder).bind(view)
