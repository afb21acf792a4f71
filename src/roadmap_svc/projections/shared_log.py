"""The recent log, read and decoded once for every runner in this process.

Runners of different views mostly read the same events at about the same time; each used to
fetch and decode every event itself. Here a fetch after position p records which event follows
which (positions have gaps: a rolled-back write leaves one), so a runner at any position finds
the events after it without a query while they are kept, whatever batches the others read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from eventsourcing.persistence import StoredEvent

from roadmap_svc.storage.transcoder import MsgspecMapper


class LogEntry:
    """A stored event and its position; decoded once, on first use (a decode that fails is
    tried again by whoever asks next: the runner names it as a poison event)."""

    __slots__ = ("_event", "position", "stored")

    def __init__(self, stored: StoredEvent, position: int) -> None:
        self.stored = stored
        self.position = position
        self._event: object | None = None

    def event(self, mapper: MsgspecMapper) -> object:
        if self._event is None:
            self._event = mapper.to_domain_event(self.stored)
        return self._event


Fetch = Callable[[int], list[tuple[StoredEvent, int]]]


class SharedLog:
    KEPT = 20_000  # entries; a runner further behind reads from the table again

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, LogEntry] = {}  # in position order
        self._after: dict[int, int] = {}  # position -> the position of the next event

    def after(self, position: int, limit: int, fetch: Fetch) -> list[LogEntry]:
        """Up to `limit` events after `position`: kept ones, else `fetch(position)`'s."""
        with self._lock:
            found: list[LogEntry] = []
            at = position
            while len(found) < limit and (at := self._after.get(at, -1)) in self._entries:
                found.append(self._entries[at])
            if found:
                return found
        fetched = [LogEntry(stored, p) for stored, p in fetch(position)]
        if fetched:
            with self._lock:
                previous = position
                for entry in fetched:
                    self._entries.setdefault(entry.position, entry)
                    self._after[previous] = entry.position
                    previous = entry.position
                while len(self._entries) > self.KEPT:
                    oldest = next(iter(self._entries))
                    del self._entries[oldest]
                    self._after.pop(oldest, None)
                fetched = [self._entries.get(e.position, e) for e in fetched]
        return fetched

    def forget(self, position: int) -> None:
        """Drop the event at `position` (a view could not apply it): the next read of it goes
        to the table again, and so sees a repair made there."""
        with self._lock:
            self._entries.pop(position, None)
