"""Settings from ROADMAP_* environment variables, loaded once and passed in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec

PREFIX = "ROADMAP_"


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # Unset: an embedded PostgreSQL under data_dir is started and stopped by the service.
    database_url: str | None = None
    data_dir: str = ".roadmap"
    # Accepted as an admin token (bootstrap, automation); long enough to not be guessable.
    admin_token: Annotated[str, msgspec.Meta(min_length=16)] | None = None
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8000
    require_if_match: bool = False
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024, le=64 * 1024 * 1024)] = 1024 * 1024
    # Bounded wait of a read that asks for at least a given event position.
    read_wait_seconds: Annotated[float, msgspec.Meta(ge=0, le=30)] = 2.0
    db_pool_size: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10
    # The longest wait for a pooled connection, a new connection or (twice this) a statement:
    # past it the request answers 503 with Retry-After, never hangs.
    db_timeout_seconds: Annotated[float, msgspec.Meta(ge=0.5, le=120)] = 5.0
    # Aggregates kept in memory between commands (0: off); reads bring them up to date.
    aggregate_cache_size: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 1000
    # A snapshot of an aggregate every this many events (0: none), so loads stay short.
    snapshot_interval: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 50
    # /readyz fails while a view lags the event store by more events than this.
    ready_max_lag: Annotated[int, msgspec.Meta(ge=1)] = 10_000
    # Start even if PostgreSQL may lose acknowledged writes (fsync or synchronous_commit off).
    allow_unsafe_postgres: bool = False
    # Worker processes of `roadmap-svc api` (uvicorn's), each with its own pools.
    api_processes: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    # json: one JSON object per line (with the request id), for log collectors.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Progress: a milestone forecast this many days (or more) after its target is off track.
    health_off_track_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 14
    # Revisits: an open initiative with no event for this many days is listed as stale.
    revisit_stale_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 30
    # Requests a token may send per minute, across all API processes (0: no limit).
    rate_limit_per_minute: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 6000
    # Webhooks: private, loopback and link-local targets are refused unless allowed.
    webhook_allow_private_targets: bool = False
    # A delivery is retried (exponential back-off from the first wait, with jitter) for this
    # long after its event, then given up.
    webhook_retry_hours: Annotated[float, msgspec.Meta(gt=0, le=24 * 30)] = 72.0
    webhook_first_retry_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 10.0
    webhook_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 10.0
    # Audit: the Ed25519 seed (base64 of 32 bytes) that signs checkpoints; unset: one is
    # generated into data_dir. Set the same one for every process of a deployment.
    audit_signing_key: str | None = None
    # A signed checkpoint of the audit chain's head this often, if it moved (0: on demand only).
    audit_checkpoint_minutes: Annotated[float, msgspec.Meta(ge=0, le=7 * 24 * 60)] = 60.0
    # How long a write's Idempotency-Key and its answer are kept (then purged).
    idempotency_key_hours: Annotated[float, msgspec.Meta(ge=1, le=24 * 90)] = 24.0

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ROADMAP_* variables; unknown or invalid ones stop start-up."""
    source = os.environ if environ is None else environ
    raw = {
        key[len(PREFIX) :].lower(): value.upper() if key == f"{PREFIX}LOG_LEVEL" else value
        for key, value in source.items()
        if key.startswith(PREFIX) and value != ""
    }
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(_name_the_variable(str(exc))) from None


def _name_the_variable(message: str) -> str:
    # msgspec says "... - at `$.port`"; users set ROADMAP_PORT.
    if " - at `$." in message:
        head, _, tail = message.partition(" - at `$.")
        field = tail.split("`", 1)[0]
        return f"{PREFIX}{field.upper()}: {head}"
    if "unknown field" in message.lower():
        field = message.split("`", 2)[1] if "`" in message else message
        return f"unknown setting {PREFIX}{field.upper()} (check its spelling)"
    return message
