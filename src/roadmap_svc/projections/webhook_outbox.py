"""The webhook outbox: every public event as the JSON body its webhooks carry, by position.
Pure, no I/O. The dispatcher (webhooks/dispatcher.py) queues a delivery of each entry to every
endpoint that wants its type, and sends them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from roadmap_svc.projections.kit import Rows, Table, View
from roadmap_svc.webhooks.events import is_public, payload


class OutboxEntry(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    event_type: str
    aggregate_id: UUID
    body: msgspec.Raw  # the webhook's JSON body, as sent (and signed)


OUTBOX = Table("webhook_outbox", OutboxEntry, key=("position",))


def _apply(rows: Rows, domain_event: Any, position: int) -> None:  # noqa: ANN401 - any event
    if is_public(domain_event):
        body = payload(domain_event, position)
        rows.put(
            OUTBOX,
            OutboxEntry(
                position=position,
                event_type=body.type,
                aggregate_id=domain_event.originator_id,
                body=msgspec.Raw(msgspec.json.encode(body)),
            ),
        )


VIEW = View("webhook_outbox", (OUTBOX,), _apply)
