"""GET /v1/stream: server-sent events naming which views changed, as their batches commit
(relayed by api.relay from the views' announcements)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import ServerSentEvent

from roadmap_svc.api.auth import READ, raw_header
from roadmap_svc.api.dependencies import AppStateDep


class StreamController(Controller):
    tags = ("live updates",)

    @get(
        "/v1/stream",
        operation_id="StreamViewChanges",
        opt=READ,
        summary="Server-sent events naming which views changed, as they commit",
        description="Each `views` event carries `{view, position, changed: {initiatives | "
        "quarters: [...]}}` or `everything: true`; read the named views again (with "
        "`min_position`). A `reset` event means: read everything again. Reconnect with "
        "`Last-Event-ID` to get what was missed.",
    )
    async def stream(
        self, *, request: Request[Any, Any, Any], app_state: AppStateDep
    ) -> ServerSentEvent:
        last_id = raw_header(request.scope, b"last-event-id") or None
        relay = app_state.announcements
        if relay is None:  # pragma: no cover - started with the app
            raise RuntimeError("the live-update relay is not running")
        return ServerSentEvent(relay.follow(last_id))
