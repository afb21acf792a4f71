"""Row versions: every state each row of an as-of view had, by position, for reads of the
view as it stood at a past position.

An as-of view (`View.as_of`) keeps, beside each table, `<table>__versions`: the row's key,
`valid_from` (the position of the batch that wrote it) and the row as JSON (NULL: deleted).
Every batch that writes rows, live or in a rebuild, writes their versions at the batch's last
position, so the versions at or before any position P that ends a batch are the view as of P.

The view as of any position is then `HistoricRows`: the latest version of each row at or
before B, the last position at or before P that some batch ended at and wrote, with the
events after B up to P folded by the view's own code (at most one batch of them; none when P
ended a batch). Nothing is computed by a second implementation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

import msgspec
import psycopg
from psycopg.rows import tuple_row

from roadmap_svc.projections.kit import Key, R, Table, View, apply_batch
from roadmap_svc.projections.tables import TableSQL, plain
from roadmap_svc.storage.event_log import stored_log
from roadmap_svc.storage.transcoder import MsgspecMapper

SUFFIX = "__versions"
VERSION_EVERY = 250  # events: an as-of view's batches write versions at least this often
_ENCODER = msgspec.json.Encoder()


def versions_name(table_name: str) -> str:
    return table_name + SUFFIX


def versioned(view: View) -> tuple[Table[Any], ...]:
    """The tables whose versions an as-of view keeps (none for other views)."""
    return tuple(t for t in view.tables if t.versioned) if view.as_of else ()


def chunks(view: View, batch: Sequence[tuple[Any, int]]) -> list[Sequence[tuple[Any, int]]]:
    """A batch as the view folds it: whole, or for an as-of view in parts of VERSION_EVERY
    events, each settled and its versions written, so that an as-of read folds at most that
    many events after the versions it starts from."""
    if not view.as_of or len(batch) <= VERSION_EVERY:
        return [batch]
    return [batch[i : i + VERSION_EVERY] for i in range(0, len(batch), VERSION_EVERY)]


class VersionsSQL:
    """The statements of one table's versions (for its live name or a shadow's)."""

    def __init__(self, table: Table[Any], suffix: str = "") -> None:
        self.table = table
        self.name = versions_name(table.name) + suffix
        self.keys = TableSQL(table).key_columns
        self._decoder = msgspec.json.Decoder(table.row)

    @cached_property
    def ddl(self) -> list[str]:
        keys = ", ".join(c.name for c in self.keys)
        columns = ",\n    ".join(f"{c.name} {c.type} NOT NULL" for c in self.keys)
        return [
            (
                f"CREATE TABLE {self.name} (\n    {columns},\n    valid_from bigint NOT NULL,\n"
                f"    row json,\n    PRIMARY KEY ({keys}, valid_from)\n)"
            ),
            f"CREATE INDEX {self.name}__valid_from ON {self.name} (valid_from)",
        ]

    @cached_property
    def insert(self) -> str:
        keys = ", ".join(c.name for c in self.keys)
        arrays = ", ".join(f"%s::{c.type}[]" for c in self.keys)
        return (
            f"INSERT INTO {self.name} ({keys}, valid_from, row)\n"
            f"SELECT {keys}, %s, row FROM unnest({arrays}, %s::json[]) AS v({keys}, row)\n"
            f"ON CONFLICT ({keys}, valid_from) DO UPDATE SET row = EXCLUDED.row"
        )

    def insert_params(self, rows: dict[Key, Any], position: int) -> list[Any]:
        """For `insert`: each key (its row, or None for a deleted one) at `position`."""
        keys = list(rows)
        columns: list[Any] = [[plain(k[i]) for k in keys] for i in range(len(self.keys))]
        encoded = [None if rows[k] is None else _ENCODER.encode(rows[k]).decode() for k in keys]
        return [position, *columns, encoded]

    @cached_property
    def select_one(self) -> str:
        match = " AND ".join(f"{c.name} = %s" for c in self.keys)
        return (
            f"SELECT row::text FROM {self.name} WHERE {match} AND valid_from <= %s"  # noqa: S608
            " ORDER BY valid_from DESC LIMIT 1"
        )

    def select_where(self, column: str) -> str:
        """The rows (at a position) whose key column `column` is one of an array."""
        keys = ", ".join(c.name for c in self.keys)
        kind = next(c.type for c in self.keys if c.name == column)
        return (
            f"SELECT DISTINCT ON ({keys}) {keys}, row::text FROM {self.name}"  # noqa: S608
            f" WHERE {column} = ANY(%s::{kind}[]) AND valid_from <= %s"
            f" ORDER BY {keys}, valid_from DESC"
        )

    def decode(self, text: str | None) -> Any:  # noqa: ANN401 - the table's row type
        return None if text is None else self._decoder.decode(text)


def write_versions(
    conn: psycopg.Connection[Any],
    view: View,
    changed: dict[str, dict[Key, Any]],
    position: int,
    suffix: str = "",
) -> None:
    """The versions, at `position`, of the rows a batch put (or deleted: None), by table."""
    with conn.cursor() as curs:
        for table in versioned(view):
            rows = changed.get(table.name)
            if rows:
                sql = VersionsSQL(table, suffix)
                curs.execute(sql.insert, sql.insert_params(rows, position))


def create_versions(conn: psycopg.Connection[Any], view: View, suffix: str = "") -> None:
    """(Re)create the view's versions tables, empty."""
    for table in versioned(view):
        sql = VersionsSQL(table, suffix)
        conn.execute(f"DROP TABLE IF EXISTS {sql.name}")
        for statement in sql.ddl:
            conn.execute(statement.encode())


