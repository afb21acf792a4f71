"""The decision log view: every decision of every initiative, one row each. Pure, no I/O.

A row is the decision as the event records it (event_views.Decision, the shape the
per-initiative log also answers with), keyed by its global position, which orders the log.
"""

from __future__ import annotations

from typing import Any

from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.projections.event_views import Decision, decision_record
from roadmap_svc.projections.kit import Index, Rows, Table, View

DECISIONS = Table(
    "decision_log",
    Decision,
    key=("position",),
    indexes=(
        Index(("initiative_id", "position")),
        Index(("kind", "position")),
        Index(("decided_by", "position")),
        Index(("quarter", "position")),
        Index(("occurred_at",)),
    ),
)


def _apply(rows: Rows, domain_event: Any, position: int) -> None:  # noqa: ANN401 - any event
    if isinstance(domain_event, DecisionTaken):
        rows.put(DECISIONS, decision_record(domain_event, position))


def _changes(rows: Rows) -> dict[str, list[str]]:
    decided = (rows.get(DECISIONS, *key) for key in rows.changed(DECISIONS))
    return {"initiatives": sorted({str(d.initiative_id) for d in decided if d is not None})}


VIEW = View("decision_log", (DECISIONS,), _apply, changes=_changes)
