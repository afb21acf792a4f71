"""API tokens: shown once, stored only as a SHA-256 hash, found by hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from roadmap_svc.domain.roles import Role
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.pool import Pool, create_pool
from roadmap_svc.storage.tokens import (
    TOKEN_PREFIX,
    Principal,
    TokenNameTakenError,
    create_token,
    find_principal,
    hash_token,
)


def _unique_name(label: str = "token") -> str:
    return f"test-{label}-{uuid4().hex}"


@pytest.fixture
async def pool(database: DatabaseTarget) -> AsyncIterator[Pool]:
    created = await create_pool(database, 2)
    try:
        yield created
    finally:
        await created.close()


def test_create_token_returns_a_prefixed_random_token(database: DatabaseTarget) -> None:
    first = create_token(database, _unique_name(), Role.VIEWER)
    second = create_token(database, _unique_name(), Role.VIEWER)
    assert first.startswith(TOKEN_PREFIX)
    assert TOKEN_PREFIX == "rmp_"
    assert len(first) >= len(TOKEN_PREFIX) + 40  # 32 random bytes, base64url
    assert first != second


def test_only_the_hash_is_stored(database: DatabaseTarget) -> None:
    name = _unique_name()
    token = create_token(database, name, Role.EDITOR)
    with psycopg.connect(database.dsn) as conn:
        row = conn.execute(
            "SELECT role, token_hash, revoked_at FROM api_tokens WHERE name = %s", (name,)
        ).fetchone()
        assert row is not None
        role, token_hash, revoked_at = row
        assert role == "editor"
        assert bytes(token_hash) == hashlib.sha256(token.encode()).digest() == hash_token(token)
        assert revoked_at is None

        # No column of any table holds the token, as text or as bytes.
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        ).fetchall()
        assert ("api_tokens",) in tables
        as_bytea_text = "\\x" + token.encode().hex()
        secret_part = token.removeprefix(TOKEN_PREFIX)
        for (table,) in tables:
            found = conn.execute(
                sql.SQL(
                    "SELECT count(*) FROM {} AS t"
                    " WHERE strpos(t::text, %s) > 0 OR strpos(t::text, %s) > 0"
                ).format(sql.Identifier(table)),
                (secret_part, as_bytea_text),
            ).fetchone()
            assert found == (0,), f"{table} holds the token"


def test_duplicate_name_is_refused_and_keeps_the_first_token(database: DatabaseTarget) -> None:
    name = _unique_name()
    create_token(database, name, Role.VIEWER)
    with pytest.raises(TokenNameTakenError, match=name):
        create_token(database, name, Role.ADMIN)
    with psycopg.connect(database.dsn) as conn:
        rows = conn.execute("SELECT role FROM api_tokens WHERE name = %s", (name,)).fetchall()
    assert rows == [("viewer",)]


@pytest.mark.parametrize("role", list(Role))
async def test_find_principal_finds_the_role_of_the_right_token(
    database: DatabaseTarget, pool: Pool, role: Role
) -> None:
    name = _unique_name(role.value)
    token = create_token(database, name, role)
    assert await find_principal(pool, token) == Principal(name, role)


async def test_find_principal_refuses_a_wrong_token(database: DatabaseTarget, pool: Pool) -> None:
    token = create_token(database, _unique_name(), Role.ADMIN)
    wrong = [
        token + "x",
        token[:-1],
        token.upper(),
        token.removeprefix(TOKEN_PREFIX),
        TOKEN_PREFIX + secrets.token_urlsafe(32),
        "",
    ]
    for candidate in wrong:
        assert await find_principal(pool, candidate) is None, candidate


async def test_find_principal_ignores_a_revoked_token(database: DatabaseTarget, pool: Pool) -> None:
    name = _unique_name()
    token = create_token(database, name, Role.EDITOR)
    with psycopg.connect(database.dsn) as conn:
        conn.execute("UPDATE api_tokens SET revoked_at = now() WHERE name = %s", (name,))
    assert await find_principal(pool, token) is None
