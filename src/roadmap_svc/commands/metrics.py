"""Commands on an initiative's success metrics and their measurements."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from roadmap_svc.commands.initiatives import InitiativeCommands
from roadmap_svc.commands.unit_of_work import Change, command
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.metrics import Direction, Metric


class MetricCommands(InitiativeCommands):
    @command
    def define_metric(
        self,
        initiative_id: UUID,
        *,
        name: str,
        unit: str,
        baseline: float,
        target: float,
        direction: Direction,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Metric]:
        return self.initiative_change(
            initiative_id,
            expected_version,
            meta,
            lambda i, _: i.define_metric(
                name=name,
                unit=unit,
                baseline=baseline,
                target=target,
                direction=direction,
                meta=meta,
            ),
        )

    @command
    def record_measurement(
        self,
        initiative_id: UUID,
        metric_id: UUID,
        *,
        value: float,
        measured_on: date | None,
        note: str | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Metric]:
        """Record a measurement taken on `measured_on` (default: the day it happened)."""
        today = self.occurred_day(meta)
        return self.initiative_change(
            initiative_id,
            expected_version,
            meta,
            lambda i, _: i.record_measurement(
                metric_id,
                value=value,
                measured_on=measured_on or today,
                note=note,
                today=today,
                meta=meta,
            ),
        )
