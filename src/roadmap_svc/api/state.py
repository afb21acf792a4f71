"""What the running app holds: settings, the Application, the asyncpg pool and the runners."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar

from roadmap_svc.api.rate_limits import RateLimiter
from roadmap_svc.api.relay import ViewAnnouncements
from roadmap_svc.application import RoadmapApplication
from roadmap_svc.config import Settings
from roadmap_svc.projections.announcements import Announcement
from roadmap_svc.projections.planning_queries import PlanCache
from roadmap_svc.projections.runner import SupervisedRunner
from roadmap_svc.storage.pool import Pool


@dataclass
class AppState:
    settings: Settings
    application: RoadmapApplication
    pool: Pool
    dsn: str = ""  # for what runs on psycopg in a thread (audit verify)
    signing_key: Ed25519PrivateKey | None = None  # audit checkpoints' (read at start-up)
    runners: list[SupervisedRunner] = field(default_factory=list)
    plans: PlanCache = field(default_factory=PlanCache)
    announcements: ViewAnnouncements | None = None  # the live-update relay, once started
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0))
    # (token, Idempotency-Key) of the writes this process is handling now
    keys_in_flight: set[tuple[str, str]] = field(default_factory=set)

    KEY = "roadmap"

    def plans_hear(self, heard: Announcement | None) -> None:
        """The relay's news for the plan cache: which quarters changed (or: anything may have)."""
        relay = self.announcements
        self.plans.listening = relay is not None and relay.listening.is_set()
        if heard is None or heard.everything:
            self.plans.heard(None if heard is None else heard.view, None)
        else:
            self.plans.heard(heard.view, heard.changed.get("quarters", []))

    @classmethod
    def of(cls, app: Litestar) -> AppState:
        state: AppState = app.state[cls.KEY]
        return state
