"""Row versions: every state each row of an as-of view had, by position, for reads of the
view as it stood at a past position.

An as-of view (`View.as_of`) keeps, beside each of its tables, `<table>__versions`: the
row's key, `valid_from` (the position of the event that wrote it) and the row as JSON (NULL:
deleted). Every batch, live or in a rebuild, writes the versions its events made along with
its rows and tracking, in one transaction. So the latest version of each row at or before a
position P, for any P up to the tracked one, is the row as it was just after P's event.

Tables the view derives in `settle` (Table.versioned False: a quarter's whole plan) keep no
versions; an as-of read derives them from the others with the view's own code. Past the
tracked position (the runner lags), the events between are folded by the view's own apply
over those versions (`HistoricRows`). Nothing is computed by a second implementation.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, cached_property
from typing import Any

import msgspec
import psycopg
from psycopg.rows import tuple_row

from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections.kit import Key, R, Rows, Table, View, apply_batch, tracking_table
from roadmap_svc.projections.tables import TableSQL, plain
from roadmap_svc.storage.event_log import stored_log
from roadmap_svc.storage.transcoder import MsgspecMapper

SUFFIX = "__versions"
_ENCODER = msgspec.json.Encoder()


def versions_name(table_name: str) -> str:
    return table_name + SUFFIX


def versioned(view: View) -> tuple[Table[Any], ...]:
    """The tables whose versions an as-of view keeps (none for other views)."""
    return tuple(t for t in view.tables if t.versioned) if view.as_of else ()


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
            )
        ]

    @cached_property
    def insert(self) -> str:
        keys = ", ".join(c.name for c in self.keys)
        # binary: in text format psycopg escapes every quote of every JSON document
        arrays = ", ".join(f"%b::{c.type}[]" for c in self.keys)
        return (
            f"INSERT INTO {self.name} ({keys}, valid_from, row)\n"
            f"SELECT * FROM unnest({arrays}, %b::bigint[], %b::text[]::json[])\n"
            f"ON CONFLICT ({keys}, valid_from) DO UPDATE SET row = EXCLUDED.row"
        )

    def insert_params(self, versions: dict[tuple[Key, int], Any]) -> list[Any]:
        """For `insert`: each (key, position) with its row (None: deleted)."""
        items = list(versions.items())
        columns: list[Any] = [
            [plain(key[i]) for (key, _), _ in items] for i in range(len(self.keys))
        ]
        positions = [position for (_, position), _ in items]
        rows = [None if row is None else _ENCODER.encode(row).decode() for _, row in items]
        return [*columns, positions, rows]

    @cached_property
    def select_one(self) -> str:
        match = " AND ".join(f"{c.name} = %s" for c in self.keys)
        return (
            f"SELECT row::text FROM {self.name} WHERE {match} AND valid_from <= %s"  # noqa: S608
            " ORDER BY valid_from DESC LIMIT 1"
        )

    @cached_property
    def select_many(self) -> str:
        """Rows by an array of keys: one index probe each."""
        names = [c.name for c in self.keys]
        arrays = ", ".join(f"%s::{c.type}[]" for c in self.keys)
        match = " AND ".join(f"{n} = k.{n}" for n in names)
        return (
            f"SELECT {', '.join(f'k.{n}' for n in names)}, v.row::text"  # noqa: S608 - ours
            f" FROM unnest({arrays}) AS k({', '.join(names)})"
            f" CROSS JOIN LATERAL (SELECT row FROM {self.name}"
            f" WHERE {match} AND valid_from <= %s ORDER BY valid_from DESC LIMIT 1) AS v"
        )

    def select_where(self, column: str) -> str:
        """The rows whose key column `column` is one of an array."""
        keys = ", ".join(c.name for c in self.keys)
        kind = next(c.type for c in self.keys if c.name == column)
        return (
            f"SELECT DISTINCT ON ({keys}) {keys}, row::text FROM {self.name}"  # noqa: S608
            f" WHERE {column} = ANY(%s::{kind}[]) AND valid_from <= %s"
            f" ORDER BY {keys}, valid_from DESC"
        )

    def decode(self, text: str | None) -> Any:  # noqa: ANN401 - the table's row type
        return None if text is None else self._decoder.decode(text)


@cache
def versions_sql(table: Table[Any], suffix: str = "") -> VersionsSQL:
    return VersionsSQL(table, suffix)


class VersionedRows:
    """A view's rows (`Rows`) that also note, by event, the versions its apply makes: pass
    `at` to apply_batch as `before_each`, and `take` them to write them."""

    def __init__(self, rows: Rows, view: View) -> None:
        self._rows = rows
        self._kept = {t.name for t in versioned(view)}
        self._position = 0
        self._versions: dict[str, dict[tuple[Key, int], Any]] = {}

    def at(self, position: int) -> None:
        self._position = position

    def get(self, table: Table[R], *key: object) -> R | None:
        return self._rows.get(table, *key)

    def put(self, table: Table[R], row: R) -> None:
        self._rows.put(table, row)
        self._note(table, table.key_of(row), row)

    def delete(self, table: Table[Any], *key: object) -> None:
        self._rows.delete(table, *key)
        self._note(table, key, None)

    def changed(self, table: Table[Any]) -> list[Key]:
        return self._rows.changed(table)

    def take(self) -> dict[str, dict[tuple[Key, int], Any]]:
        taken, self._versions = self._versions, {}
        return taken

    def _note(self, table: Table[Any], key: Key, row: object) -> None:
        if table.name in self._kept:
            self._versions.setdefault(table.name, {})[(key, self._position)] = row


def fold_versioned(view: View, rows: Rows, batch: list[tuple[Any, int]]) -> VersionedRows:
    """Fold a batch (apply_batch) noting the versions it makes (for an as-of view)."""
    noting = VersionedRows(rows, view)
    apply_batch(view, noting, batch, before_each=noting.at)
    return noting


def write_versions(
    conn: psycopg.Connection[Any],
    view: View,
    versions: dict[str, dict[tuple[Key, int], Any]],
    suffix: str = "",
) -> None:
    with conn.cursor() as curs:
        for table in versioned(view):
            made = versions.get(table.name)
            if made:
                sql = versions_sql(table, suffix)
                curs.execute(sql.insert, sql.insert_params(made))


def create_versions(conn: psycopg.Connection[Any], view: View, suffix: str = "") -> None:
    """(Re)create the view's versions tables, empty."""
    for table in versioned(view):
        sql = VersionsSQL(table, suffix)
        conn.execute(f"DROP TABLE IF EXISTS {sql.name}")
        for statement in sql.ddl:
            conn.execute(statement.encode())


