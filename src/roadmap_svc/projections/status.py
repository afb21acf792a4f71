"""What an operator sees of each view from any process: how far it got, and where it waits."""

from __future__ import annotations

from typing import Any

import msgspec
import psycopg

from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections import failures
from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.projections.view_tables import tracking_table
from roadmap_svc.storage.eventstore import EVENTS_TABLE


class ViewStatus(msgspec.Struct, kw_only=True):
    name: str
    position: int
    lag: int
    failure: failures.PoisonEvent | None


def views_status(conn: psycopg.Connection[Any]) -> list[ViewStatus]:
    head_row = conn.execute(f"SELECT max(notification_id) FROM {EVENTS_TABLE}").fetchone()  # noqa: S608
    head = int((head_row or [0])[0] or 0)
    waiting = {f.view: f for f in failures.recorded(conn)}
    found = []
    for view in VIEWS:
        row = conn.execute(
            f"SELECT notification_id FROM {tracking_table(view.name)}"  # noqa: S608
            " WHERE application_name = %s",
            (APPLICATION_NAME,),
        ).fetchone()
        position = int(row[0]) if row else 0
        found.append(
            ViewStatus(
                name=view.name,
                position=position,
                lag=max(head - position, 0),
                failure=waiting.get(view.name),
            )
        )
    return found
