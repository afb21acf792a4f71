"""Success metrics of an initiative: baseline, target, direction, and measurements over time."""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from roadmap_svc.domain.errors import InvalidValueError
from roadmap_svc.domain.meta import EventMeta


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class Measurement(msgspec.Struct, frozen=True, kw_only=True):
    value: float
    measured_on: date
    note: str | None = None


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


class MetricDefined(Aggregate.Event):
    meta: EventMeta
    metric_id: UUID
    name: str
    unit: str
    baseline: float
    target: float
    direction: Direction

    def apply(self, aggregate: Any) -> None:  # noqa: ANN401 - the library's signature
        aggregate.metrics[self.metric_id] = Metric(
            id=self.metric_id,
            name=self.name,
            unit=self.unit,
            baseline=self.baseline,
            target=self.target,
            direction=self.direction,
        )


class MeasurementRecorded(Aggregate.Event):
    meta: EventMeta
    metric_id: UUID
    value: float
    measured_on: date
    note: str | None

    def apply(self, aggregate: Any) -> None:  # noqa: ANN401
        metric: Metric = aggregate.metrics[self.metric_id]
        measurement = Measurement(value=self.value, measured_on=self.measured_on, note=self.note)
        aggregate.metrics[self.metric_id] = msgspec.structs.replace(
            metric, measurements=(*metric.measurements, measurement)
        )
