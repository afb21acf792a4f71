"""Unknown query parameters are refused (400), so that a misspelt filter (`?verison=1`,
`?stauts=approved`) is never silently ignored with an answer that looks right."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from litestar import Request
from litestar.handlers import HTTPRouteHandler

from roadmap_svc.api.dependencies import DEPENDENCIES
from roadmap_svc.api.problems import problem

# What a handler may take besides query parameters: its path parameters, its body, what
# Litestar injects and our named dependencies.
_NOT_QUERY = frozenset(
    {"data", "request", "scope", "state", "headers", "cookies", "body", "socket", "self"}
) | frozenset(DEPENDENCIES)
_PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


@cache
def accepted(handler: HTTPRouteHandler) -> frozenset[str]:
    path_names = {m for path in handler.paths for m in _PATH_PARAMETER.findall(path)}
    return frozenset(handler.parsed_fn_signature.parameters) - _NOT_QUERY - path_names


def check_query_params(request: Request[Any, Any, Any]) -> None:
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler) or handler.handler_name == "options_handler":
        return
    unknown = sorted(set(request.query_params) - accepted(handler))
    if unknown:
        known = ", ".join(sorted(accepted(handler))) or "none"
        raise problem(
            400,
            "unknown-query-parameter",
            "Unknown query parameter",
            f"{', '.join(unknown)}: not a parameter of this operation (it takes: {known})",
            errors=[
                {"field": name, "message": "unknown query parameter", "source": "query"}
                for name in unknown
            ],
        )
