"""Bearer API tokens: who is calling (middleware) and whether their role may (guards)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
    DefineMiddleware,
)

from roadmap_svc.api.problems import problem
from roadmap_svc.api.state import AppState
from roadmap_svc.domain.roles import READ_ROLES, WRITE_ROLES, Role
from roadmap_svc.storage.tokens import Principal, find_principal, hash_token

ADMIN_TOKEN_NAME = "admin"  # noqa: S105 - a name, not a secret; the actor recorded for writes made with ROADMAP_ADMIN_TOKEN
PUBLIC_PATHS = {"/healthz", "/readyz", "/schema"}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="roadmap-svc"'}


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise problem(
                401,
                "unauthenticated",
                "Authentication required",
                "send an API token as 'Authorization: Bearer <token>'",
                headers=_CHALLENGE,
            )
        state = AppState.of(connection.app)
        principal = _admin_principal(state.settings.admin_token, token)
        if principal is None:
            principal = await find_principal(state.pool, token)
        if principal is None:
            raise problem(
                401,
                "unauthenticated",
                "Authentication required",
                "the token is unknown or revoked",
                headers=_CHALLENGE,
            )
        return AuthenticationResult(user=principal, auth=None)


def _admin_principal(admin_token: str | None, token: str) -> Principal | None:
    if admin_token and hmac.compare_digest(hash_token(admin_token), hash_token(token)):
        return Principal(ADMIN_TOKEN_NAME, Role.ADMIN)
    return None


def authentication_middleware() -> DefineMiddleware:
    return DefineMiddleware(BearerTokenMiddleware, exclude=[f"^{p}" for p in PUBLIC_PATHS])


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def requires(roles: Iterable[Role]) -> Guard:
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.user
        if not isinstance(principal, Principal) or principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise problem(403, "forbidden", "Not allowed", f"this needs one of the roles: {names}")

    return guard


can_read = requires(READ_ROLES)
can_write = requires(WRITE_ROLES)
