"""The worker's periodic checkpoints: signed when the log moved, not again when it did not."""

from __future__ import annotations

import time

import psycopg

from roadmap_svc.application import RoadmapApplication
from roadmap_svc.audit.checkpoints import Checkpointer, recorded
from roadmap_svc.audit.signing import _from_seed, new_seed_text
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import eventsourcing_env
from tests.application_helpers import propose


def _positions(dsn: str, at_least: int, seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        with psycopg.connect(dsn) as conn:
            found = [c.position for c in recorded(conn)]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_a_checkpoint_is_signed_each_period_the_log_moved(
    migrated_database: DatabaseTarget,
) -> None:
    app = RoadmapApplication(env=eventsourcing_env(migrated_database, pool_size=2))
    checkpointer = Checkpointer(
        migrated_database.dsn, _from_seed(new_seed_text(), "test"), minutes=0.2 / 60
    )
    checkpointer.start()
    try:
        propose(app, "one")
        assert _positions(migrated_database.dsn, 1) == [1]
        time.sleep(0.6)  # three periods with nothing new: no new checkpoint
        assert _positions(migrated_database.dsn, 1) == [1]
        propose(app, "two")
        assert _positions(migrated_database.dsn, 2) == [1, 2]
    finally:
        checkpointer.stop()
        app.close()
