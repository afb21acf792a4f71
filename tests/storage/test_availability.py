"""The database gate: after a connection failure, calls are refused at once until a probe
connects again; an exhausted pool is busy, not down; asyncpg's pool waits boundedly."""

from __future__ import annotations

import asyncio
import threading

import psycopg
import psycopg_pool
import pytest

from roadmap_svc.storage.availability import (
    Availability,
    DatabaseUnavailableError,
    pool_exhausted,
)
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.pool import create_pool


class FlakyServer:
    """A probe that fails until told the server is back."""

    def __init__(self) -> None:
        self.back = threading.Event()
        self.probes = 0
        self.reconnected = threading.Event()

    def probe(self) -> None:
        self.probes += 1
        if not self.back.is_set():
            raise psycopg.OperationalError("connection refused")

    def on_back(self) -> None:
        self.reconnected.set()


def test_a_failure_shuts_the_gate_until_a_probe_connects() -> None:
    server = FlakyServer()
    gate = Availability(server.probe, server.on_back)
    gate.ensure()  # open at first
    gate.failed(psycopg.OperationalError("server closed the connection unexpectedly\nmore"))
    assert not gate.is_up
    with pytest.raises(DatabaseUnavailableError, match="server closed the connection"):
        gate.ensure()
    gate.failed(psycopg.OperationalError("again"))  # one outage, one probe thread
    assert gate.outages == 1
    server.back.set()
    assert server.reconnected.wait(10)
    for _ in range(200):
        if gate.is_up:
            break
        threading.Event().wait(0.01)
    assert gate.is_up
    gate.ensure()
    assert server.probes >= 1


def test_an_exhausted_pool_is_busy_not_down(database: DatabaseTarget) -> None:
    pool = psycopg_pool.ConnectionPool(database.dsn, min_size=1, max_size=1, timeout=0.2)
    with pool, pool.connection(), pytest.raises(psycopg_pool.PoolTimeout) as caught:
        pool.getconn()
    assert pool_exhausted(caught.value)
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = caught.value
    assert pool_exhausted(wrapped)
    assert not pool_exhausted(psycopg.OperationalError("connection refused"))


async def test_the_query_pool_waits_for_a_free_connection_boundedly(
    database: DatabaseTarget,
) -> None:
    pool = await create_pool(database, 1, wait_seconds=0.5)
    try:
        async with pool.acquire():
            with pytest.raises(asyncio.TimeoutError):
                await pool.fetchval("SELECT 1")  # asyncpg's own would wait for ever
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        await pool.close()


def test_a_query_answered_opens_the_gate_at_once() -> None:
    server = FlakyServer()  # never back: only the answered query opens the gate
    gate = Availability(server.probe, server.on_back)
    gate.failed(psycopg.OperationalError("server closed the connection unexpectedly"))
    assert not gate.is_up
    gate.answered()
    gate.ensure()
