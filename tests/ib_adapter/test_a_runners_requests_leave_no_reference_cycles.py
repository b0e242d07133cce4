"""What a runner does every cycle leaves no reference cycles behind: garbage in a cycle waits
for Python's full collection, and a long run's heap grows by what piles up between two.

A history request builds tenacity's retrying loop (a cycle of objects) only once IB refuses it
for pacing, and still tries at most ``HISTORY_ATTEMPTS`` times in all.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from trader_cli.domain.symbols import parse_symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import RateLimitError
from trader_cli.venues.ib.history import HISTORY_ATTEMPTS
from trader_cli.venues.sim.venue import SimTrader

BHP = parse_symbol("BHP/AUD")
PACING_VIOLATION = 162


@pytest.fixture
def garbage() -> Iterator[list[object]]:
    """What the cyclic collector finds from here to the test's ``gc.collect()``."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def modules_of(objects: list[object]) -> set[str]:
    return {type(o).__module__.split(".")[0] for o in objects}


async def test_a_history_request_answered_at_once_leaves_no_retrying_loop(
    trader: SimTrader, garbage: list[object]
) -> None:
    for timeframe in (Timeframe.M5, Timeframe.M15, Timeframe.H1):
        assert len(await trader.fetch_ohlcv(BHP, timeframe, 30)) == 30
    gc.collect()
    assert "tenacity" not in modules_of(garbage)


async def test_a_refused_request_is_retried_within_its_attempts(trader: SimTrader, gw) -> None:
    codes: list[int] = []

    def refuse_again(_req: int, code: int, _msg: str, _contract: object) -> None:
        codes.append(code)
        gw.force_pacing_violation()  # every request of this fetch is refused

    trader.ib.errorEvent += refuse_again
    gw.force_pacing_violation()
    with pytest.raises(RateLimitError):
        await trader.fetch_ohlcv(BHP, Timeframe.M5, 20)
    assert codes.count(PACING_VIOLATION) == HISTORY_ATTEMPTS
