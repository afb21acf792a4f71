"""Fixtures of the view tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from roadmap_svc.projections.runner import SupervisedRunner, start_runners, stop_runners
from roadmap_svc.storage.eventstore import eventsourcing_env
from tests.conftest import PortfolioStore


@pytest.fixture
def portfolio_runners(portfolio: PortfolioStore) -> Iterator[list[SupervisedRunner]]:
    """Every view's runner on the test's copy of the portfolio."""
    started = start_runners(eventsourcing_env(portfolio.target, pool_size=1))
    try:
        yield started
    finally:
        stop_runners(started)
