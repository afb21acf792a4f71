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
from roadmap_svc.storage.event_log import events_after
from roadmap_svc.storage.transcoder import MsgspecMapper

PAGE = 5000


def prefix_end(conn: psycopg.Connection[Any], until: datetime) -> int:
    row = conn.execute(
        "SELECT coalesce(max(position), 0) FROM audit_chain WHERE recorded_at <= %s", (until,)
    ).fetchone()
    return int(row[0]) if row else 0


def decisions_until(conn: psycopg.Connection[Any], until: datetime) -> tuple[int, list[Decision]]:
    """The log position as of `until`, and the decision log then, oldest first."""
    end = prefix_end(conn, until)
    rows = replay(decision_log.VIEW, _events(conn, end))
    found: list[Decision] = sorted(
        rows.all(decision_log.DECISIONS), key=lambda decision: decision.position
    )
    return end, found


def _events(conn: psycopg.Connection[Any], end: int) -> Iterator[tuple[Any, int]]:
    mapper = MsgspecMapper()
    after = 0
    while after < end:
        page = events_after(conn, after, PAGE)
        if not page:
            return
        for stored, position in page:
            if position > end:
                return
            yield mapper.to_domain_event(stored), position
        after = page[-1][1]
