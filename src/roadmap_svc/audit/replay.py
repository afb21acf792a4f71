"""`roadmap-svc audit replay --until T`: the decision log as it stood at T, folded afresh by
the decision log view's own code from the log's prefix up to the last event recorded by T
(not read from the live view, so it also shows what the log itself says)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg

from roadmap_svc.projections import decision_log
from roadmap_svc.projections.event_views import Decision
from roadmap_svc.projections.kit import replay
from roadmap_svc.storage.audit_chain import position_at
from roadmap_svc.storage.event_log import stored_log
from roadmap_svc.storage.transcoder import MsgspecMapper

PAGE = 5000


def decisions_until(conn: psycopg.Connection[Any], until: datetime) -> tuple[int, list[Decision]]:
    """The log position as of `until`, and the decision log then, oldest first."""
    end = position_at(conn, until)
    rows = replay(decision_log.VIEW, _events(conn, end))
    found: list[Decision] = sorted(
        rows.all(decision_log.DECISIONS), key=lambda decision: decision.position
    )
    return end, found


def _events(conn: psycopg.Connection[Any], end: int) -> Iterator[tuple[Any, int]]:
    mapper = MsgspecMapper()
    for stored, position in stored_log(conn, through=end, page=PAGE):
        yield mapper.to_domain_event(stored), position
