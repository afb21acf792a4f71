"""/v1/webhooks: admins register endpoints that get every event (or the types they name), as
signed Standard Webhooks; list, change, disable, rotate the secret, delete; see each delivery
and ask for one again. What is sent is in the OpenAPI document's `webhooks` section."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter, QueryParameter

from roadmap_svc.api.auth import ADMIN
from roadmap_svc.api.contract import PROBLEM_STATUSES
from roadmap_svc.api.cursors import Cursor, decode_cursor, next_page, paged
from roadmap_svc.api.dependencies import AppStateDep
from roadmap_svc.api.problems import problem
from roadmap_svc.api.requests import ConfigWriteDep as KeyedDep
from roadmap_svc.api.schemas import ShortText, _Input
from roadmap_svc.api.state import AppState
from roadmap_svc.domain.text import TOKEN_CHARACTERS
from roadmap_svc.storage.idempotency import Queries
from roadmap_svc.webhooks import endpoints as store
from roadmap_svc.webhooks.endpoints import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
    WebhookEventType,
)
from roadmap_svc.webhooks.targets import TargetRefusedError, check_target

WebhookUrl = Annotated[
    str, msgspec.Meta(pattern=rf"^https?://{TOKEN_CHARACTERS}+$", max_length=2000)
]
EventTypes = Annotated[list[WebhookEventType], msgspec.Meta(max_length=100)]
DeliveryId = Annotated[int, PathParameter(ge=1, le=2**63 - 1)]  # a bigserial
TARGETED = {**ADMIN, PROBLEM_STATUSES: (422,)}  # a URL may be refused (webhooks/targets.py)


class WebhookRegister(_Input, kw_only=True):
    url: WebhookUrl
    event_types: EventTypes = msgspec.field(default_factory=list)  # empty: every type
    description: ShortText | None = None


class WebhookChange(_Input, kw_only=True):
    url: WebhookUrl | None = None
    event_types: EventTypes | None = None
    description: ShortText | None = None
    enabled: bool | None = None

    def changes(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__struct_fields__ if getattr(self, f) is not None}


class WebhookList(msgspec.Struct, kw_only=True):
    items: list[WebhookEndpoint]


class DeliveryPage(msgspec.Struct, kw_only=True):
    items: list[WebhookDelivery]
    next_cursor: str | None  # pass it as `cursor` for the next page; null on the last
    next: str | None  # the next page's link (also in the `Link` header)


async def _checked(state: AppState, url: str) -> str:
    allow_private = state.settings.webhook_allow_private_targets
    try:  # resolving the host blocks: not on the event loop
        await asyncio.to_thread(check_target, url, allow_private=allow_private)
    except TargetRefusedError as exc:
        raise problem(
            "webhook-target-refused",
            str(exc),
            errors=[{"field": "url", "message": str(exc), "source": "body"}],
        ) from None
    return url


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ("webhooks",)

    @post("/", operation_id="RegisterWebhook", opt=TARGETED, summary="Register an endpoint")
    async def register(
        self, *, data: JSONBody[WebhookRegister], app_state: AppStateDep, config_write: KeyedDep
    ) -> Response[WebhookEndpointWithSecret]:
        url = await _checked(app_state, data.url)
        types = [t.value for t in data.event_types]

        async def work(conn: Queries) -> Response[WebhookEndpointWithSecret]:
            registered = await store.register(conn, url, types, data.description)
            location = f"/v1/webhooks/{registered.id}"
            return Response(registered, status_code=201, headers={"Location": location})

        return await config_write.answer(work)

    @get("/", operation_id="ListWebhooks", opt=ADMIN, summary="Every endpoint (no secrets)")
    async def list(self, app_state: AppStateDep) -> WebhookList:
        return WebhookList(items=await store.endpoints(app_state.pool))

    @get("/{webhook_id:uuid}", operation_id="GetWebhook", opt=ADMIN, summary="One endpoint")
    async def read(self, webhook_id: FromPath[UUID], app_state: AppStateDep) -> WebhookEndpoint:
        return await store.endpoint(app_state.pool, webhook_id)

    @patch(
        "/{webhook_id:uuid}",
        operation_id="ChangeWebhook",
        opt=TARGETED,
        summary="Change the URL, event types or description; disable or enable",
    )
    async def change(
        self,
        *,
        webhook_id: FromPath[UUID],
        data: JSONBody[WebhookChange],
        app_state: AppStateDep,
        config_write: KeyedDep,
    ) -> Response[WebhookEndpoint]:
        changes = data.changes()
        if "url" in changes:
            await _checked(app_state, changes["url"])
        if "event_types" in changes:
            changes["event_types"] = [t.value for t in changes["event_types"]]

        async def work(conn: Queries) -> Response[WebhookEndpoint]:
            return Response(await store.change(conn, webhook_id, changes))

        return await config_write.answer(work)

    @post(
        "/{webhook_id:uuid}/secret",
        operation_id="RotateWebhookSecret",
        opt=ADMIN,
        status_code=200,
        summary="A new signing secret (shown once); deliveries are signed with it from now on",
    )
    async def rotate(
        self, webhook_id: FromPath[UUID], config_write: KeyedDep
    ) -> Response[WebhookEndpointWithSecret]:
        async def work(conn: Queries) -> Response[WebhookEndpointWithSecret]:
            return Response(await store.rotate_secret(conn, webhook_id))

        return await config_write.answer(work)

    @delete(
        "/{webhook_id:uuid}",
        operation_id="DeleteWebhook",
        opt=ADMIN,
        summary="Delete an endpoint and its deliveries",
    )
    async def remove(self, webhook_id: FromPath[UUID], config_write: KeyedDep) -> Response[None]:
        async def work(conn: Queries) -> Response[None]:
            await store.delete(conn, webhook_id)
            return Response(None, status_code=204)

        return await config_write.answer(work)

    @get(
        "/{webhook_id:uuid}/deliveries",
        operation_id="ListWebhookDeliveries",
        opt=ADMIN,
        summary="Its deliveries: status, attempts, the receiver's last answer",
    )
    async def deliveries(
        self,
        *,
        request: Request[Any, Any, Any],
        webhook_id: FromPath[UUID],
        app_state: AppStateDep,
        status: FromQuery[DeliveryStatus | None] = None,
        cursor: Cursor = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Response[DeliveryPage]:
        found = await store.deliveries(
            app_state.pool, webhook_id, status, decode_cursor(cursor), limit + 1
        )
        following = next_page(request, found[limit - 1].id) if len(found) > limit else None
        return paged(DeliveryPage, found[:limit], following)

    @post(
        "/{webhook_id:uuid}/deliveries/{delivery_id:int}/redeliver",
        operation_id="RedeliverWebhook",
        opt=ADMIN,
        status_code=202,
        summary="Send a delivery again, now (with the same webhook-id)",
    )
    async def redeliver(
        self, webhook_id: FromPath[UUID], delivery_id: DeliveryId, config_write: KeyedDep
    ) -> Response[WebhookDelivery]:
        async def work(conn: Queries) -> Response[WebhookDelivery]:
            return Response(await store.redeliver(conn, webhook_id, delivery_id), status_code=202)

        return await config_write.answer(work)
