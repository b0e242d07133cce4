"""A long run asks for history every cycle with a new end time: the pacer's identical-request
memory and the adapter's answer cache keep only what IB's 15 s window can still use."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trader_cli.domain.models import Candle
from trader_cli.venues.ib import history
from trader_cli.venues.ib.pacing import HistoricalPacer

START = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


class MinuteClock:
    """A sim-like clock a test moves by hand (one cycle a minute)."""

    def __init__(self) -> None:
        self.t = START

    def now(self) -> datetime:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


def test_the_pacer_forgets_identical_requests_past_the_window() -> None:
    clock = MinuteClock()
    pacer = HistoricalPacer(clock=clock)

    async def cycles() -> None:
        for n in range(500):  # a request with a new end time every minute
            await pacer.acquire(("BHP", "ASX", "TRADES"), ("BHP", f"end {n}"))
            clock.t += timedelta(minutes=1)

    asyncio.run(cycles())

    assert len(pacer._last_identical) == 1  # the last one: the only one inside 15 s


def test_the_answer_cache_keeps_only_answers_it_can_still_serve() -> None:
    cache: history.BarCache = {}
    candles = [Candle(START, *(Decimal(1),) * 5)]
    for n in range(500):
        now = START + timedelta(minutes=n)
        history.remember(cache, ("BHP", f"end {n}"), now, candles, keep=15.0)
        history.remember(cache, ("BHP", ""), now, candles, keep=15.0)  # up to now: re-asked

    assert set(cache) == {("BHP", "end 499"), ("BHP", "")}
    assert len(cache) <= history.BAR_CACHE_SIZE
