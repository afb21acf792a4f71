"""The app of one of `roadmap-svc api`'s worker processes, which uvicorn starts afresh (they
share no memory with the command that started them): settings from the environment, the
database from ROADMAP_DATABASE_URL (which the command sets to its embedded server, if any)."""

from __future__ import annotations

from litestar import Litestar

from roadmap_svc.api.app import create_app
from roadmap_svc.cli import tune_garbage_collector
from roadmap_svc.config import ConfigError, load_settings
from roadmap_svc.logs import configure_logging
from roadmap_svc.storage.database import parse_database_url


def app_from_environment() -> Litestar:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.database_url is None:  # pragma: no cover - `api` always sets it
        raise ConfigError("ROADMAP_DATABASE_URL is not set")
    app = create_app(settings, parse_database_url(settings.database_url), run_projections=False)
    tune_garbage_collector()
    return app
