"""What every part of an initiative shares: the status that keeps it open or closes it.

The Initiative aggregate is composed of parts (details, stakeholders, decisions, milestones,
assignments, metrics, external links), each a mixin in its own module with its state, its
events and its rules. Each part starts its own state in `_init_parts` (cooperatively, so the
composed aggregate starts every part), and annotates its state attributes: the annotations are
what typed snapshots restore them by.
"""

from __future__ import annotations

from roadmap_svc.domain.errors import InitiativeClosedError
from roadmap_svc.domain.events import RecordsEvents
from roadmap_svc.domain.lifecycle import OPEN_STATUSES, Status


class InitiativePart(RecordsEvents):
    status: Status

    def _init_parts(self) -> None:
        self.status = Status.PROPOSED

    def _require_open(self) -> None:
        if self.status not in OPEN_STATUSES:
            raise InitiativeClosedError(self.status.value)
