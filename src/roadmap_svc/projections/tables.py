"""A view table in PostgreSQL, derived from its row type: DDL, and the statements that read and
write many rows at once. Views are derived data, so their tables are not migrated by hand: a
changed row type changes the table's fingerprint, and the view is rebuilt from the log.

Columns follow the row's fields: uuid, text (also enums), bigint, double precision, boolean,
date and timestamptz as such; a tuple of strings as text[] (for `@>` filters); anything else
(tuples of structs, dicts) as jsonb; a msgspec.Raw (a document encoded once by the view, served
as it is) as json, which keeps its bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any

import msgspec
import msgspec.inspect as mi

from roadmap_svc.projections.kit import Key, Table

_SCALARS: dict[type[mi.Type], str] = {
    mi.UUIDType: "uuid",
    mi.StrType: "text",
    mi.IntType: "bigint",
    mi.FloatType: "double precision",
    mi.BoolType: "boolean",
    mi.DateType: "date",
    mi.DateTimeType: "timestamptz",
    mi.EnumType: "text",
    mi.LiteralType: "text",
}
_JSON = msgspec.json.Encoder()


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the PostgreSQL type
    nullable: bool

    @property
    def is_json(self) -> bool:
        return self.type == "jsonb"

    @property
    def is_text_array(self) -> bool:
        return self.type == "text[]"

    @property
    def is_raw(self) -> bool:
        return self.type == "json"

    @property
    def selected(self) -> str:
        # psycopg would parse a json value; a Raw field wants its text
        return f"{self.name}::text AS {self.name}" if self.is_raw else self.name


def _column(field: mi.Field) -> Column:
    kind = field.type
    nullable = False
    if isinstance(kind, mi.UnionType):
        others = [t for t in kind.types if not isinstance(t, mi.NoneType)]
        nullable = len(others) < len(kind.types)
        kind = others[0] if len(others) == 1 else kind
    if isinstance(kind, mi.RawType):
        return Column(field.name, "json", nullable)
    if type(kind) in _SCALARS:
        return Column(field.name, _SCALARS[type(kind)], nullable)
    if isinstance(kind, mi.VarTupleType | mi.ListType) and isinstance(kind.item_type, mi.StrType):
        return Column(field.name, "text[]", nullable)
    return Column(field.name, "jsonb", nullable)


class TableSQL:
    """The statements of one table, rendered once (for its live name or a shadow's)."""

    def __init__(self, table: Table[Any], name: str | None = None) -> None:
        self.table = table
        self.name = name or table.name
        info = mi.type_info(table.row)
        assert isinstance(info, mi.StructType)  # noqa: S101 - a Table's row is a Struct
        self.columns = tuple(_column(f) for f in info.fields)
        by_name = {c.name: c for c in self.columns}
        self.key_columns = tuple(by_name[k] for k in table.key)
        self._raw = tuple(c.name for c in self.columns if c.is_raw)

    @cached_property
    def ddl(self) -> list[str]:
        columns = ",\n    ".join(
            f"{c.name} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in self.columns
        )
        keys = ", ".join(self.table.key)
        statements = [f"CREATE TABLE {self.name} (\n    {columns},\n    PRIMARY KEY ({keys})\n)"]
        for index in self.table.indexes:
            unique = "UNIQUE " if index.unique else ""
            statements.append(
                f"CREATE {unique}INDEX {self.index_name(index.columns)} ON {self.name}"
                f" USING {index.using} ({', '.join(index.columns)})"
            )
        return statements

    def index_name(self, columns: tuple[str, ...], table_name: str | None = None) -> str:
        return f"{table_name or self.name}__{'_'.join(columns)}"

    @cached_property
    def fingerprint(self) -> str:
        canonical = TableSQL(self.table, "t").ddl
        return hashlib.sha256("\n".join(canonical).encode()).hexdigest()

    @cached_property
    def select_all(self) -> str:
        names = ", ".join(c.selected for c in self.columns)
        return f"SELECT {names} FROM {self.name}"  # noqa: S608 - ours

    @cached_property
    def select_by_keys(self) -> str:
        return f"{self.select_all} WHERE {self._keys_in()}"

    @cached_property
    def delete_by_keys(self) -> str:
        return f"DELETE FROM {self.name} WHERE {self._keys_in()}"  # noqa: S608 - ours

    @cached_property
    def upsert(self) -> str:
        """One statement for any number of rows: each column as an array parameter."""
        names = ", ".join(c.name for c in self.columns)
        arrays = ", ".join(f"%b::{self._wire_type(c)}[]" for c in self.columns)
        values = ", ".join(
            f"ARRAY(SELECT jsonb_array_elements_text(r.{c.name}))" if c.is_text_array else c.name
            for c in self.columns
        )
        others = [c.name for c in self.columns if c.name not in self.table.key]
        conflict = (
            "DO UPDATE SET " + ", ".join(f"{n} = EXCLUDED.{n}" for n in others)
            if others
            else "DO NOTHING"
        )
        return (
            f"INSERT INTO {self.name} ({names})\n"
            f"SELECT {values} FROM unnest({arrays}) AS r({names})\n"
            f"ON CONFLICT ({', '.join(self.table.key)}) {conflict}"
        )

    def upsert_params(self, rows: list[Any]) -> list[list[Any]]:
        encoded = [self._encode(row) for row in rows]
        return [list(column) for column in zip(*encoded, strict=True)]

    def key_params(self, keys: list[Key]) -> list[list[Any]]:
        return [[plain(k[i]) for k in keys] for i in range(len(self.key_columns))]

    def decode(self, row: dict[str, Any]) -> Any:  # noqa: ANN401 - the table's row type
        for name in self._raw:
            if row[name] is not None:
                row[name] = msgspec.Raw(row[name].encode())
        return msgspec.convert(row, self.table.row)

    def _encode(self, row: Any) -> tuple[Any, ...]:  # noqa: ANN401 - the table's row type
        values = []
        for column in self.columns:
            value = getattr(row, column.name)
            if value is None:
                pass
            elif column.is_raw:
                value = bytes(value).decode()
            elif column.is_json or column.is_text_array:
                value = _JSON.encode(value).decode()
            values.append(plain(value))
        return tuple(values)

    def _keys_in(self) -> str:
        names = ", ".join(c.name for c in self.key_columns)
        arrays = ", ".join(f"%s::{c.type}[]" for c in self.key_columns)
        return f"({names}) IN (SELECT * FROM unnest({arrays}))"  # noqa: S608 - ours

    @staticmethod
    def _wire_type(column: Column) -> str:
        return "jsonb" if column.is_text_array else column.type


def plain(value: object) -> object:
    """A value as PostgreSQL takes it (an enum as its value)."""
    return value.value if isinstance(value, Enum) else value
