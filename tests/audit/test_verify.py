"""Tamper evidence (issue 8): tests edit the database directly, as someone with access to it
would, and `verify` must name what changed at the right position; an untouched database
verifies clean; the export verifies with the independent script (tools/)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from roadmap_svc.application import DecisionInput, RoadmapApplication
from roadmap_svc.audit import chain
from roadmap_svc.audit.checkpoints import sign_head
from roadmap_svc.audit.export import export
from roadmap_svc.audit.signing import _from_seed, new_seed_text, public_key_text
from roadmap_svc.audit.verify import AuditReport, verify
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.storage import audit_chain
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import eventsourcing_env
from tests.application_helpers import meta_of, propose

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "verify_audit_export.py"
KEY = _from_seed(new_seed_text(), "test")
PUBLIC = public_key_text(KEY)


@pytest.fixture
def recorded(migrated_database: DatabaseTarget) -> Iterator[psycopg.Connection[Any]]:
    """Nine events through the commands, a checkpoint after the sixth; a connection."""
    app = RoadmapApplication(env=eventsourcing_env(migrated_database, pool_size=2))
    try:
        ids = [propose(app, f"Initiative {n}") for n in range(3)]
        approve = DecisionInput(kind=DecisionKind.APPROVE, rationale="go", quarter="2026-Q1")
        for initiative_id in ids:
            app.decide(initiative_id, approve, meta_of(), None)
        with psycopg.connect(migrated_database.dsn, autocommit=True) as conn:
            assert sign_head(conn, KEY) is not None
            for n, initiative_id in enumerate(ids):
                app.revise_initiative(initiative_id, {"title": f"Renamed {n}"}, meta_of(), None)
            yield conn
    finally:
        app.close()


def _verify(conn: psycopg.Connection[Any]) -> AuditReport:
    return verify(conn, PUBLIC)


def _positions(conn: psycopg.Connection[Any]) -> list[int]:
    return [r[0] for r in conn.execute("SELECT notification_id FROM roadmap_events ORDER BY 1")]


def test_an_untouched_log_verifies_clean(recorded: psycopg.Connection[Any]) -> None:
    report = _verify(recorded)
    assert report.verified, report.problem
    assert report.events == len(_positions(recorded)) == 9
    assert report.checkpoints == 1
    head = recorded.execute(audit_chain.HEAD).fetchone()
    assert head is not None
    assert report.head_hash == bytes(head[1]).hex()


def _edit_quarter(conn: psycopg.Connection[Any]) -> int:
    # One byte's worth, as an auditor found it: an approval's quarter 2026-Q1 -> 2026-Q2.
    position = _positions(conn)[3]
    conn.execute(
        "UPDATE roadmap_events SET state = convert_to(replace(convert_from(state, 'UTF8'),"
        " '2026-Q1', '2026-Q2'), 'UTF8') WHERE notification_id = %s",
        (position,),
    )
    return position


def _delete(conn: psycopg.Connection[Any]) -> int:
    position = _positions(conn)[4]
    conn.execute("DELETE FROM roadmap_events WHERE notification_id = %s", (position,))
    return position


def _insert(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "INSERT INTO roadmap_events (originator_id, originator_version, topic, state)"
        " SELECT originator_id, originator_version + 100, topic, state FROM roadmap_events"
        " ORDER BY notification_id LIMIT 1 RETURNING notification_id"
    ).fetchone()
    assert row is not None
    return int(row[0])


def _swap(conn: psycopg.Connection[Any]) -> int:
    first, second = _positions(conn)[3], _positions(conn)[5]
    conn.execute(
        "UPDATE roadmap_events e SET state = o.state FROM roadmap_events o"
        " WHERE (e.notification_id, o.notification_id) IN ((%s, %s), (%s, %s))",
        (first, second, second, first),
    )
    return first


def _garble(conn: psycopg.Connection[Any]) -> int:
    position = _positions(conn)[2]
    conn.execute(
        "UPDATE roadmap_events SET state = '\\x00ff'::bytea WHERE notification_id = %s",
        (position,),
    )
    return position


def _rewrite_checkpoint(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "UPDATE audit_checkpoints SET signed_at = signed_at - interval '1 day' RETURNING position"
    ).fetchone()
    assert row is not None
    return int(row[0])


def _rewrite_history_and_chain(conn: psycopg.Connection[Any]) -> int:
    # Someone who knows the algorithm edits an event and recomputes every link after it:
    # the links agree with the events again, but the signed checkpoint does not.
    _edit_quarter(conn)
    rows = conn.execute(
        "SELECT notification_id, originator_id, originator_version, topic, state"
        " FROM roadmap_events ORDER BY notification_id"
    ).fetchall()
    conn.execute("DELETE FROM audit_chain")
    conn.execute(
        audit_chain.INSERT_LINKS,
        audit_chain.links(
            chain.GENESIS, [(r[0], chain.canonical_event(r[1], r[2], r[3], r[4])) for r in rows]
        ),
    )
    checkpoint = conn.execute("SELECT position FROM audit_checkpoints").fetchone()
    assert checkpoint is not None
    return int(checkpoint[0])


def _resign_with_another_key(conn: psycopg.Connection[Any]) -> int:
    conn.execute("DELETE FROM audit_checkpoints")
    made = sign_head(conn, _from_seed(new_seed_text(), "attacker"))
    assert made is not None
    return made.position


TAMPERINGS: dict[str, tuple[Callable[[psycopg.Connection[Any]], int], str]] = {
    "event data changed": (_edit_quarter, "event-changed"),
    "event deleted": (_delete, "event-deleted"),
    "event inserted": (_insert, "event-inserted"),
    "two events swapped": (_swap, "event-changed"),
    "event no longer decodes": (_garble, "event-not-decodable"),
    "checkpoint rewritten": (_rewrite_checkpoint, "checkpoint-signature-invalid"),
    "history and chain rewritten": (_rewrite_history_and_chain, "checkpoint-mismatch"),
    "checkpoints re-signed": (_resign_with_another_key, "checkpoint-key-unknown"),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_verify_names_each_tampering_at_its_position(
    recorded: psycopg.Connection[Any], tampering: str
) -> None:
    assert _verify(recorded).verified  # control: clean before
    tamper, kind = TAMPERINGS[tampering]

    position = tamper(recorded)

    report = _verify(recorded)
    assert not report.verified
    assert report.problem is not None
    assert (report.problem.kind, report.problem.position) == (kind, position), report.problem


def _export(conn: psycopg.Connection[Any], path: Path) -> Path:
    with path.open("wb") as out:
        export(conn, PUBLIC, out)
    return path


def _check(path: Path, *key: str) -> subprocess.CompletedProcess[str]:
    # -I: isolated from this project's paths and environment; the script imports only
    # the standard library, rfc8785 and cryptography.
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-I", str(SCRIPT), str(path), *key],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_export_verifies_with_the_independent_script(
    recorded: psycopg.Connection[Any], tmp_path: Path
) -> None:
    path = _export(recorded, tmp_path / "audit.json")
    assert "roadmap_svc" not in SCRIPT.read_text()

    checked = _check(path, PUBLIC)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("OK: 9 events chained")
    assert "1 checkpoints verified" in checked.stdout


@pytest.mark.parametrize(
    ("edit", "finding"),
    [
        ("data", "position 4: the event (or its link) differs"),
        ("drop", "position 5: a link with no event"),
        ("checkpoint", "is not signed"),
    ],
)
def test_the_independent_script_finds_an_edited_export(
    recorded: psycopg.Connection[Any], tmp_path: Path, edit: str, finding: str
) -> None:
    path = _export(recorded, tmp_path / "audit.json")
    document = json.loads(path.read_text())
    if edit == "data":
        document["events"][3]["data"]["quarter"] = "2026-Q2"
    elif edit == "drop":
        del document["events"][4]
    else:
        document["checkpoints"][0]["signed_at"] = "2020-01-01T00:00:00.000000Z"
    path.write_text(json.dumps(document))

    checked = _check(path, PUBLIC)

    assert checked.returncode == 1
    assert finding in checked.stdout, checked.stdout
