"""A view, live: batches of events folded into its PostgreSQL rows, with its tracking, in one
transaction.

The tracking position moves to the batch's last event (refused if it is not past the
tracked one, a redelivery, or, while a runner follows the log, if it is not where that runner
left it: another runner has taken over); the rows the batch touches are read (from memory, else the
table), folded by the view's own `apply`, and written back with one statement per table. So
each event counts exactly once. The runner is the view's only writer, so the rows it wrote
stay in memory for the next batch, forgotten if a batch fails or a rebuild swapped the
tables in (the generation in `projection_views` moved).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import dict_row

from roadmap_svc.projections import row_versions, view_tables
from roadmap_svc.projections.announcements import Announcement, announce
from roadmap_svc.projections.kit import Key, R, Table, View, apply_batch
from roadmap_svc.projections.tables import TableSQL

Positioned = tuple[object, int]  # a domain event and its global position


class ViewReplacedError(Exception):
    """A rebuild swapped the view's tables in: follow again from their tracked position."""


class _Cache:
    """The rows as stored (None: known to have no row), most recently used last."""

    ROWS_KEPT = 20_000  # per table

    def __init__(self) -> None:
        self.tables: dict[str, OrderedDict[Key, Any]] = {}
        # True while the cache holds every row of the view (it started from empty tables and
        # dropped none): a key it lacks has no row, with no need to ask the table.
        self.complete = False

    def clear(self, *, empty: bool = False) -> None:
        self.tables.clear()
        self.complete = empty

    def keep(self, table: str, stored: dict[Key, Any]) -> None:
        rows = self.tables.setdefault(table, OrderedDict())
        for key, row in stored.items():
            rows[key] = row
            rows.move_to_end(key)
        while len(rows) > self.ROWS_KEPT:
            rows.popitem(last=False)
            self.complete = False


class _BatchRows:
    """Rows for one batch: what was changed in it, over the cache, over the table."""

    def __init__(self, curs: Cursor[Any], sql: dict[str, TableSQL], cache: _Cache) -> None:
        self._curs = curs
        self._sql = sql
        self._cache = cache
        self.pending: dict[str, dict[Key, Any]] = {name: {} for name in sql}

    def get(self, table: Table[R], *key: object) -> R | None:
        pending = self.pending[table.name]
        cached: dict[Key, Any] = self._cache.tables.get(table.name, {})
        if key in pending:
            found: R | None = pending[key]
        elif key in cached:
            found = cached[key]
        elif self._cache.complete:
            found = None
        else:
            found = self._read(table, key)
        return found

    def _read(self, table: Table[R], key: Key) -> R | None:
        sql = self._sql[table.name]
        with self._curs.connection.cursor(row_factory=dict_row) as curs:
            row = curs.execute(sql.select_by_keys, sql.key_params([key])).fetchone()
        found: R | None = None if row is None else sql.decode(row)
        self._cache.keep(table.name, {key: found})
        return found

    def put(self, table: Table[R], row: R) -> None:
        self.pending[table.name][table.key_of(row)] = row

    def delete(self, table: Table[Any], *key: object) -> None:
        self.pending[table.name][key] = None

    def changed(self, table: Table[Any]) -> list[Key]:
        return list(self.pending[table.name])

    def write(self) -> None:
        for name, pending in self.pending.items():
            sql = self._sql[name]
            rows = [row for row in pending.values() if row is not None]
            gone = [key for key, row in pending.items() if row is None]
            if rows:
                self._curs.execute(sql.upsert, sql.upsert_params(rows))
            if gone:
                self._curs.execute(sql.delete_by_keys, sql.key_params(gone))


