"""Writes the initiative summary rows and their tracking record in one transaction."""

from __future__ import annotations

from typing import Any

import msgspec
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.types.json import Jsonb

from roadmap_svc.projections.initiative_summary import InitiativeSummary, apply

_COLUMNS = (
    "id, title, status, owner, sponsor, proposer, quarter, tags, last_decision, stakeholders,"
    " stakeholders_without_stance, version, proposed_at, updated_at, proposed_position, position"
)
SELECT_FOR_UPDATE = f"SELECT {_COLUMNS} FROM initiative_summary_view WHERE id = %s FOR UPDATE"  # noqa: S608 - constant
UPSERT = f"""
INSERT INTO initiative_summary_view ({_COLUMNS})
VALUES (%(id)s, %(title)s, %(status)s, %(owner)s, %(sponsor)s, %(proposer)s, %(quarter)s,
        %(tags)s, %(last_decision)s, %(stakeholders)s, %(stakeholders_without_stance)s,
        %(version)s, %(proposed_at)s, %(updated_at)s, %(proposed_position)s, %(position)s)
ON CONFLICT (id) DO UPDATE SET
    title = EXCLUDED.title, status = EXCLUDED.status, owner = EXCLUDED.owner,
    sponsor = EXCLUDED.sponsor, quarter = EXCLUDED.quarter, tags = EXCLUDED.tags,
    last_decision = EXCLUDED.last_decision, stakeholders = EXCLUDED.stakeholders,
    stakeholders_without_stance = EXCLUDED.stakeholders_without_stance,
    version = EXCLUDED.version, updated_at = EXCLUDED.updated_at, position = EXCLUDED.position
"""  # noqa: S608 - constant
RESET_VIEW = "DELETE FROM initiative_summary_view"


class InitiativeSummaryView(PostgresTrackingRecorder):
    def apply_event(self, domain_event: object, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            if isinstance(domain_event, Aggregate.Event):
                row = curs.execute(SELECT_FOR_UPDATE, (domain_event.originator_id,)).fetchone()
                current = None if row is None else msgspec.convert(row, InitiativeSummary)
                updated = apply(domain_event, current, tracking.notification_id)
                if updated is not None and updated is not current:
                    curs.execute(UPSERT, _row(updated))
            # A redelivered event fails here (its position is not above the tracked one) and
            # the whole transaction, view rows included, rolls back: exactly once.
            self._insert_tracking(curs, tracking)

    def reset(self, application_name: str) -> None:
        """Empty the view and forget its position in one transaction, ready for a replay."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(RESET_VIEW)
            curs.execute(
                f"DELETE FROM {self.tracking_table_name} WHERE application_name = %s",  # noqa: S608
                (application_name,),
            )


def _row(summary: InitiativeSummary) -> dict[str, Any]:
    row = msgspec.structs.asdict(summary)
    row["tags"] = list(summary.tags)
    row["stakeholders"] = Jsonb(msgspec.to_builtins(summary.stakeholders))
    row["stakeholders_without_stance"] = list(summary.stakeholders_without_stance)
    return row
