"""/v1/events: the global log in commit order, none skipped, for auditors (and admins) and for
integrations that tail it: each event with its stable type name, aggregate, version, both
times, actor, reason, request id, Idempotency-Key and data."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.params import QueryParameter

from roadmap_svc.api.auth import AUDIT
from roadmap_svc.api.dependencies import PoolDep
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.projections.event_views import HistoryEntry, history_entry
from roadmap_svc.storage.event_log import log_after


class FeedEvent(HistoryEntry, frozen=True, kw_only=True):
    aggregate_id: UUID  # the initiative, team or claim the event belongs to


class EventFeed(msgspec.Struct, kw_only=True):
    items: list[FeedEvent]
    # The position of the last event here (or the `after` asked for, if there is none yet):
    # pass it as `after` to read on, now or later; none is ever skipped.
    after: int
    next: str  # that next read, as a link (also in the `Link` header)


class EventFeedController(Controller):
    path = "/v1/events"
    tags = ("events",)

    @get(
        "/",
        operation_id="ListEvents",
        opt=AUDIT,
        response_headers=[
            ResponseHeader(
                name="Link",
                documentation_only=True,
                required=True,
                description='The next read: `<...?after=N>; rel="next"`',
            )
        ],
        summary="Every event, in order, after a position",
        description="The global log in commit order: positions rise in the order events were "
        "committed (the event store's write lock), so a reader that passes the last position "
        "it saw as `after` sees every event exactly once. A position may be missing where a "
        "commit was rolled back (say, its connection was lost). Event types are the stable "
        "names of the history (the webhooks' `type`), including the claims the service "
        "keeps for itself (team names, external keys, the milestone graph).",
    )
    async def feed(
        self,
        *,
        request: Request[Any, Any, Any],
        pool: PoolDep,
        after: Annotated[int, QueryParameter(ge=0, le=2**63 - 1)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> Response[EventFeed]:
        events = await log_after(pool, after, limit)
        items = [
            FeedEvent(
                **msgspec.structs.asdict(history_entry(e.event, e.position)),
                aggregate_id=e.event.originator_id,
            )
            for e in events
            if isinstance(e.event, RoadmapEvent)
        ]
        last = events[-1].position if events else after
        link = f"{request.url.path}?after={last}&limit={limit}"
        body = EventFeed(items=items, after=last, next=link)
        return Response(body, headers={"Link": f'<{link}>; rel="next"'})
