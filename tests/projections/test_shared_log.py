"""The runners' shared log: each event fetched and decoded once, found after any position,
across gaps, within its bound; a forgotten event is read from the table again."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from roadmap_svc.projections.shared_log import SharedLog

ORIGINATOR = uuid4()


class Table:
    """Stands for the events table: positions with gaps, counts the reads."""

    def __init__(self, positions: list[int]) -> None:
        self.rows = [
            (StoredEvent(ORIGINATOR, n, "topic", b"{}"), p) for n, p in enumerate(positions)
        ]
        self.reads: list[int] = []

    def after(self, position: int, limit: int = 3) -> list[tuple[StoredEvent, int]]:
        self.reads.append(position)
        return [row for row in self.rows if row[1] > position][:limit]


def test_events_after_any_position_come_from_one_read_across_gaps() -> None:
    table = Table([1, 2, 5, 6, 9])  # 3, 4, 7, 8: rolled-back writes
    log = SharedLog()
    first = log.after(0, 10, table.after)
    assert [e.position for e in first] == [1, 2, 5]
    # another runner, at another position inside what was read: no read
    assert [e.position for e in log.after(2, 10, table.after)] == [5]
    assert [e.position for e in log.after(0, 2, table.after)] == [1, 2]
    assert table.reads == [0]
    # past what was read: one more read, and the same entries for everyone
    assert [e.position for e in log.after(5, 10, table.after)] == [6, 9]
    assert [e.position for e in log.after(0, 10, table.after)] == [1, 2, 5, 6, 9]
    assert table.reads == [0, 5]
    assert log.after(0, 1, table.after)[0] is first[0]
    assert log.after(9, 10, table.after) == []  # the end of the log: asks the table
    assert table.reads == [0, 5, 9]


def test_a_forgotten_event_is_read_again_and_the_bound_holds() -> None:
    table = Table(list(range(1, 11)))
    log = SharedLog()
    log.after(0, 10, lambda p: table.after(p, 10))
    log.forget(4)
    assert [e.position for e in log.after(2, 10, table.after)] == [3]  # stops before the gap
    assert [e.position for e in log.after(3, 10, table.after)] == [4, 5, 6]  # read again
    assert table.reads[-1] == 3

    small = SharedLog()
    small.KEPT = 4
    assert len(small.after(0, 10, lambda p: table.after(p, 10))) == 10  # this read: all of it
    reads = len(table.reads)
    assert [e.position for e in small.after(7, 10, table.after)] == [8, 9, 10]  # kept
    assert len(table.reads) == reads
    assert [e.position for e in small.after(0, 10, table.after)] == [1, 2, 3]  # dropped: read
    assert len(table.reads) == reads + 1
