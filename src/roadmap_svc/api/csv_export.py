"""`Accept: text/csv` on a list: the same items as the JSON page, one row each, for
spreadsheets. Top-level fields become columns; lists of plain values are joined with "; ";
anything nested stays JSON in its cell. The next page is in a `Link: <...>; rel="next"`
header (RFC 8288), as the body has no room for it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import msgspec
from litestar import Request, Response

from roadmap_svc.api.cursors import NextPage, link_header

CSV = "text/csv"
CSV_NOTE = (
    "`Accept: text/csv` answers the same items as CSV, one row each (lists joined with "
    '"; ", nested values as JSON), the next page in a `Link` header.'
)
_OFFERED = ["application/json", CSV]
OFFERS_CSV = "offers_csv"  # the `opt` key of list handlers that answer CSV too


def wants_csv(request: Request[Any, Any, Any]) -> bool:
    return request.accept.best_match(_OFFERED, default="application/json") == CSV


def csv_response(
    items: Sequence[msgspec.Struct], fields: Sequence[str], following: NextPage | None
) -> Response[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(fields)
    for item in items:
        values = msgspec.to_builtins(item)
        writer.writerow([_cell(values.get(name)) for name in fields])
    body = out.getvalue().encode()
    return Response(body, media_type=f"{CSV}; charset=utf-8", headers=link_header(following))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return msgspec.json.encode(value).decode()
    return str(value)


def fields_of(struct: type[msgspec.Struct]) -> tuple[str, ...]:
    return tuple(f.name for f in msgspec.structs.fields(struct))
