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


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    # jsonb columns arrive as Python values, decoded by msgspec.
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: msgspec.json.encode(value).decode(),
        decoder=msgspec.json.decode,
        schema="pg_catalog",
    )


async def create_pool(target: DatabaseTarget, size: int) -> Pool:
    pool = await asyncpg.create_pool(
        host=target.host,
        port=target.port,
        user=target.user,
        password=target.password or None,
        database=target.dbname,
        min_size=1,
        max_size=size,
        timeout=5,
        command_timeout=30,
        init=_init_connection,
    )
    if pool is None:  # pragma: no cover - only when the pool is created lazily
        raise RuntimeError("asyncpg returned no pool")
    return pool
