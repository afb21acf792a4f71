"""What the view tests share: a view's rows as stored, how far it got, and a bounded wait."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from psycopg.rows import dict_row

from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections.kit import Key, R, Table, View, replay
from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.projections.tables import TableSQL
from roadmap_svc.projections.view_tables import tracking_table
from roadmap_svc.storage.event_log import events_after
from roadmap_svc.storage.transcoder import MsgspecMapper

BOUND_SECONDS = 60.0  # a bound on waits, not a sleep


def stored_rows(dsn: str, table: Table[R]) -> dict[Key, R]:
    sql = TableSQL(table)
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        return {table.key_of(r): r for r in map(sql.decode, conn.execute(sql.select_all))}


def stored_view(dsn: str, view: View) -> dict[str, dict[Key, Any]]:
    return {table.name: stored_rows(dsn, table) for table in view.tables}


def replayed(dsn: str, view: View) -> tuple[dict[str, dict[Key, Any]], int]:
    """The view as an in-memory replay of the whole log makes it, and the log's head."""
    mapper = MsgspecMapper()
    with psycopg.connect(dsn) as conn:
        log = events_after(conn, 0, 10**9)
    rows = replay(view, [(mapper.to_domain_event(e), p) for e, p in log])
    return {t.name: dict(rows.tables.get(t.name, {})) for t in view.tables}, log[-1][1]


def tracked(dsn: str, view: View) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            f"SELECT notification_id FROM {tracking_table(view.name)}"  # noqa: S608 - ours
            " WHERE application_name = %s",
            (APPLICATION_NAME,),
        ).fetchone()
    return int(row[0]) if row else 0


def until(condition: Callable[[], bool], what: str = "waited in vain") -> None:
    deadline = time.monotonic() + BOUND_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def until_tracked(dsn: str, position: int, views: Iterable[View] = VIEWS) -> None:
    wanted = tuple(views)
    until(lambda: all(tracked(dsn, v) >= position for v in wanted), "the views lag")
