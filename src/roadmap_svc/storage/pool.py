"""The asyncpg pool that every query handler reads through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec

from roadmap_svc.storage.database import DatabaseTarget

# The stubs make Pool generic; at run time (where Litestar reads handler signatures) it is not.
if TYPE_CHECKING:
    Pool = asyncpg.Pool[asyncpg.Record]
else:
    Pool = asyncpg.Pool
DEFAULT_TIMEOUT_SECONDS = 5.0


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    # jsonb columns arrive as Python values, decoded by msgspec.
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: msgspec.json.encode(value).decode(),
        decoder=msgspec.json.decode,
        schema="pg_catalog",
    )


class _BoundedPool(Pool):
    """asyncpg's pool, whose fetch/execute wait for a free connection without limit: here
    they wait `acquire_timeout` at most, then raise TimeoutError (a 503)."""

    acquire_timeout: float = DEFAULT_TIMEOUT_SECONDS

    def acquire(self, *, timeout: float | None = None) -> Any:  # noqa: ANN401 - asyncpg's own
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)


async def create_pool(
    target: DatabaseTarget, size: int, wait_seconds: float = DEFAULT_TIMEOUT_SECONDS
) -> Pool:
    pool = _BoundedPool(
        host=target.host,
        port=target.port,
        user=target.user,
        password=target.password or None,
        database=target.dbname,
        min_size=1,
        max_size=size,
        timeout=wait_seconds,  # to connect
        command_timeout=2 * wait_seconds,
        init=_init_connection,
        # asyncpg.create_pool's own defaults, which the constructor does not have
        max_queries=50000,
        max_inactive_connection_lifetime=300.0,
        connect=None,
        setup=None,
        reset=None,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
    )
    pool.acquire_timeout = wait_seconds
    await pool
    return pool
