"""A Python client generated from openapi.yaml (openapi-python-client, as an integration
would) without a single warning, driven through a short scenario: propose, decide with
If-Match as a typed parameter, get a typed 412 problem, page a list, read the history."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import pytest

from tests.api.helpers import Client

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def generated(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The generated package's name, importable for this module's tests."""
    where = tmp_path_factory.mktemp("client")
    name = f"roadmap_client_{uuid4().hex[:8]}"
    run = subprocess.run(  # noqa: S603 - the generator, by path
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(repo_root / "openapi.yaml"),
            "--output-path",
            str(where / name),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        check=False,
        # its post-hook formats the code with ruff, which is next to this interpreter
        env={**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ['PATH']}"},
    )
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert "warning" not in said.lower(), said
    sys.path.insert(0, str(where))
    try:
        yield name
    finally:
        sys.path.remove(str(where))


def _module(package: str, name: str) -> ModuleType:
    return importlib.import_module(f"{package}.{name}")


async def test_a_generated_client_proposes_decides_meets_a_412_pages_and_reads_history(
    generated: str, client: Client
) -> None:
    api = _module(generated, "client").AuthenticatedClient(
        base_url=str(client.base_url), token=client.headers["Authorization"].split()[1]
    )
    api.set_async_httpx_client(client)  # the app in this process, through the test client
    models = _module(generated, "models")
    propose = _module(generated, "api.initiatives.propose_initiative")
    decide = _module(generated, "api.decisions.take_decision")
    listing = _module(generated, "api.initiatives.list_initiatives")
    history = _module(generated, "api.history.get_initiative_history")

    owner = f"generated-{uuid4().hex[:6]}"
    created = []
    for title in ("Checkout", "Search"):
        answer = await propose.asyncio_detailed(
            client=api,
            body=models.InitiativePropose(
                title=title,
                problem_statement="Slow.",
                business_case="Faster sells more.",
                owner=owner,
            ),
        )
        assert answer.status_code == 201
        assert isinstance(answer.parsed, models.Initiative)
        created.append(answer)
    first = created[0]
    etag = first.headers["etag"]

    def approve(rationale: str) -> Any:
        return models.ApproveDecision(
            kind=models.ApproveDecisionKind.APPROVE, quarter="2027-Q1", rationale=rationale
        )

    decided = await decide.asyncio_detailed(
        first.parsed.id, client=api, body=approve("fits"), if_match=etag
    )
    assert decided.status_code == 201
    assert isinstance(decided.parsed, models.Decision)
    assert decided.parsed.status_after == models.Status.APPROVED

    stale = await decide.asyncio_detailed(
        first.parsed.id, client=api, body=approve("again"), if_match=etag
    )
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.Problem)
    assert stale.parsed.type_ == "urn:roadmap-svc:problem:version-mismatch"

    seen: list[str] = []
    cursor: Any = _module(generated, "types").UNSET
    position = decided.parsed.position  # the list is a view: read it at the last write
    while True:
        page = await listing.asyncio(
            client=api, owner=owner, limit=1, cursor=cursor, min_position=position
        )
        assert isinstance(page, models.InitiativePage)
        seen += [item.title for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == ["Checkout", "Search"]

    log = await history.asyncio(first.parsed.id, client=api)
    assert isinstance(log, models.History)
    assert [entry.type_ for entry in log.items] == ["InitiativeProposed", "InitiativeApproved"]
