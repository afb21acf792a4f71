"""The OpenAPI document, completed with what Litestar cannot see in a handler's signature:
every problem it can answer with (RFC 9457, one schema, the types of problems.PROBLEM_TYPES),
the headers every write answers with, the CSV form of lists, and the unknown fields a request
body refuses. The rules follow from how the API is built (one place answers writes, one place
maps errors), so a new operation is documented by the same rules as the others.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from roadmap_svc.api.auth import ROLES_KEY
from roadmap_svc.api.csv_export import CSV, OFFERS_CSV
from roadmap_svc.api.idempotency import REPLAYED_HEADER
from roadmap_svc.api.patterns import RFC3339_PATTERN
from roadmap_svc.api.problems import PROBLEM_TYPES, TYPE_PREFIX
from roadmap_svc.api.writes import POSITION_HEADER
from roadmap_svc.domain.roles import Role
from roadmap_svc.webhooks.events import WebhookPayload, public_type_names

PROBLEM_MEDIA_TYPE = "application/problem+json"
# A handler's `opt` may name statuses its structure does not show (e.g. a refused webhook URL).
PROBLEM_STATUSES = "problem_statuses"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_STATUS_PHRASES = {
    400: "Bad request",
    401: "No valid token",
    403: "The token's role may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    412: "If-Match is not the current ETag",
    413: "Body too large",
    429: "This token's requests a minute are used up (ROADMAP_RATE_LIMIT_PER_MINUTE)",
    415: "Body is not JSON",
    422: "Refused by a domain rule",
    428: "If-Match required",
    431: "Headers too large",
    500: "Internal error (nothing half-done is recorded; retrying is safe)",
    503: "Unavailable for now: retry after Retry-After seconds",
}
_RETRY_AFTER = {
    "description": "Seconds to wait before retrying",
    "schema": {"type": "integer", "minimum": 0},
    "required": True,
}
_CHALLENGE = {
    "description": 'Bearer realm="roadmap-svc"',
    "schema": {"type": "string"},
    "required": True,
}
_WRITE_HEADERS = {
    "ETag": {
        "description": 'The version this write left the object at, e.g. "4": send it as '
        "If-Match on the next write.",
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
        "required": True,
    },
    POSITION_HEADER: {
        "description": "The event-store position of this write: pass it as `min_position` "
        "to read a view that includes it.",
        "schema": {"type": "integer", "minimum": 1},
        "required": True,
    },
}
_REPLAYED = {
    "description": "`true` on the answer to a retry with the same Idempotency-Key: the first "
    "answer again, nothing recorded again",
    "schema": {"type": "string", "enum": ["true"]},
    "required": False,
}
_LOCATION = {
    "description": "Where the created resource is read",
    "schema": {"type": "string", "format": "uri-reference"},
    "required": True,
}
_LINK = {
    "description": 'The next page, as `<url>; rel="next"` (RFC 8288); absent on the last page.',
    "schema": {"type": "string"},
    "required": False,
}
_REQUEST_ID = {
    "name": "X-Request-Id",
    "in": "header",
    "required": False,
    "description": "Your id for this request, kept in the events it records (1-128 of "
    "A-Z a-z 0-9 . _ : -; anything else is replaced by a generated id).",
    "schema": {"type": "string"},
}
_ALL_ROLES = frozenset(Role)

_DOCUMENT_KEY = "roadmap_openapi_document"


def document(app: Litestar) -> dict[str, Any]:
    """The app's OpenAPI document, completed (built once per app)."""
    if _DOCUMENT_KEY not in app.state:
        app.state[_DOCUMENT_KEY] = complete(app.openapi_schema.to_schema(), app)
    completed: dict[str, Any] = app.state[_DOCUMENT_KEY]
    return completed


def complete(schema: dict[str, Any], app: Litestar) -> dict[str, Any]:
    schema = copy.deepcopy(schema)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(_problem_schemas())
    _exact_input_schemas(components, app)
    info = schema.setdefault("info", {})
    info["description"] = info.get("description", "") + "\n\n" + _problem_catalogue()
    for path, method, handler in _operations(app):
        operation = schema["paths"][path][method]
        _complete_operation(operation, handler, path)
    _webhooks(schema, components)
    return schema


