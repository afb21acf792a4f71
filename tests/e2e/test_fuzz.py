"""Schemathesis against a running `serve`, with every role's token and every check: for each
request it can generate from our OpenAPI document (examples, coverage, fuzzing and stateful
sequences through the spec's links), no 5xx; every status, content type, header and body as
the document says; schema-valid data accepted, schema-violating data refused; no operation
that answers without a token. A tier of its own: `./dev test-fuzz` (FUZZ_EXAMPLES per
operation, 30 by default; CI runs it), not part of `./dev test`. Its settings, and why each,
are in schemathesis.toml.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

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


@pytest.mark.parametrize("role", list(EXAMPLES_BY_ROLE))
def test_every_generated_request_is_answered_as_the_document_says(
    serving: tuple[ServeProcess, Path], role: Role
) -> None:
    serve, data_dir = serving
    run = subprocess.run(  # noqa: S603 - schemathesis, by path
        [
            str(SCHEMATHESIS),
            "--config-file",  # works around an internal error: see the file
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            f"{serve.base_url}/schema/openapi.json",
            "--url",
            serve.base_url,
            "--checks",
            "all",
            # an endless stream of server-sent events: tests/api/test_stream.py drives it
            "--exclude-operation-id",
            STREAM_OPERATION,
            "--max-examples",
            str(EXAMPLES_BY_ROLE[role]),
            "--header",
            f"Authorization: Bearer {_token(data_dir, role)}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,  # its output explains a failure
    )
    summary = run.stdout[-3000:]
    assert run.returncode == 0, summary + run.stderr[-2000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert generated is not None, summary
    assert generated.group(1) == generated.group(2), summary
    print(f"{role.value}: {generated.group(0)}")  # noqa: T201 - the figures for the README
