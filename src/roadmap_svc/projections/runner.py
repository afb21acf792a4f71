"""Supervised projection runners: the library's ProjectionRunner, restarted when it fails.

The library's subscription has no polling fallback and can stall or die with its LISTEN
connection (NOTES pitfall 2); a runner that errors is rebuilt after a short back-off, and
`restarts` / `last_error` are exposed so /readyz can tell.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import Environment, EnvType

from roadmap_svc.application import APPLICATION_NAME, RoadmapApplication
from roadmap_svc.projections.initiative_summary_view import InitiativeSummaryView
from roadmap_svc.projections.registry import PROJECTIONS, construct_view

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 10.0


class _ProjectionRunner(ProjectionRunner[RoadmapApplication, InitiativeSummaryView]):
    @staticmethod
    def _construct_env(name: str, env: EnvType | None = None) -> Environment:
        # As RoadmapApplication.construct_env: never merge os.environ into the library's settings.
        return Environment(name, dict(env or {}))


class SupervisedRunner:
    def __init__(
        self,
        projection_class: type[Projection[Any]],
        view_class: type[InitiativeSummaryView],
        env: dict[str, str],
    ) -> None:
        self.projection_class = projection_class
        self.view_class = view_class
        self.env = env
        self.restarts = 0
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._runner: ProjectionRunner[Any, Any] | None = None
        self._thread = threading.Thread(
            target=self._supervise, name=f"projection-{projection_class.name}", daemon=True
        )

    @property
    def name(self) -> str:
        return self.projection_class.name

    @property
    def is_running(self) -> bool:
        return self._thread.is_alive() and self._runner is not None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        runner = self._runner
        if runner is not None:
            runner.stop()
        self._thread.join(timeout)

    def _supervise(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                with _ProjectionRunner(
                    application_class=RoadmapApplication,
                    projection_class=self.projection_class,
                    view_class=self.view_class,
                    env=self.env,
                ) as runner:
                    self._runner = runner
                    backoff = 0.1
                    while not self._stopping.is_set() and not runner.is_interrupted.is_set():
                        runner.run_forever(timeout=0.5)
            except Exception as exc:
                self.restarts += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                logger.exception("projection %s failed; restarting in %.1fs", self.name, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            finally:
                self._runner = None


def start_runners(env: dict[str, str]) -> list[SupervisedRunner]:
    runners = [SupervisedRunner(p, v, env) for p, v in PROJECTIONS]
    for runner in runners:
        runner.start()
    return runners


def stop_runners(runners: list[SupervisedRunner]) -> None:
    for runner in runners:
        runner.stop()


def rebuild_all(env: dict[str, str]) -> None:
    """Reset every view with its tracking; runners started afterwards replay from the start.

    Run it while no runner is active (the service stopped), or the old runner keeps writing.
    """
    for projection_class, view_class in PROJECTIONS:
        view = construct_view(projection_class, view_class, env)
        try:
            view.reset(APPLICATION_NAME)
        finally:
            view.datastore.close()
