"""What an operator sees of each view from any process: how far it got, and where it waits."""

from __future__ import annotations

from typing import Any

import msgspec
import psycopg

from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections import failures
from roadmap_svc.projections.positions import event_store_position, projection_position
from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.projections.view_tables import tracking_table
from roadmap_svc.storage.eventstore import EVENTS_TABLE
from roadmap_svc.storage.pool import Pool


class ViewStatus(msgspec.Struct, kw_only=True):
    name: str
    position: int
    lag: int
    failure: failures.PoisonEvent | None


def views_status(conn: psycopg.Connection[Any]) -> list[ViewStatus]:
    head_row = conn.execute(f"SELECT max(notification_id) FROM {EVENTS_TABLE}").fetchone()  # noqa: S608
    positions = {}
    for view in VIEWS:
        row = conn.execute(
            f"SELECT notification_id FROM {tracking_table(view.name)}"  # noqa: S608
            " WHERE application_name = %s",
            (APPLICATION_NAME,),
        ).fetchone()
        positions[view.name] = int(row[0]) if row else 0
    return _statuses(int((head_row or [0])[0] or 0), positions, failures.recorded(conn))


async def views_now(pool: Pool) -> tuple[int, list[ViewStatus]]:
    """As `views_status`, on the query pool: the event store's head and every view's status
    (for /readyz and /metrics)."""
    head = await event_store_position(pool, EVENTS_TABLE)
    positions = {
        view.name: await projection_position(pool, tracking_table(view.name), APPLICATION_NAME)
        for view in VIEWS
    }
    return head, _statuses(head, positions, await failures.waiting(pool))


def _statuses(
    head: int, positions: dict[str, int], waiting: list[failures.PoisonEvent]
) -> list[ViewStatus]:
    failed = {f.view: f for f in waiting}
    return [
        ViewStatus(
            name=name, position=position, lag=max(head - position, 0), failure=failed.get(name)
        )
        for name, position in positions.items()
    ]
