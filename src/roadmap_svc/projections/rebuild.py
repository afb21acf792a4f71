"""`roadmap-svc projections rebuild [NAME]`: replay the whole log into shadow tables and swap
them in, while the service keeps serving and its runners keep following.

Every event is read and decoded once for all the views rebuilt, folded in memory (the kit's
MemoryRows) in large batches, and the rows written to `<table>__shadow` as they change. The
swap is one transaction: it holds the views' `projection_views` rows FOR UPDATE (so their
live runners wait between two batches), folds the last events, writes the last rows, puts
the shadow tables in place of the live ones, sets the tracking position to the last event
folded and bumps the generation, which tells each live runner to forget its cached rows and
follow the new tables from there. Readers wait for that commit at most.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from tqdm import tqdm

from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections import row_versions, view_tables
from roadmap_svc.projections.announcements import Announcement, announce
from roadmap_svc.projections.kit import MemoryRows, View, apply_batch
from roadmap_svc.projections.tables import TableSQL
from roadmap_svc.storage.event_log import events_after
from roadmap_svc.storage.eventstore import EVENTS_TABLE
from roadmap_svc.storage.transcoder import MsgspecMapper

logger = logging.getLogger(__name__)
SHADOW = "__shadow"
BATCH = 10_000  # events read, decoded and folded at once
WRITE_CHUNK = 5_000  # rows per insert statement


class RebuildError(Exception):
    pass


class Rebuild:
    def __init__(self, conn: psycopg.Connection[Any], views: Sequence[View]) -> None:
        self._conn = conn
        self._views = tuple(views)
        self._rows = {view.name: MemoryRows() for view in self._views}
        self._mapper = MsgspecMapper()
        self.position = 0
        self.events = 0

    def run(self, *, progress: bool = False) -> int:
        """Rebuild and swap; returns the position the new tables reflect."""
        started = time.monotonic()
        for view in self._views:
            view_tables.create_tables(self._conn, view, SHADOW)
        try:
            head = self._head()
            with tqdm(
                total=head, unit="ev", unit_scale=True, disable=not progress, desc="rebuild"
            ) as bar:
                while self._fold_next(bar):
                    self._write()
                with self._conn.transaction():
                    for view in self._views:  # the live runners wait from here to commit
                        view_tables.generation(self._conn, view.name, lock="FOR UPDATE")
                    while self._fold_next(bar):
                        pass
                    self._write()
                    self._swap()
        except BaseException:
            for view in self._views:
                for table in view.tables:
                    self._conn.execute(f"DROP TABLE IF EXISTS {table.name}{SHADOW}")
                for table in row_versions.versioned(view):
                    versions = row_versions.versions_name(table.name)
                    self._conn.execute(f"DROP TABLE IF EXISTS {versions}{SHADOW}")
            raise
        seconds = time.monotonic() - started
        logger.info(
            "rebuilt %s over %d events in %.1fs (%.0f events/s), at position %d",
            ", ".join(v.name for v in self._views),
            self.events,
            seconds,
            self.events / seconds if seconds else 0.0,
            self.position,
        )
        return self.position

    def _head(self) -> int:
        row = self._conn.execute(f"SELECT max(notification_id) FROM {EVENTS_TABLE}").fetchone()  # noqa: S608
        return int((row or [0])[0] or 0)

    def _fold_next(self, bar: tqdm[Any]) -> bool:
        found = events_after(self._conn, self.position, BATCH)
        if not found:
            return False
        decoded = [(self._mapper.to_domain_event(stored), p) for stored, p in found]
        for view in self._views:
            rows = self._rows[view.name]
            rows.begin_batch()
            try:
                if view.as_of:
                    noted = row_versions.fold_versioned(view, rows, decoded)
                    row_versions.write_versions(self._conn, view, noted.take(), SHADOW)
                else:
                    apply_batch(view, rows, decoded)
            except Exception as exc:
                msg = (
                    f"view {view.name} cannot fold the events after position {self.position}"
                    f" ({type(exc).__name__}: {exc}); the live view is untouched"
                )
                raise RebuildError(msg) from exc
        self.position = found[-1][1]
        self.events += len(found)
        bar.total = max(bar.total or 0, self.position)
        bar.update(len(found))
        return len(found) == BATCH

    def _write(self) -> None:
        for view in self._views:
            rows = self._rows[view.name]
            for table in view.tables:
                sql = TableSQL(table, table.name + SHADOW)
                changed, gone = rows.take_dirty(table)
                try:
                    for start in range(0, len(changed), WRITE_CHUNK):
                        chunk = changed[start : start + WRITE_CHUNK]
                        self._conn.execute(sql.upsert, sql.upsert_params(chunk))
                    if gone:
                        self._conn.execute(sql.delete_by_keys, sql.key_params(gone))
                except psycopg.DataError as exc:
                    msg = (
                        f"view {view.name}: a row of {table.name} cannot be stored ({exc});"
                        " the live view is untouched"
                    )
                    raise RebuildError(msg) from exc

    def _swap(self) -> None:
        for view in self._views:
            for table in view.tables:
                shadow = TableSQL(table, table.name + SHADOW)
                self._rename(shadow.name, table.name)
                for index in table.indexes:
                    self._conn.execute(
                        f"ALTER INDEX {shadow.index_name(index.columns)}"
                        f" RENAME TO {shadow.index_name(index.columns, table.name)}"
                    )
            for table in row_versions.versioned(view):
                versions = row_versions.versions_name(table.name)
                self._rename(versions + SHADOW, versions)
            tracking = view_tables.tracking_table(view.name)
            self._conn.execute(
                f"INSERT INTO {tracking} (application_name, notification_id)"  # noqa: S608 - ours
                " VALUES (%s, %s) ON CONFLICT (application_name)"
                " DO UPDATE SET notification_id = EXCLUDED.notification_id",
                (APPLICATION_NAME, self.position),
            )
            self._conn.execute(
                "UPDATE projection_views SET generation = generation + 1 WHERE view_name = %s",
                (view.name,),
            )
            with self._conn.cursor() as curs:
                announce(
                    curs, Announcement(view=view.name, position=self.position, everything=True)
                )

    def _rename(self, shadow: str, live: str) -> None:
        self._conn.execute(f"DROP TABLE IF EXISTS {live}")
        self._conn.execute(f"ALTER TABLE {shadow} RENAME TO {live}")
        self._conn.execute(f"ALTER INDEX {shadow}_pkey RENAME TO {live}_pkey")


def rebuild(conn: psycopg.Connection[Any], views: Sequence[View], *, progress: bool = False) -> int:
    """Rebuild these views online (an autocommit connection); returns the position reached."""
    return Rebuild(conn, views).run(progress=progress)
