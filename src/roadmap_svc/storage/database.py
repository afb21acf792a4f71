"""Where the database is: one parsed target used by psycopg, asyncpg and eventsourcing."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, unquote, urlsplit

import msgspec

from roadmap_svc.config import ConfigError


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
        if self.host.startswith("/"):
            return f"postgresql://{auth}@/{quote(self.dbname)}?host={quote(self.host)}&port={self.port}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{quote(self.dbname)}"

    def with_database(self, dbname: str) -> DatabaseTarget:
        return msgspec.structs.replace(self, dbname=dbname)

    def __repr__(self) -> str:  # never print the password
        return f"DatabaseTarget({self.user}@{self.host}:{self.port}/{self.dbname})"


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
        port = int(query.get("port", [parts.port or 5432])[0])
    except ValueError:
        raise ConfigError("ROADMAP_DATABASE_URL has an invalid port") from None
    dbname = unquote(parts.path.lstrip("/")) or "postgres"
    return DatabaseTarget(
        host=host,
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=dbname,
    )
