"""IB's historical-data rules as we obey them: the pacer and the duration plan (pure, no I/O)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from trader_cli.domain.timeframes import Timeframe
from trader_cli.venues.ib.pacing import HistoricalPacer, PacingRules


class SteppedClock:
    """A test clock: sleeping moves time instantly."""

    def __init__(self) -> None:
        self.t = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += timedelta(seconds=seconds)


def _times(
    pacer: HistoricalPacer, clock: SteppedClock, keys: list[tuple[object, object]]
) -> list[float]:
    start = clock.t

    async def run() -> list[float]:
        out = []
        for contract_key, request_key in keys:
            await pacer.acquire(contract_key, request_key)
            out.append((clock.t - start).total_seconds())
        return out

    return asyncio.run(run())


def test_sixty_requests_per_ten_minutes_then_it_waits() -> None:
    clock = SteppedClock()
    pacer = HistoricalPacer(PacingRules(margin=0), clock)
    times = _times(pacer, clock, [(f"c{i}", i) for i in range(61)])
    assert times[59] == 0
    assert times[60] == pytest.approx(600)
    window = [t for t in times if t < 600]
    assert len(window) <= 60


def test_identical_request_waits_fifteen_seconds() -> None:
    clock = SteppedClock()
    pacer = HistoricalPacer(PacingRules(margin=0), clock)
    assert _times(pacer, clock, [("c", "same"), ("c", "same")]) == [0, pytest.approx(15)]


def test_same_contract_at_most_five_per_two_seconds() -> None:
    clock = SteppedClock()
    pacer = HistoricalPacer(PacingRules(margin=0), clock)
    times = _times(pacer, clock, [("c", i) for i in range(11)])
    for i in range(len(times)):
        in_window = [t for t in times if times[i] <= t < times[i] + 2]
        assert len(in_window) <= 5
    assert times[5] == pytest.approx(2)


def test_penalty_holds_everything_back() -> None:
    clock = SteppedClock()
    pacer = HistoricalPacer(PacingRules(margin=0), clock)
    pacer.penalise(15)
    assert _times(pacer, clock, [("c", 1)]) == [pytest.approx(15)]
    assert pacer.waited == pytest.approx(15)


def test_step_size_rule_and_duration_plan() -> None:
    from trader_cli.venues.ib import mapping

    assert mapping.max_span_days(Timeframe.M1) == 1
    assert mapping.max_span_days(Timeframe.M2) == 2
    assert mapping.max_span_days(Timeframe.M5) == 7
    assert mapping.max_span_days(Timeframe.H1) == 30
    assert mapping.max_span_days(Timeframe.D1) == 365
    # 50 five-minute bars fit in one ASX session (72 bars) plus room for a closed day
    assert mapping.days_needed(Timeframe.M5, 50, "STK") <= 7
    assert mapping.days_needed(Timeframe.M5, 500, "STK") > 500 // 72
    assert mapping.duration_string(30) == "30 D"
    assert mapping.duration_string(400) == "2 Y"
    assert mapping.bar_size(Timeframe.H4) == "4 hours"