class ViewRecorder(PostgresTrackingRecorder):
    """The library's tracking recorder, writing one kit view's tables with its tracking."""

    view: View

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - the library's
        super().__init__(*args, **kwargs)
        table = self.tracking_table_name
        # The library's single-row tracking, as one plain statement (rendered once).
        upsert = (
            f"INSERT INTO {table} (application_name, notification_id) VALUES (%s, %s)"  # noqa: S608 - our table
            " ON CONFLICT (application_name) DO UPDATE"
            " SET notification_id = EXCLUDED.notification_id"
            f" WHERE {table}.notification_id < EXCLUDED.notification_id"
        )
        self._track = upsert + " RETURNING notification_id"
        # While following: the position must still be the one this runner left it at. A
        # runner whose lock connection the server ended may still be applying batches while
        # another has taken the view over; this fences it off (its batch is refused).
        self._track_from = upsert + f" AND {table}.notification_id = %s RETURNING notification_id"
        self._cache = _Cache()
        self._generation: int | None = None
        self._position: int | None = None  # where this runner left the view (following)

    def bind(self, view: View) -> ViewRecorder:
        self.view = view
        self._sql = {t.name: TableSQL(t) for t in view.tables}
        return self

    def start_following(self, application_name: str) -> int:
        """The tracked position, and (for the batches that follow) the tables' generation."""
        with self.datastore.transaction(commit=False) as curs:
            self._generation = view_tables.generation(curs.connection, self.view.name)
            row = curs.execute(
                f"SELECT notification_id FROM {self.tracking_table_name}"  # noqa: S608 - ours
                " WHERE application_name = %s",
                (application_name,),
            ).fetchone()
        position = int(row["notification_id"]) if row else 0
        self._cache.clear(empty=position == 0)  # at position 0 the tables are empty
        self._position = position
        return position

    def apply_events(self, batch: Sequence[Positioned], tracking: Tracking) -> None:
        """Fold a batch of events (in position order) into the rows they touch."""
        try:
            with self.datastore.transaction(commit=True) as curs:
                # A view is derived, its rows and position committed together: if a crash
                # loses its last commits, the runner applies those events again. So it need
                # not wait for the disk (nor slow the writers' commits down with its own).
                curs.execute("SET LOCAL synchronous_commit = off")
                self._check_generation(curs)
                self._move(curs, tracking)
                rows = _BatchRows(curs, self._sql, self._cache)
                self._fold(curs, rows, batch)
                rows.write()
                if any(rows.pending.values()):  # a batch that changed nothing says nothing
                    announce(
                        curs,
                        Announcement(
                            view=self.view.name,
                            position=tracking.notification_id,
                            changed=self.view.changes(rows),
                        ),
                    )
        except BaseException:
            self._cache.clear()  # what was read or folded may not have been stored
            raise
        if self._position is not None:
            self._position = tracking.notification_id
        for name, stored in rows.pending.items():
            self._cache.keep(name, stored)

    def _fold(self, curs: Cursor[Any], rows: _BatchRows, batch: Sequence[Positioned]) -> None:
        if not self.view.as_of:
            apply_batch(self.view, rows, batch)
            return
        noted = row_versions.fold_versioned(self.view, rows, list(batch))
        row_versions.write_versions(curs.connection, self.view, noted.take())

    def apply_event(self, domain_event: object, tracking: Tracking) -> None:
        self.apply_events([(domain_event, tracking.notification_id)], tracking)

    def _check_generation(self, curs: Cursor[Any]) -> None:
        # FOR SHARE: a rebuild's swap (FOR UPDATE) waits for this batch, or this batch for it.
        live = view_tables.generation(curs.connection, self.view.name, lock="FOR SHARE")
        if self._generation is None:  # not following (a direct call): take these tables
            self._generation = live
        elif live != self._generation:
            msg = f"view {self.view.name}: a rebuild swapped its tables in"
            raise ViewReplacedError(msg)

    def _move(self, curs: Cursor[Any], tracking: Tracking) -> None:
        name, position = tracking.application_name, tracking.notification_id
        if self._position is None:  # not following (a direct call)
            moved = curs.execute(self._track, (name, position)).fetchone()
        else:
            moved = curs.execute(self._track_from, (name, position, self._position)).fetchone()
        if moved is None:  # a redelivery, or another runner moved it: write nothing
            msg = (
                f"{position} is not past the tracked position"
                if self._position is None
                else f"the tracked position is no longer {self._position} (another runner?)"
            )
            raise IntegrityError(msg)
