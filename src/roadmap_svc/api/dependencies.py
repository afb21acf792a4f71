"""Litestar dependency providers: handlers ask for what they use by name."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

from roadmap_svc.api.requests import provide_config_write, provide_create, provide_write
from roadmap_svc.api.state import AppState
from roadmap_svc.application import RoadmapApplication
from roadmap_svc.config import Settings
from roadmap_svc.storage.pool import Pool


def _roadmap(request: Request[Any, Any, Any]) -> RoadmapApplication:
    return AppState.of(request.app).application


def _pool(request: Request[Any, Any, Any]) -> Pool:
    return AppState.of(request.app).pool


def _settings(request: Request[Any, Any, Any]) -> Settings:
    return AppState.of(request.app).settings


def _app_state(request: Request[Any, Any, Any]) -> AppState:
    return AppState.of(request.app)


DEPENDENCIES = {
    "roadmap": Provide(_roadmap, sync_to_thread=False),
    "pool": Provide(_pool, sync_to_thread=False),
    "settings": Provide(_settings, sync_to_thread=False),
    "app_state": Provide(_app_state, sync_to_thread=False),
    "write": Provide(provide_write, sync_to_thread=False),
    "create": Provide(provide_create, sync_to_thread=False),
    "config_write": Provide(provide_config_write, sync_to_thread=False),
}


# Handlers name what they need with these markers (Litestar 3 drops inferred dependencies).
RoadmapDep = NamedDependency[RoadmapApplication]
PoolDep = NamedDependency[Pool]
SettingsDep = NamedDependency[Settings]
AppStateDep = NamedDependency[AppState]