class HistoricRows:
    """A view's rows as of position `at` (read from its versions on demand), with what the
    events folded since changed over them (`Rows`, for the view's own apply and settle)."""

    def __init__(self, conn: psycopg.Connection[Any], view: View, at: int) -> None:
        self._conn = conn
        self.view = view
        self.at = at
        self._sql = {t.name: versions_sql(t) for t in versioned(view)}
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

    def prefetch(self, table: Table[Any], keys: Iterable[Key]) -> None:
        """Read these rows in one query, for the `get`s that follow."""
        read, folded = self._read[table.name], self._folded[table.name]
        wanted = [k for k in keys if k not in read and k not in folded]
        if not wanted or not table.versioned:
            return
        sql = self._sql[table.name]
        columns = [[plain(k[i]) for k in wanted] for i in range(len(table.key))]
        with self._conn.cursor(row_factory=tuple_row) as curs:
            records = curs.execute(sql.select_many, [*columns, self.at]).fetchall()
        found = {tuple(r[:-1]): r[-1] for r in records}
        for k in wanted:
            read[k] = sql.decode(found.get(tuple(plain(v) for v in k)))

    def where(self, table: Table[R], column: str, values: Iterable[object]) -> list[R]:
        """The rows whose key column `column` is one of `values` (e.g. an initiative's
        milestones), in one query."""
        wanted = list(values)
        index = table.key.index(column)
        sql = self._sql[table.name]
        with self._conn.cursor(row_factory=tuple_row) as curs:
            records = curs.execute(sql.select_where(column), [[plain(v) for v in wanted], self.at])
            found: dict[Key, Any] = {tuple(r[:-1]): sql.decode(r[-1]) for r in records}
        targets = set(wanted)
        found |= {k: r for k, r in self._folded[table.name].items() if k[index] in targets}
        return [row for row in found.values() if row is not None]


def view_as_of(conn: psycopg.Connection[Any], view: View, position: int) -> HistoricRows:
    """The view as it stood at `position`, whether or not its runner got there yet. Call it
    in one snapshot (a REPEATABLE READ transaction): a rebuild's swap or the runner's next
    batch must not change what is read halfway."""
    rows = HistoricRows(conn, view, min(position, _tracked(conn, view)))
    if rows.at < position:  # the runner is behind: fold the events it has not reached
        mapper = MsgspecMapper()
        batch = [
            (mapper.to_domain_event(stored), p)
            for stored, p in stored_log(conn, after=rows.at, through=position)
        ]
        apply_batch(view, rows, batch)
    return rows


def _tracked(conn: psycopg.Connection[Any], view: View) -> int:
    with conn.cursor(row_factory=tuple_row) as curs:
        row = curs.execute(
            f"SELECT notification_id FROM {tracking_table(view.name)}"  # noqa: S608 - ours
            " WHERE application_name = %s",
            (APPLICATION_NAME,),
        ).fetchone()
    return int(row[0]) if row else 0
