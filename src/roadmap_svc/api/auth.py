"""Bearer API tokens: who is calling, and whether their role may call this route.

One middleware does both: it authenticates the token, then checks the roles the route
declares in its `opt` (`opt=READ`, `opt=WRITE` or `opt=AUDIT`). Litestar's guards would do the
second step too, but copy the route handler object for every guard call of every request.
"""

from __future__ import annotations

import hmac
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
from roadmap_svc.domain.roles import AUDIT_ROLES, READ_ROLES, WRITE_ROLES, Role
from roadmap_svc.storage.tokens import Principal, find_principal, hash_token

ADMIN_TOKEN_NAME = "admin"  # noqa: S105 - a name, not a secret; the actor recorded for writes made with ROADMAP_ADMIN_TOKEN
PUBLIC_PATHS = {"/healthz", "/readyz", "/metrics", "/schema"}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="roadmap-svc"'}


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = raw_header(connection.scope, b"authorization")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise problem(
                "unauthenticated",
                "send an API token as 'Authorization: Bearer <token>'",
                headers=_CHALLENGE,
            )
        state = AppState.of(connection.app)
        principal = _admin_principal(state.settings.admin_token, token)
        if principal is None:
            principal = await find_principal(state.pool, token)
        if principal is None:
            raise problem(
                "unauthenticated",
                "the token is unknown or revoked",
                headers=_CHALLENGE,
            )
        check_role(principal, connection.route_handler)
        state.limiter.admit(principal.name)
        return AuthenticationResult(user=principal, auth=None)


def raw_header(scope: Any, name: bytes) -> str:  # noqa: ANN401 - an ASGI scope
    """One request header, read straight from the scope (lower-case name).

    Cheaper than `connection.headers`, which builds a case-insensitive multi-dict of them all.
    """
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _admin_principal(admin_token: str | None, token: str) -> Principal | None:
    if admin_token and hmac.compare_digest(hash_token(admin_token), hash_token(token)):
        return Principal(ADMIN_TOKEN_NAME, Role.ADMIN)
    return None


def authentication_middleware() -> DefineMiddleware:
    return DefineMiddleware(BearerTokenMiddleware, exclude=[f"^{p}" for p in PUBLIC_PATHS])


ROLES_KEY = "roles"
READ: dict[str, Any] = {ROLES_KEY: READ_ROLES}
WRITE: dict[str, Any] = {ROLES_KEY: WRITE_ROLES}
# Histories name who did what, why and from which request: for auditors (and admins).
AUDIT: dict[str, Any] = {ROLES_KEY: AUDIT_ROLES}
# Configuring the service (webhook endpoints): admins only.
ADMIN: dict[str, Any] = {ROLES_KEY: frozenset({Role.ADMIN})}


def check_role(principal: Principal, handler: BaseRouteHandler) -> None:
    allowed: frozenset[Role] | None = handler.opt.get(ROLES_KEY)
    if allowed is None:
        raise TypeError(f"route {handler!r} declares no roles")  # every route must say
    if principal.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise problem("forbidden", f"this needs one of the roles: {names}")
