"""Success metrics of an initiative: baseline, target, direction, and measurements over time."""

from __future__ import annotations

import math
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

import msgspec

from roadmap_svc.domain.dates import not_after_today
from roadmap_svc.domain.errors import InvalidValueError, MetricExistsError, NotFoundError
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.parts import InitiativePart
from roadmap_svc.domain.text import optional_text, required_text


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class Measurement(msgspec.Struct, frozen=True, kw_only=True):
    value: float
    measured_on: date
    note: str | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None


class Metric(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    unit: str
    baseline: float
    target: float
    direction: Direction
    measurements: tuple[Measurement, ...] = ()


def finite(field: str, value: float) -> float:
    # JSON cannot carry NaN or infinity: a stored one would come back as null.
    if not math.isfinite(value):
        raise InvalidValueError(field, "must be a finite number")
    return value


def check_target(baseline: float, target: float, direction: Direction) -> None:
    finite("baseline", baseline)
    finite("target", target)
    better = target > baseline if direction is Direction.HIGHER_IS_BETTER else target < baseline
    if not better:
        word = "above" if direction is Direction.HIGHER_IS_BETTER else "below"
        raise InvalidValueError(
            "target", f"must be {word} the baseline ({baseline:g}) when {direction.value}"
        )


class Metrics(InitiativePart):
    metrics: dict[UUID, Metric]

    def _init_parts(self) -> None:
        super()._init_parts()
        self.metrics = {}

    def metric(self, metric_id: UUID) -> Metric:
        try:
            return self.metrics[metric_id]
        except KeyError:
            raise NotFoundError("metric", metric_id) from None

    def define_metric(
        self,
        *,
        name: str,
        unit: str,
        baseline: float,
        target: float,
        direction: Direction,
        meta: EventMeta,
    ) -> Metric:
        self._require_open()
        clean = required_text("name", name)
        if any(m.name.casefold() == clean.casefold() for m in self.metrics.values()):
            raise MetricExistsError(clean)
        check_target(baseline, target, direction)
        event = self._record(
            MetricDefined,
            meta,
            metric_id=uuid4(),
            name=clean,
            unit=required_text("unit", unit),
            baseline=baseline,
            target=target,
            direction=direction,
        )
        return self.metrics[event.metric_id]

    def record_measurement(
        self,
        metric_id: UUID,
        *,
        value: float,
        measured_on: date,
        note: str | None,
        today: date,
        meta: EventMeta,
    ) -> Metric:
        """Record a measurement taken on `measured_on`, not after `today` (the occurred date)."""
        self._require_open()
        metric = self.metric(metric_id)
        self._record(
            MeasurementRecorded,
            meta,
            metric_id=metric_id,
            name=metric.name,
            unit=metric.unit,
            baseline=metric.baseline,
            target=metric.target,
            direction=metric.direction,
            value=finite("value", value),
            measured_on=not_after_today("measured_on", measured_on, today),
            note=optional_text("note", note),
        )
        return self.metrics[metric_id]


class MetricEvent(RoadmapEvent):
    # Every metric event names the metric, so a progress view needs no state.
    metric_id: UUID
    name: str
    unit: str
    baseline: float
    target: float
    direction: Direction


class MetricDefined(MetricEvent):
    def evolve(self, initiative: Metrics) -> None:
        initiative.metrics[self.metric_id] = Metric(
            id=self.metric_id,
            name=self.name,
            unit=self.unit,
            baseline=self.baseline,
            target=self.target,
            direction=self.direction,
        )


class MeasurementRecorded(MetricEvent):
    value: float
    measured_on: date
    note: str | None

    def evolve(self, initiative: Metrics) -> None:
        metric = initiative.metrics[self.metric_id]
        measurement = Measurement(
            value=self.value,
            measured_on=self.measured_on,
            note=self.note,
            recorded_by=self.meta.actor,
            recorded_at=self.timestamp,
        )
        initiative.metrics[self.metric_id] = msgspec.structs.replace(
            metric, measurements=(*metric.measurements, measurement)
        )