def last_written(conn: psycopg.Connection[Any], view: View, position: int) -> int:
    """The last position at or before `position` at which a batch wrote rows (0: none)."""
    parts = ", ".join(
        f"(SELECT max(valid_from) FROM {versions_name(t.name)} WHERE valid_from <= %(p)s)"  # noqa: S608
        for t in versioned(view)
    )
    with conn.cursor(row_factory=tuple_row) as curs:
        row = curs.execute(f"SELECT greatest({parts})", {"p": position}).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


class HistoricRows:
    """A view's rows as of position `at` (read from its versions on demand), with what the
    events folded since changed over them (`Rows`, for the view's own apply and settle)."""

    def __init__(self, conn: psycopg.Connection[Any], view: View, at: int) -> None:
        self._conn = conn
        self.view = view
        self.at = at
        self.position = at  # the last event folded in
        self._sql = {t.name: VersionsSQL(t) for t in versioned(view)}
        self._read: dict[str, dict[Key, Any]] = {t.name: {} for t in view.tables}
        self._folded: dict[str, dict[Key, Any]] = {t.name: {} for t in view.tables}

    def get(self, table: Table[R], *key: object) -> R | None:
        folded = self._folded[table.name]
        if key in folded:
            found: R | None = folded[key]
            return found
        read = self._read[table.name]
        if key not in read:
            if not table.versioned:
                return None  # derived in settle: as-of reads derive it, as settle does
            sql = self._sql[table.name]
            with self._conn.cursor(row_factory=tuple_row) as curs:
                params = [*(plain(k) for k in key), self.at]
                row = curs.execute(sql.select_one, params).fetchone()
            read[key] = sql.decode(None if row is None else row[0])
        return read[key]  # type: ignore[no-any-return]

    def put(self, table: Table[R], row: R) -> None:
        self._folded[table.name][table.key_of(row)] = row

    def delete(self, table: Table[Any], *key: object) -> None:
        self._folded[table.name][key] = None

    def changed(self, table: Table[Any]) -> list[Key]:
        return list(self._folded[table.name])

    def where(self, table: Table[R], column: str, values: Iterable[object]) -> list[R]:
        """The rows whose key column `column` is one of `values` (e.g. an initiative's
        milestones), in one query."""
        wanted = list(values)
        index = table.key.index(column)
        found = self._select(table, column, wanted)
        targets = set(wanted)
        for key, row in self._folded[table.name].items():
            if key[index] in targets:
                found[key] = row
        return [row for row in found.values() if row is not None]

    def prefetch(self, table: Table[Any], keys: Iterable[object]) -> None:
        """Read these rows (of a one-column key) in one query, for the `get`s that follow."""
        read = self._read[table.name]
        wanted = [k for k in keys if (k,) not in read and (k,) not in self._folded[table.name]]
        if not wanted or not table.versioned:
            return
        found = self._select(table, table.key[0], wanted)
        for k in wanted:
            read[(k,)] = found.get((k,))

    def _select(self, table: Table[Any], column: str, values: list[object]) -> dict[Key, Any]:
        sql = self._sql[table.name]
        found: dict[Key, Any] = {}
        with self._conn.cursor(row_factory=tuple_row) as curs:
            for record in curs.execute(
                sql.select_where(column), [[plain(v) for v in values], self.at]
            ):
                found[tuple(record[:-1])] = sql.decode(record[-1])
        return found

    def fold(self, events: list[tuple[Any, int]]) -> None:
        """The events after `position`, in position order, folded as one batch."""
        if events:
            apply_batch(self.view, self, events)
            self.position = events[-1][1]


def view_as_of(conn: psycopg.Connection[Any], view: View, position: int) -> HistoricRows:
    """The view as it stood at `position`, whether or not its runner got there yet. Call it
    in one snapshot (a REPEATABLE READ transaction): a rebuild's swap or the runner's next
    batch must not change what is read halfway."""
    at = last_written(conn, view, position)
    rows = HistoricRows(conn, view, at)
    mapper = MsgspecMapper()
    batch = [
        (mapper.to_domain_event(stored), p)
        for stored, p in stored_log(conn, after=at, through=position)
    ]
    rows.fold(batch)
    rows.position = position
    return rows