def _webhooks(schema: dict[str, Any], components: dict[str, Any]) -> None:
    """What registered webhook endpoints receive (OpenAPI 3.1 `webhooks`)."""
    _, found = msgspec.json.schema_components(
        [WebhookPayload], ref_template="#/components/schemas/{name}"
    )
    found["WebhookPayload"]["properties"]["type"]["enum"] = public_type_names()
    components.update(found)
    header = {"in": "header", "required": True, "schema": {"type": "string"}}
    schema["webhooks"] = {
        "roadmapEvent": {
            "post": {
                "operationId": "ReceiveRoadmapEvent",
                "summary": "An event of the roadmap, as a signed Standard Webhook",
                "description": "One POST per event and endpoint, at least once, in no promised "
                "order (`data.position` orders them). Verify `webhook-signature` with the "
                "endpoint's secret (any Standard Webhooks library); `webhook-id` "
                "(`msg_<position>`) is the same on every retry, for deduplication. Answer 2xx; "
                "anything else, or no answer, is retried with exponential back-off for "
                "ROADMAP_WEBHOOK_RETRY_HOURS (72); 410 Gone disables the endpoint.",
                "parameters": [
                    {**header, "name": "webhook-id", "description": "msg_<position>"},
                    {**header, "name": "webhook-timestamp", "description": "Unix seconds"},
                    {**header, "name": "webhook-signature", "description": "v1,<base64>"},
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/WebhookPayload"}
                        }
                    },
                },
                "responses": {"200": {"description": "Received"}},
            }
        }
    }


def _operations(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.operation_id is None or handler.include_in_schema is False:
                continue
            for method in handler.http_methods:
                yield route.path_format, method.lower(), handler


def _complete_operation(operation: dict[str, Any], handler: HTTPRouteHandler, path: str) -> None:
    responses: dict[str, Any] = operation["responses"]
    for parameter in operation.get("parameters", []):
        parameter["schema"] = _not_null(parameter["schema"]) | _bounds(handler, parameter["name"])
    if ROLES_KEY not in handler.opt:
        operation["security"] = []  # probes answer without a token
    if _writes(handler):
        operation.setdefault("parameters", []).append(_REQUEST_ID)
    for code, response in responses.items():
        if code.startswith("2"):
            response.setdefault("headers", {}).update(_success_headers(handler, code))
    responses.get("204", {}).pop("content", None)  # no content, whatever the return type
    if handler.opt.get(OFFERS_CSV):
        ok = responses["200"]
        ok["content"][CSV] = {"schema": {"type": "string"}}
        ok.setdefault("headers", {})["Link"] = _LINK
    for status in sorted(_statuses(handler, path)):
        if str(status) in responses and status != 400:  # noqa: PLR2004 - Litestar's own 400
            continue  # documented by the handler itself (e.g. /readyz's 503)
        responses[str(status)] = _problem_response(status)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    # An optional parameter is absent, never null (a header or query string cannot be null);
    # Litestar writes `str | None` as oneOf string/null, its constraints beside the oneOf.
    branches = [b for b in schema.get("oneOf", []) if b.get("type") != "null"]
    if len(branches) != 1 or len(branches) == len(schema["oneOf"]):
        return schema
    plain: dict[str, Any] = {k: v for k, v in schema.items() if k != "oneOf"} | branches[0]
    return plain


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _bounds(handler: HTTPRouteHandler, name: str) -> dict[str, Any]:
    # Litestar leaves out the bounds of an optional number (`int | None` with ge=1).
    field = handler.parsed_fn_signature.parameters.get(name)
    kwargs = None if field is None else field.kwarg_definition
    return {
        keyword: getattr(kwargs, bound)
        for bound, keyword in _BOUNDS.items()
        if kwargs is not None and getattr(kwargs, bound, None) is not None
    }


def _writes(handler: HTTPRouteHandler) -> bool:
    # Every write asks for the `write` (or, creating, the `create`) dependency.
    return bool({"write", "create"} & handler.parsed_fn_signature.parameters.keys())


def _success_headers(handler: HTTPRouteHandler, code: str) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if _writes(handler):  # every event-sourced write answers through writes.answer
        headers |= _WRITE_HEADERS | ({"Location": _LOCATION} if code == "201" else {})
    if _keyed(handler):
        headers[REPLAYED_HEADER] = _REPLAYED
    return headers


def _keyed(handler: HTTPRouteHandler) -> bool:
    # Writes that take an Idempotency-Key: event-sourced ones, and configuration writes.
    return _writes(handler) or "config_write" in handler.parsed_fn_signature.parameters


def _statuses(handler: HTTPRouteHandler, path: str) -> set[int]:
    """The statuses an operation can answer with a problem, from how it is built."""
    parameters = handler.parsed_fn_signature.parameters
    roles: frozenset[Role] | None = handler.opt.get(ROLES_KEY)
    statuses = {400, 431, 500}  # a bad parameter or header; too many headers; a bug
    if roles is not None:  # behind a token: it reaches the database, which may be away (503)
        statuses |= {401, 429, 503} if roles == _ALL_ROLES else {401, 403, 429, 503}
    if "{" in path:
        statuses.add(404)
    if "data" in parameters:
        statuses |= {413, 415}
    if _writes(handler):
        statuses |= {409, 422}
    if _keyed(handler):
        statuses |= {409, 422}  # the key in flight, or reused for another request
    if "write" in parameters:  # reads If-Match
        statuses |= {412, 428}
    if "min_position" in parameters:  # waits for a view
        statuses.add(503)
    if any(_pattern(field) == RFC3339_PATTERN for field in parameters.values()):
        statuses.add(422)  # a time of the right shape that the calendar has not (times.py)
    return statuses | set(handler.opt.get(PROBLEM_STATUSES, ()))


def _pattern(field: FieldDefinition) -> str | None:
    kwargs = field.kwarg_definition
    return getattr(kwargs, "pattern", None)


def _problem_response(status: int) -> dict[str, Any]:
    kinds = [kind for kind, t in PROBLEM_TYPES.items() if t.status == status]
    example_kind = kinds[0]
    response: dict[str, Any] = {
        "description": _STATUS_PHRASES[status]
        + ". Problem types: "
        + ", ".join(f"`{kind}`" for kind in kinds)
        + ".",
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": _PROBLEM_REF,
                "example": {
                    "type": TYPE_PREFIX + example_kind,
                    "title": PROBLEM_TYPES[example_kind].title,
                    "status": status,
                    "detail": PROBLEM_TYPES[example_kind].meaning,
                },
            }
        },
    }
    if status == 401:  # noqa: PLR2004
        response["headers"] = {"WWW-Authenticate": _CHALLENGE}
    if status in {429, 503}:
        response["headers"] = {"Retry-After": _RETRY_AFTER}
    return response


