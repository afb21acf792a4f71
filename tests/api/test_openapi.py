"""openapi.yaml is generated from the code; this fails when they drift."""

from __future__ import annotations

from pathlib import Path

from roadmap_svc.cli import openapi_yaml
from roadmap_svc.config import Settings


def test_committed_openapi_matches_the_code(repo_root: Path) -> None:
    committed = (repo_root / "openapi.yaml").read_text()
    assert committed == openapi_yaml(Settings()), (
        "openapi.yaml is stale: run `roadmap-svc openapi --output openapi.yaml`"
    )


def test_every_operation_has_an_id_and_documents_problems(repo_root: Path) -> None:
    import yaml  # noqa: PLC0415

    spec = yaml.safe_load((repo_root / "openapi.yaml").read_text())
    assert spec["openapi"].startswith("3.1")
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert all(op.get("operationId") for op in operations)
    assert {"ProposeInitiative", "TakeDecision", "GetInitiativeHistory"} <= {
        op["operationId"] for op in operations
    }
