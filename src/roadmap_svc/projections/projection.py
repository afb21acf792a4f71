"""The projections the library's runner drives: each forwards events to its view."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from roadmap_svc.projections.initiative_summary_view import InitiativeSummaryView


class InitiativeSummaryProjection(Projection[InitiativeSummaryView]):
    name = "initiative_summary"  # names the tracking table: pinned
    # No topic filter: every event must move the tracked position, or a read waiting for a
    # position past an event this view ignores would wait in vain.
    topics = ()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # noqa: ANN401
        self.view.apply_event(domain_event, tracking)
