"""DataFetchCoordinator: one cached pass per cycle, IB-clamped timeframes, ccxt-shaped book."""

from __future__ import annotations

import pytest

from trader_cli.domain.models import to_ms
from trader_cli.domain.symbols import parse_symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import InputError
from trader_cli.services.data import DataFetchCoordinator

BHP = parse_symbol("BHP/AUD")


async def test_answers_are_cached_within_a_cycle_and_refreshed_after(trader) -> None:
    data = DataFetchCoordinator(trader)
    a = await data.candles(BHP, Timeframe.M5, 50)
    b = await data.candles(BHP, Timeframe.M5, 50)
    await data.quote(BHP)
    await data.quote(BHP)
    assert a is b
    assert data.requests == 2
    data.new_cycle()
    await data.quote(BHP)
    assert data.requests == 3


async def test_six_hour_bars_are_clamped_to_four_with_a_note(trader) -> None:
    data = DataFetchCoordinator(trader)
    bars = await data.candles(BHP, Timeframe.H6, 10)
    assert len(bars) == 10
    # 4-hour buckets from midnight in Sydney (UTC+10 in July): 08:00 and 12:00 local
    assert all((b.ts.hour + 10) % 4 == 0 and b.ts.minute == 0 for b in bars)
    assert data.notes == ["6h bars are not served by IB: using 4h"]


async def test_order_book_is_ccxt_shaped_and_lines_are_capped(trader) -> None:
    data = DataFetchCoordinator(trader, max_quote_lines=1)
    book = await data.order_book(BHP, depth=3)
    assert book["symbol"] == "BHP/AUD"
    assert book["source"] == "depth"
    assert len(book["bids"]) == 3 and len(book["asks"]) == 3
    (bid, bid_size), (ask, ask_size) = book["bids"][0], book["asks"][0]
    assert bid < ask
    assert bid_size > 0
    assert ask_size > 0
    assert book["timestamp"] == to_ms(trader.clock.now())
    await data.quote(BHP)
    with pytest.raises(InputError, match="IB limits market-data lines"):
        await data.quote(parse_symbol("CBA/AUD"))
    assert await data.my_fills(BHP) == []  # our own fills: none yet
