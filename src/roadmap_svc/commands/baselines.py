"""Commands on quarter baselines: take one (the first of a quarter opens its aggregate)."""

from __future__ import annotations

from roadmap_svc.commands.unit_of_work import Creation, UnitOfWork, Work, command
from roadmap_svc.domain.baselines import (
    PlanSnapshot,
    QuarterBaselines,
    quarter_baselines_id,
)
from roadmap_svc.domain.errors import NotFoundError
from roadmap_svc.domain.meta import EventMeta


class BaselineCommands(UnitOfWork):
    @command
    def take_baseline(
        self, quarter: str, *, name: str, note: str | None, plan: PlanSnapshot, meta: EventMeta
    ) -> Creation[QuarterBaselines]:
        """Record `plan` (the quarter's plan as the caller read it) under `name`."""

        def take(work: Work) -> QuarterBaselines:
            baselines = work.find(QuarterBaselines, quarter_baselines_id(quarter))
            if baselines is None:
                baselines = QuarterBaselines.open(quarter, meta)
            baselines.take(name, note, plan, meta)
            return baselines

        return Creation(meta, take)

    def quarter_baselines(self, quarter: str) -> QuarterBaselines | None:
        """The quarter's baselines (None: none taken yet), to read only."""
        try:
            return self.read(QuarterBaselines, quarter_baselines_id(quarter))
        except NotFoundError:
            return None
