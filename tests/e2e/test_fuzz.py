"""Schemathesis against a running `serve`, with every role's token and every check: for each
request it can generate from our OpenAPI document (examples, coverage, fuzzing and stateful
sequences through the spec's links), no 5xx; every status, content type, header and body as
the document says; schema-valid data accepted, schema-violating data refused; no operation
that answers without a token. A tier of its own: `./dev test-fuzz` (FUZZ_EXAMPLES per
operation, 30 by default; CI runs it), not part of `./dev test`. Its settings, and why each,
are in schemathesis.toml.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from roadmap_svc.domain.roles import Role
from tests.e2e.serve_process import ADMIN_TOKEN, ServeProcess, free_port

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
# Fewer for the roles that are refused most writes: their answers are mostly 403.
EXAMPLES_BY_ROLE = {Role.ADMIN: EXAMPLES, Role.EDITOR: EXAMPLES // 3 or 1}
EXAMPLES_BY_ROLE |= {Role.VIEWER: EXAMPLES // 6 or 1, Role.AUDITOR: EXAMPLES // 6 or 1}
SCHEMATHESIS = Path(sys.executable).with_name("st")
STREAM_OPERATION = "StreamViewChanges"


def _token(data_dir: Path, role: Role) -> str:
    if role is Role.ADMIN:
        return ADMIN_TOKEN
    created = subprocess.run(  # noqa: S603 - our own CLI
        [
            sys.executable,
            "-m",
            "roadmap_svc.cli",
            "tokens",
            "create",
            "--role",
            role.value,
            "--name",
            f"fuzz-{role.value}",
        ],
        env={**os.environ, "ROADMAP_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout.strip()


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, Path]]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    serve = ServeProcess(data_dir, free_port())
    serve.wait_healthy()
    yield serve, data_dir
    assert serve.stop() == 0, serve.log.read_text()


def _schemathesis(
    serve: ServeProcess, schema: str, token: str, *options: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - schemathesis, by path
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            schema,
            "--url",
            serve.base_url,
            "--header",
            f"Authorization: Bearer {token}",
            "--no-color",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,  # its output explains a failure
    )


@pytest.mark.parametrize("role", list(EXAMPLES_BY_ROLE))
def test_every_generated_request_is_answered_as_the_document_says(
    serving: tuple[ServeProcess, Path], role: Role
) -> None:
    serve, data_dir = serving
    run = _schemathesis(
        serve,
        f"{serve.base_url}/schema/openapi.json",
        _token(data_dir, role),
        "--checks",
        "all",
        # an endless stream of server-sent events: tests/api/test_stream.py drives it
        "--exclude-operation-id",
        STREAM_OPERATION,
        "--max-examples",
        str(EXAMPLES_BY_ROLE[role]),
    )
    summary = run.stdout[-3000:]
    assert run.returncode == 0, summary + run.stderr[-2000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert generated is not None, summary
    assert generated.group(1) == generated.group(2), summary
    print(f"{role.value}: {generated.group(0)}")  # noqa: T201 - the figures for the README


def test_the_run_finds_an_answer_the_document_leaves_out(
    serving: tuple[ServeProcess, Path], tmp_path: Path
) -> None:
    # The negative control: the same run against a document that forgets GetInitiative's
    # 404 (which unknown ids get) must fail, naming the undocumented status.
    serve, _ = serving
    spec = httpx.get(f"{serve.base_url}/schema/openapi.json", timeout=10).json()
    del spec["paths"]["/v1/initiatives/{initiative_id}"]["get"]["responses"]["404"]
    forgetful = tmp_path / "openapi.json"
    forgetful.write_text(json.dumps(spec))
    run = _schemathesis(
        serve,
        str(forgetful),
        ADMIN_TOKEN,
        "--checks",
        "all",
        "--include-operation-id",
        "GetInitiative",
        "--max-examples",
        "5",
    )
    assert run.returncode != 0, run.stdout[-3000:]
    assert "Undocumented status code" in run.stdout, run.stdout[-3000:]