def _problem_schemas() -> dict[str, Any]:
    return {
        "Problem": {
            "title": "Problem",
            "type": "object",
            "description": "RFC 9457 problem details. `type` is stable per kind of problem (the "
            "list is in this document's description); some kinds add members of their own.",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {
                    "type": "string",
                    "pattern": "^" + TYPE_PREFIX + "[a-z-]+$",
                    "examples": [TYPE_PREFIX + "version-mismatch"],
                },
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
            },
            "additionalProperties": True,
        },
        "FieldError": {
            "title": "FieldError",
            "type": "object",
            "required": ["field", "message"],
            "properties": {
                "field": {
                    "oneOf": [{"type": "string"}, {"type": "null"}],
                    "description": "The field, parameter or header (null: the body as a whole)",
                },
                "message": {"type": "string"},
                "source": {
                    "oneOf": [
                        {"type": "string", "enum": ["body", "query", "path", "header"]},
                        {"type": "null"},
                    ]
                },
            },
        },
    }


def _problem_catalogue() -> str:
    lines = [
        "## Problem types",
        "",
        f"Every error is `{PROBLEM_MEDIA_TYPE}` with one of these `type`s (`{TYPE_PREFIX}` + it):",
        "",
        "| type | status | title | meaning |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{kind}` | {t.status} | {t.title} | {t.meaning} |" for kind, t in PROBLEM_TYPES.items()
    ]
    return "\n".join(lines)


def _exact_input_schemas(components: dict[str, Any], app: Litestar) -> None:
    # Litestar drops constraints inside lists and on optional numbers, and does not say that
    # unknown fields are refused; msgspec, which validates the bodies, writes them exactly.
    bodies = [
        handler.parsed_fn_signature.parameters["data"].annotation
        for _, _, handler in _operations(app)
        if "data" in handler.parsed_fn_signature.parameters
    ]
    inputs = [info.cls for info in _struct_types(msgspec.inspect.multi_type_info(bodies))]
    _, exact = msgspec.json.schema_components(inputs, ref_template="#/components/schemas/{name}")
    names = {cls.__name__ for cls in inputs}
    for name, schema in exact.items():
        if name in names or name not in components:
            components[name] = schema


def _struct_types(infos: tuple[msgspec.inspect.Type, ...]) -> Iterator[msgspec.inspect.StructType]:
    seen: set[type] = set()
    pending = list(infos)
    while pending:
        info = pending.pop()
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls in seen:
                continue
            seen.add(info.cls)
            yield info
            pending += [field.type for field in info.fields]
        elif isinstance(info, msgspec.inspect.UnionType):
            pending += list(info.types)
        elif isinstance(info, msgspec.inspect.Metadata):
            pending.append(info.type)
        elif isinstance(info, msgspec.inspect.ListType):
            pending.append(info.item_type)


class CompletedJson(JsonRenderPlugin):
    """Serves the completed document, not Litestar's own."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        del openapi_schema
        return super().render(request, document(request.app))


class CompletedYaml(YamlRenderPlugin):
    """Serves the completed document, not Litestar's own."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        del openapi_schema
        return super().render(request, document(request.app))


def render_plugins() -> list[OpenAPIRenderPlugin]:
    # Swagger UI fetches the JSON document, which is the completed one.
    return [SwaggerRenderPlugin(), CompletedJson(), CompletedYaml()]
