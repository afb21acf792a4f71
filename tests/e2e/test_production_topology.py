"""The README's production section, as plain processes: on a PostgreSQL server (the local
one, as managed PostgreSQL would be), `roadmap-svc migrate` once, then `api` with two
processes and a `worker`, configured only by environment variables as docker-compose.yml
configures them. A write through the API is read back from a view the worker keeps; /readyz
and /metrics answer; the logs are JSON lines carrying the request id. Extended tier.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import msgspec
import pytest

from roadmap_svc.audit.signing import new_seed_text
from roadmap_svc.storage.database import DatabaseTarget, parse_database_url
from roadmap_svc.storage.server import drop_database, ensure_database
from tests.conftest import SERVER_URL
from tests.e2e.serve_process import ServeProcess, free_port, run_cli

pytestmark = [
    pytest.mark.extended,
    pytest.mark.skipif(SERVER_URL is None, reason="needs a PostgreSQL server"),
]


@pytest.fixture
def managed_database() -> Iterator[DatabaseTarget]:
    assert SERVER_URL is not None
    server = parse_database_url(SERVER_URL)
    name = f"roadmap_topology_{uuid4().hex[:8]}"
    ensure_database(server, name)
    yield server.with_database(name)
    drop_database(server, name)


def test_migrate_then_api_and_worker_as_the_readme_starts_them(
    managed_database: DatabaseTarget, tmp_path: Path
) -> None:
    environment = {
        "ROADMAP_DATABASE_URL": managed_database.dsn,
        "ROADMAP_LOG_FORMAT": "json",
        "ROADMAP_LOG_LEVEL": "INFO",
        # one checkpoint key for every process, as docker-compose.yml passes it
        "ROADMAP_AUDIT_SIGNING_KEY": new_seed_text(),
    }
    migrated = run_cli("migrate", env=environment)
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith("applied: 0001_")

    # Never used: the database is ROADMAP_DATABASE_URL's and the signing key is given.
    data_dir = tmp_path / "unused"
    api = ServeProcess(
        data_dir,
        free_port(),
        command="api",
        extra_env=environment | {"ROADMAP_API_PROCESSES": "2"},
    )
    worker = ServeProcess(data_dir, free_port(), command="worker", extra_env=environment)
    try:
        api.wait_healthy()
        with api.client() as client:
            created = client.post(
                "/v1/initiatives",
                json={"title": "t", "problem_statement": "p", "business_case": "b", "owner": "o"},
                headers={"X-Request-Id": "topology-check-1"},
            )
            assert created.status_code == 201, created.text
            listed = client.get(
                "/v1/initiatives", params={"min_position": created.json()["position"]}
            )
            assert listed.status_code == 200, listed.text
            assert [i["id"] for i in listed.json()["items"]] == [created.json()["id"]]
            ready = client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert {p["kept_here"] for p in ready.json()["projections"]} == {False}
            metrics = client.get("/metrics", headers={"Authorization": ""})
            assert metrics.status_code == 200
            assert "roadmap_projection_lag_events" in metrics.text
    finally:
        assert worker.stop() == 0, worker.log.read_text()
        assert api.stop() == 0, api.log.read_text()
    assert not data_dir.exists()
    lines = [
        msgspec.json.decode(line)
        for line in api.log.read_text().splitlines()
        if line.startswith("{")
    ]
    assert lines, api.log.read_text()
    assert any(line.get("request_id") == "topology-check-1" for line in lines)
    assert {line["pid"] for line in lines if line["logger"] == "uvicorn.access"}
