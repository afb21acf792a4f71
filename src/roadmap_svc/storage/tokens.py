"""API tokens: issued once, stored as SHA-256 hashes, looked up by hash.

Tokens are 256 random bits, so a fast hash is the right tool (nothing to brute-force);
a slow password hash would only add latency to every request.
"""

from __future__ import annotations

import hashlib
import secrets
from uuid import uuid4

import msgspec
import psycopg

from roadmap_svc.domain.roles import Role
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.pool import Pool

TOKEN_PREFIX = "rmp_"  # noqa: S105 - marks tokens in logs and secret scanners
INSERT_TOKEN = "INSERT INTO api_tokens (id, name, role, token_hash) VALUES (%s, %s, %s, %s)"  # noqa: S105
REVOKE_TOKEN = (
    "UPDATE api_tokens SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL RETURNING id"  # noqa: S105
)
FIND_BY_HASH = "SELECT name, role FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"


class Principal(msgspec.Struct, frozen=True):
    name: str
    role: Role


class TokenNameTakenError(Exception):
    pass


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def create_token(target: DatabaseTarget, name: str, role: Role) -> str:
    """Store a new token's hash and return the token; it cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with psycopg.connect(target.dsn, autocommit=True) as conn:
            conn.execute(INSERT_TOKEN, (uuid4(), name, role.value, hash_token(token)))
    except psycopg.errors.UniqueViolation:
        raise TokenNameTakenError(f"a token named {name!r} exists already") from None
    return token


def revoke_token(target: DatabaseTarget, name: str) -> bool:
    """Refuse the named token from now on (its row stays, for the record); False if unknown."""
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        revoked = conn.execute(REVOKE_TOKEN, (name,)).fetchone()
    return revoked is not None


async def find_principal(pool: Pool, token: str) -> Principal | None:
    row = await pool.fetchrow(FIND_BY_HASH, hash_token(token))
    return None if row is None else Principal(row["name"], Role(row["role"]))
