"""ccxt's own recorded Gemini responses, through ccxt's parser and our mapping, into our models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trader_cli.domain.book import TapeKind
from trader_cli.domain.models import Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.domain.timeframes import Timeframe


def recorded(shared_data: Path, method: str, index: int = 0) -> dict[str, Any]:
    data = json.loads((shared_data / "ccxt-gemini-static/response/gemini.json").read_text())
    case: dict[str, Any] = data["methods"][method][index]
    return case


async def test_recorded_ticker_becomes_a_quote(shared_data, gemini, canned) -> None:
    case = recorded(shared_data, "fetchTicker")
    canned["/v1/pubticker/btcusdt"] = case["httpResponse"]
    canned["/v1/book/btcusdt"] = {"bids": [], "asks": []}
    trader = await gemini()
    q = await trader.get_market_data(parse_symbol("BTC/USDT"))
    parsed = case["parsedResponse"]
    assert q.symbol == "BTC/USDT"
    assert q.bid == Decimal("73367.96") and q.ask == Decimal("73385.27")
    assert q.last == Decimal("73268.24")
    assert q.volume == Decimal("3.5434218")
    assert q.timestamp == datetime.fromtimestamp(parsed["timestamp"] / 1000, tz=UTC)
    assert q.bid_size is None and q.ask_size is None  # the ticker has no sizes


async def test_recorded_candles_become_candles(shared_data, gemini, canned) -> None:
    case = recorded(shared_data, "fetchOHLCV")
    assert case["input"][1] == "1h"
    canned["/v2/candles/btcusdt/1hr"] = case["httpResponse"]
    trader = await gemini()
    bars = await trader.fetch_ohlcv(parse_symbol("BTC/USDT"), Timeframe.H1, 10)
    assert [b.as_row() for b in bars] == [
        [r[0], *(Decimal(str(x)) for x in r[1:])] for r in case["parsedResponse"]
    ]


async def test_recorded_public_trades_become_tape_prints(shared_data, gemini, canned) -> None:
    case = recorded(shared_data, "fetchTrades")
    canned["/v1/trades/btcusdt"] = case["httpResponse"]
    trader = await gemini()
    [trade] = await trader.fetch_public_trades(parse_symbol("BTC/USDT"), 1)
    expected = case["parsedResponse"][0]
    assert trade.id == expected["id"]
    assert trade.side is Side.BUY  # Gemini's "type": the taker's side
    assert trade.price == Decimal("73268.24") and trade.amount == Decimal("0.00028921")
    assert trade.kind is TapeKind.TRADE
    assert trade.timestamp == datetime.fromtimestamp(expected["timestamp"] / 1000, tz=UTC)
    assert trade.to_ccxt()["cost"] == trade.price * trade.amount


async def test_resolve_reads_tick_increment_and_minimum(gemini) -> None:
    trader = await gemini()
    inst = await trader.resolve(parse_symbol("ETH/USD"))
    # Gemini's tick_size is the amount increment, quote_increment the price tick
    assert inst.min_tick == Decimal("0.01")
    assert inst.size_increment == Decimal("0.000001")
    assert inst.to_dict()["minAmount"] == "0.001"
    assert inst.venue_id == "ethusd"
    assert not inst.market_orders_allowed
    assert trader.capabilities.fractional_amounts
    assert not trader.capabilities.market_orders


async def test_book_sizes_fill_the_quote(gemini, canned) -> None:
    canned["/v1/pubticker/btcusd"] = {"bid": "100.00", "ask": "100.50", "last": "100.20",
                                      "volume": {"BTC": "12.5", "USD": "1250",
                                                 "timestamp": 1710328245000}}
    canned["/v1/book/btcusd"] = {
        "bids": [{"price": "100.00", "amount": "1.5", "timestamp": "1710328245"}],
        "asks": [{"price": "100.50", "amount": "0.5", "timestamp": "1710328245"}],
    }
    trader = await gemini()
    q = await trader.get_market_data(parse_symbol("BTC/USD"))
    assert (q.bid, q.ask, q.bid_size, q.ask_size) == (
        Decimal("100.00"), Decimal("100.50"), Decimal("1.5"), Decimal("0.5"))
    assert q.ob_imbalance == Decimal("0.5")


@pytest.mark.parametrize("tf", [Timeframe.M2, Timeframe.H4, Timeframe.W1])
async def test_timeframes_gemini_has_no_candles_for_are_refused(gemini, tf) -> None:
    from trader_cli.errors import TimeframeError

    trader = await gemini()
    with pytest.raises(TimeframeError) as e:
        await trader.fetch_ohlcv(parse_symbol("BTC/USD"), tf, 5)
    assert "1m, 5m, 15m, 30m, 1h, 6h, 1d" in str(e.value)
    assert not trader.capabilities.supports(tf)
