"""The projection kit: one way to write a view. Pure, no I/O.

A view is a module that declares its tables (a msgspec row type each, keyed by some of its
fields) and one `apply(rows, event, position)` that folds an event into those rows through
`Rows`. The same function runs three ways, each with its own `Rows`:
  live      - many events per transaction, rows read from and written back to PostgreSQL
              (projections.view_store);
  rebuild   - the whole log into shadow tables, swapped in while the service serves
              (projections.rebuild);
  in memory - over the events up to a position (`replay` below), for as-of reads and checks.

A view ignores the events it does not use (apply does nothing); its position still moves
past them, so a read waiting for a position never waits for an event the view skips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import msgspec

R = TypeVar("R", bound=msgspec.Struct)
Key = tuple[Any, ...]


def tracking_table(view_name: str) -> str:
    # The library names a view's tracking table after it (PostgresFactory).
    return f"{view_name.lower()}_tracking"


@dataclass(frozen=True)
class Index:
    columns: tuple[str, ...]
    unique: bool = False
    using: str = "btree"


@dataclass(frozen=True, eq=False)
class Table(Generic[R]):
    """A view's table: named, one row type, a primary key of some of its fields."""

    name: str  # pinned: the table in PostgreSQL
    row: type[R]
    key: tuple[str, ...]
    indexes: tuple[Index, ...] = ()
    # False for rows the view derives from its others in `settle` (a quarter's whole plan):
    # an as-of view keeps no versions of them, and as-of reads derive them the same way. Only
    # settle writes such a table, and apply never reads it.
    versioned: bool = True

    def key_of(self, row: R) -> Key:
        return tuple(getattr(row, name) for name in self.key)


class Rows(Protocol):
    """What a view's apply sees: its rows by key, as of the events applied so far."""

    def get(self, table: Table[R], *key: object) -> R | None: ...

    def put(self, table: Table[R], row: R) -> None: ...

    def delete(self, table: Table[Any], *key: object) -> None: ...

    def changed(self, table: Table[Any]) -> list[Key]:
        """Keys put or deleted in the current batch (for `View.settle`)."""
        ...


Apply = Callable[[Rows, Any, int], None]  # (rows, domain event, its global position)
Settle = Callable[[Rows], None]
Changes = Callable[[Rows], dict[str, list[str]]]  # what a batch changed, for live updates


def _nothing_to_settle(rows: Rows) -> None:
    del rows


def _nothing_to_say(rows: Rows) -> dict[str, list[str]]:
    del rows
    return {}


@dataclass(frozen=True, eq=False)
class View:
    """A view: its name (pinned: it names its tracking table), tables and fold.

        `settle` runs once after each batch, for rows derived from many others (a quarter's
        plan): cheaper than after every event, and the same in every mode. `changes` names what
        a live batch changed, for the live-update stream. An `as_of` view keeps every version of
    its rows (projections.row_versions). Bump `revision` when
        the fold changes meaning: the view is then rebuilt from the log at the next migrate.
    """

    name: str
    tables: tuple[Table[Any], ...]
    apply: Apply
    settle: Settle = _nothing_to_settle
    changes: Changes = _nothing_to_say  # after a live batch: e.g. {"quarters": ["2027-Q1"]}
    revision: int = 1
    as_of: bool = False  # keeps its rows' versions for reads as of a past position

    def table_named(self, name: str) -> Table[Any]:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)


@dataclass
class MemoryRows:
    """Rows held in memory: a replay, a rebuild. Keeps which keys changed since `take_dirty`
    (for the rebuild's writes) and in the current batch (for `settle`)."""

    tables: dict[str, dict[Key, Any]] = field(default_factory=dict)
    _batch: dict[str, dict[Key, None]] = field(default_factory=dict)
    _dirty: dict[str, dict[Key, None]] = field(default_factory=dict)

    def get(self, table: Table[R], *key: object) -> R | None:
        found: R | None = self.tables.get(table.name, {}).get(key)
        return found

    def put(self, table: Table[R], row: R) -> None:
        key = table.key_of(row)
        self.tables.setdefault(table.name, {})[key] = row
        self._mark(table, key)

    def delete(self, table: Table[Any], *key: object) -> None:
        self.tables.get(table.name, {}).pop(key, None)
        self._mark(table, key)

    def changed(self, table: Table[Any]) -> list[Key]:
        return list(self._batch.get(table.name, ()))

    def begin_batch(self) -> None:
        self._batch.clear()

    def take_dirty(self, table: Table[R]) -> tuple[list[R], list[Key]]:
        """Rows put and keys deleted since the last call, for writing them out."""
        keys = self._dirty.pop(table.name, {})
        rows = self.tables.get(table.name, {})
        return [rows[k] for k in keys if k in rows], [k for k in keys if k not in rows]

    def all(self, table: Table[R]) -> Iterator[R]:
        yield from self.tables.get(table.name, {}).values()

    def _mark(self, table: Table[Any], key: Key) -> None:
        self._batch.setdefault(table.name, {})[key] = None
        self._dirty.setdefault(table.name, {})[key] = None


def apply_batch(
    view: View,
    rows: Rows,
    batch: Iterable[tuple[Any, int]],
    before_each: Callable[[int], None] | None = None,
) -> None:
    """The one way every mode folds a batch: each event in position order, then settle.
    `before_each` hears each event's position first (row versions are kept by event)."""
    for domain_event, position in batch:
        if before_each is not None:
            before_each(position)
        view.apply(rows, domain_event, position)
    view.settle(rows)


def replay(view: View, events: Iterable[tuple[Any, int]], batch_size: int = 1000) -> MemoryRows:
    """The view over these events (in position order), in memory."""
    rows = MemoryRows()
    batch: list[tuple[Any, int]] = []
    for item in events:
        batch.append(item)
        if len(batch) >= batch_size:
            rows.begin_batch()
            apply_batch(view, rows, batch)
            batch.clear()
    rows.begin_batch()
    apply_batch(view, rows, batch)
    return rows
