"""Writes the initiative summary rows and their tracking record in one transaction.

A batch of events is applied at once: the tracking position moves to the batch's last event
(refused if it is not past the tracked one: a redelivery), the rows it touches are folded in
memory and written back in one statement, all in one transaction; so each event counts
exactly once. The runner is the view's only writer, so the rows it wrote stay in memory for
the next batch (read from the table only on a miss), and forgotten if a batch fails.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg import Cursor

from roadmap_svc.projections.initiative_summary import InitiativeSummary, apply

_COLUMNS = (
    "id, title, status, owner, sponsor, proposer, quarter, tags, last_decision, stakeholders,"
    " stakeholders_without_stance, version, proposed_at, updated_at, proposed_position, position"
)
SELECT_FOR_UPDATE = f"SELECT {_COLUMNS} FROM initiative_summary_view WHERE id = ANY(%s) FOR UPDATE"  # noqa: S608 - constant
# One statement for the whole batch, whatever its size: columns as arrays, lists as JSON.
UPSERT = f"""
INSERT INTO initiative_summary_view ({_COLUMNS})
SELECT id, title, status, owner, sponsor, proposer, quarter,
       ARRAY(SELECT jsonb_array_elements_text(tags)), last_decision, stakeholders,
       ARRAY(SELECT jsonb_array_elements_text(without_stance)),
       version, proposed_at, updated_at, proposed_position, position
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
            %s::text[], %s::jsonb[], %s::text[], %s::jsonb[], %s::jsonb[], %s::bigint[],
            %s::timestamptz[], %s::timestamptz[], %s::bigint[], %s::bigint[])
    AS r(id, title, status, owner, sponsor, proposer, quarter, tags, last_decision,
         stakeholders, without_stance, version, proposed_at, updated_at, proposed_position,
         position)
ON CONFLICT (id) DO UPDATE SET
    title = EXCLUDED.title, status = EXCLUDED.status, owner = EXCLUDED.owner,
    sponsor = EXCLUDED.sponsor, quarter = EXCLUDED.quarter, tags = EXCLUDED.tags,
    last_decision = EXCLUDED.last_decision, stakeholders = EXCLUDED.stakeholders,
    stakeholders_without_stance = EXCLUDED.stakeholders_without_stance,
    version = EXCLUDED.version, updated_at = EXCLUDED.updated_at, position = EXCLUDED.position
"""  # noqa: S608 - constant
RESET_VIEW = "DELETE FROM initiative_summary_view"

Positioned = tuple[object, int]  # a domain event and its global position


class InitiativeSummaryView(PostgresTrackingRecorder):
    ROWS_KEPT = 10_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - the library's
        super().__init__(*args, **kwargs)
        table = self.tracking_table_name
        # The library's single-row tracking, as one plain statement (rendered once).
        self._track = (
            f"INSERT INTO {table} (application_name, notification_id) VALUES (%s, %s)"  # noqa: S608 - our table
            " ON CONFLICT (application_name) DO UPDATE"
            " SET notification_id = EXCLUDED.notification_id"
            f" WHERE {table}.notification_id < EXCLUDED.notification_id RETURNING notification_id"
        )
        self._rows: OrderedDict[UUID, InitiativeSummary | None] = OrderedDict()

    def apply_events(self, batch: Sequence[Positioned], tracking: Tracking) -> None:
        """Fold a batch of events (in position order) into the rows they touch."""
        try:
            with self.datastore.transaction(commit=True) as curs:
                # A view is derived, its rows and position committed together: if a crash
                # loses its last commits, the runner applies those events again. So it need
                # not wait for the disk (nor slow the writers' commits down with its own).
                curs.execute("SET LOCAL synchronous_commit = off")
                self._move(curs, tracking)
                rows = self._rows_for(curs, batch)
                changed: dict[UUID, InitiativeSummary] = {}
                for domain_event, position in batch:
                    if not isinstance(domain_event, Aggregate.Event):
                        continue
                    current = rows.get(domain_event.originator_id)
                    updated = apply(domain_event, current, position)
                    if updated is not None and updated is not current:
                        rows[updated.id] = changed[updated.id] = updated
                if changed:
                    columns = zip(*(_row(summary) for summary in changed.values()), strict=True)
                    curs.execute(UPSERT, [list(column) for column in columns])
        except BaseException:
            self._rows.clear()  # what was read or folded may not have been stored
            raise
        for row_id, summary in rows.items():  # as stored now (None: this id has no row)
            self._rows[row_id] = summary
            self._rows.move_to_end(row_id)
        while len(self._rows) > self.ROWS_KEPT:
            self._rows.popitem(last=False)

    def _move(self, curs: Cursor[Any], tracking: Tracking) -> None:
        moved = curs.execute(
            self._track, (tracking.application_name, tracking.notification_id)
        ).fetchone()
        if moved is None:  # a redelivery: nothing of it may be written
            msg = f"{tracking.notification_id} is not past the tracked position"
            raise IntegrityError(msg)

    def _rows_for(
        self, curs: Cursor[Any], batch: Sequence[Positioned]
    ) -> dict[UUID, InitiativeSummary | None]:
        ids = {e.originator_id for e, _ in batch if isinstance(e, Aggregate.Event)}
        rows = {i: self._rows[i] for i in ids if i in self._rows}
        missing = list(ids - rows.keys())
        if missing:
            rows.update(dict.fromkeys(missing))  # None: no row (yet)
            for row in curs.execute(SELECT_FOR_UPDATE, (missing,)).fetchall():
                summary = msgspec.convert(row, InitiativeSummary)
                rows[summary.id] = summary
        return rows

    def apply_event(self, domain_event: object, tracking: Tracking) -> None:
        self.apply_events([(domain_event, tracking.notification_id)], tracking)

    def reset(self, application_name: str) -> None:
        """Empty the view and forget its position in one transaction, ready for a replay."""
        self._rows.clear()
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(RESET_VIEW)
            curs.execute(
                f"DELETE FROM {self.tracking_table_name} WHERE application_name = %s",  # noqa: S608
                (application_name,),
            )


def _row(summary: InitiativeSummary) -> tuple[Any, ...]:
    # Positional, and the JSON encoded by msgspec: adapting parameters is most of the cost.
    return (
        summary.id,
        summary.title,
        summary.status,
        summary.owner,
        summary.sponsor,
        summary.proposer,
        summary.quarter,
        _JSON.encode(summary.tags).decode(),
        summary.last_decision,
        _JSON.encode(summary.stakeholders).decode(),
        _JSON.encode(summary.stakeholders_without_stance).decode(),
        summary.version,
        summary.proposed_at,
        summary.updated_at,
        summary.proposed_position,
        summary.position,
    )


_JSON = msgspec.json.Encoder()
