"""Contract: instruments, top of book and bars, through ``BaseTrader`` on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trader_cli.domain.timeframes import Timeframe

from .backends import Harness
from .helpers import is_aware_utc

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def test_resolve_gives_the_instrument_with_its_increments(venue: Harness) -> None:
    inst = await venue.trader.resolve(venue.symbol)
    assert inst.symbol == venue.symbol
    assert inst.venue_id
    assert inst.exchange
    assert inst.currency == venue.symbol.quote
    assert isinstance(inst.min_tick, Decimal) and inst.min_tick > 0
    assert isinstance(inst.size_increment, Decimal) and inst.size_increment > 0
    assert inst.order_types
    assert await venue.trader.resolve(venue.symbol) == inst


async def test_quote_is_two_sided_with_sizes_and_an_aware_utc_time(venue: Harness) -> None:
    q = await venue.trader.get_market_data(venue.symbol)
    assert q.symbol == str(venue.symbol)
    assert q.bid is not None and q.ask is not None
    assert isinstance(q.bid, Decimal) and isinstance(q.ask, Decimal)
    assert 0 < q.bid < q.ask
    assert q.bid_size is not None and q.bid_size > 0
    assert q.ask_size is not None and q.ask_size > 0
    assert is_aware_utc(q.timestamp)
    assert q.timestamp <= venue.now()
    assert not q.half_book


@pytest.mark.parametrize("timeframe", [Timeframe.M5, Timeframe.H1])
async def test_bars_are_counted_ordered_consistent_and_on_the_timeframe(
    venue: Harness, timeframe: Timeframe
) -> None:
    bars = await venue.trader.fetch_ohlcv(venue.symbol, timeframe, 40)
    assert len(bars) == 40
    stamps = [b.ts for b in bars]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)  # oldest first, unique
    assert stamps[-1] <= venue.now()
    for bar in bars:
        assert is_aware_utc(bar.ts)
        assert (bar.ts - EPOCH).total_seconds() % timeframe.seconds == 0, bar.ts
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert bar.low > 0 and bar.volume >= 0
        assert all(isinstance(v, Decimal) for v in (bar.open, bar.high, bar.low, bar.close))
