"""Unknown query parameters are refused (400), so that a misspelt filter (`?verison=1`,
`?stauts=approved`) is never silently ignored with an answer that looks right. So are a
parameter given twice (none takes a list) and `null` for a number, date or choice (Litestar
would read it as absent)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any, NoReturn, get_args

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


@cache
def _textual(handler: HTTPRouteHandler) -> frozenset[str]:
    # Parameters that take any text, where "null" is a value like another.
    fields = handler.parsed_fn_signature.parameters
    return frozenset(
        name
        for name in accepted(handler)
        if fields[name].annotation is str or str in get_args(fields[name].annotation)
    )


def check_query_params(request: Request[Any, Any, Any]) -> None:
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler) or handler.handler_name == "options_handler":
        return
    unknown = sorted(set(request.query_params) - accepted(handler))
    if unknown:
        known = ", ".join(sorted(accepted(handler))) or "none"
        raise problem(
            "unknown-query-parameter",
            f"{', '.join(unknown)}: not a parameter of this operation (it takes: {known})",
            errors=[
                {"field": name, "message": "unknown query parameter", "source": "query"}
                for name in unknown
            ],
        )
    given = request.query_params
    for name in given:
        values = given.getall(name)
        if len(values) > 1:
            _refuse(name, "given more than once")
        if values[0] == "null" and name not in _textual(handler):
            _refuse(name, "null is not a value: leave the parameter out")


def _refuse(name: str, message: str) -> NoReturn:
    raise problem(
        "validation-error",
        f"{name}: {message}",
        errors=[{"field": name, "message": message, "source": "query"}],
    )
