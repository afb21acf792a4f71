"""Where the database is: one parsed target used by psycopg, asyncpg and eventsourcing."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, quote, unquote, urlsplit

import msgspec

from roadmap_svc.config import ConfigError

DEFAULT_PORT = 5432
MIN_PORT = 1
MAX_PORT = 65535


class DatabaseTarget(msgspec.Struct, frozen=True, kw_only=True):
    host: str  # a host name, or a directory holding the server's Unix socket
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = "postgres"

    @property
    def dsn(self) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        dbname = quote(self.dbname, safe="")
        if self.host.startswith("/"):
            return f"postgresql://{auth}@/{dbname}?host={quote(self.host)}&port={self.port}"
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6 literal
        return f"postgresql://{auth}@{host}:{self.port}/{dbname}"

    def with_database(self, dbname: str) -> DatabaseTarget:
        return msgspec.structs.replace(self, dbname=dbname)

    def __repr__(self) -> str:  # never print the password
        return f"DatabaseTarget({self.user}@{self.host}:{self.port}/{self.dbname})"

    def __rich_repr__(self) -> Iterator[tuple[str, object]]:
        # msgspec's default lists every field; rich tracebacks would show the password.
        yield "host", self.host
        yield "port", self.port
        yield "user", self.user
        yield "dbname", self.dbname


def parse_database_url(url: str) -> DatabaseTarget:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ConfigError(
            "ROADMAP_DATABASE_URL must start with postgresql:// "
            f"(got {parts.scheme or 'nothing'!r})"
        )
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or ""])[0]
    if not host:
        raise ConfigError("ROADMAP_DATABASE_URL names no host")
    try:
        given = query["port"][0] if "port" in query else parts.port
        port = DEFAULT_PORT if given is None else int(given)
    except ValueError:
        raise ConfigError("ROADMAP_DATABASE_URL has an invalid port") from None
    if not MIN_PORT <= port <= MAX_PORT:
        raise ConfigError(f"ROADMAP_DATABASE_URL port must be {MIN_PORT}..{MAX_PORT}")
    dbname = unquote(parts.path.lstrip("/")) or "postgres"
    return DatabaseTarget(
        host=host,
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=dbname,
    )
