"""Time in force on the simulators: IOC fills what trades at once and cancels the rest (TWS and
Gemini); Gemini's maker-or-cancel is cancelled at once when it would take, and rests otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import ccxt.async_support as ccxt
import pytest
from ib_async import IB, LimitOrder, Stock

from trader_cli.sim import SimGateway
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.gemini_rest import GeminiSimServer

SATURDAY = datetime(2024, 7, 6, 1, 0, tzinfo=UTC)  # crypto trades; the ASX is closed


async def _bhp_ticker(ib: IB, wait: Any) -> tuple[Stock, Any]:
    bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
    await ib.qualifyContractsAsync(bhp)
    ticker = ib.reqMktData(bhp)
    await wait(lambda: ticker.ask > 0 and ticker.bid > 0)
    return bhp, ticker


def _ioc(action: str, qty: float, price: float) -> LimitOrder:
    order = LimitOrder(action, qty, price)
    order.tif = "IOC"
    return order


async def test_tws_ioc_fills_the_top_of_book_and_cancels_the_rest(
    gw: SimGateway, ib: IB, wait: Any
) -> None:
    bhp, ticker = await _bhp_ticker(ib, wait)
    top = ticker.askSize
    trade = ib.placeOrder(bhp, _ioc("BUY", 3000, ticker.ask))
    await wait(lambda: trade.orderStatus.status == "Cancelled")
    assert 0 < top < 3000  # bigger than the top of book: a plain limit would rest the rest
    assert trade.orderStatus.filled == top
    assert sum(f.execution.shares for f in trade.fills) == top
    await gw.advance(5)  # the book refreshes: a cancelled rest never fills later
    assert trade.orderStatus.filled == top
    assert not [t for t in await ib.reqOpenOrdersAsync() if t.order.permId == trade.order.permId]


async def test_tws_ioc_away_from_the_touch_is_cancelled_unfilled(ib: IB, wait: Any) -> None:
    bhp, ticker = await _bhp_ticker(ib, wait)
    trade = ib.placeOrder(bhp, _ioc("BUY", 100, ticker.bid - 0.05))
    await wait(lambda: trade.orderStatus.status == "Cancelled")
    assert trade.orderStatus.filled == 0 and not trade.fills
    day = ib.placeOrder(bhp, LimitOrder("BUY", 100, ticker.bid - 0.05))  # DAY: it rests
    await wait(lambda: day.orderStatus.status == "Submitted")


async def test_tws_ioc_while_the_market_is_closed_is_cancelled(wait: Any) -> None:
    async with SimGateway.start(seed=3, clock=SimClock.pinned(SATURDAY)) as gw:
        ib = IB()
        await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=3)
        try:
            bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
            await ib.qualifyContractsAsync(bhp)
            trade = ib.placeOrder(bhp, _ioc("BUY", 100, 45.0))
            await wait(lambda: trade.orderStatus.status == "Cancelled")
            assert trade.orderStatus.status == "Cancelled" and trade.orderStatus.filled == 0
        finally:
            ib.disconnect()


@pytest.fixture
async def gemini() -> AsyncIterator[tuple[GeminiSimServer, Any]]:
    async with GeminiSimServer.start(clock=SimClock.pinned(SATURDAY), seed=3) as server:
        client = ccxt.gemini({**server.ccxt_config(), "enableRateLimit": False})
        try:
            await client.load_markets()
            yield server, client
        finally:
            await client.close()


async def test_gemini_ioc_fills_what_trades_and_cancels_the_rest(gemini: Any) -> None:
    sim, exchange = gemini
    book = await exchange.fetch_order_book("SOL/USD")
    ask, top = book["asks"][0]
    amount = round(top * 2, 4)  # twice the best ask's size, at the best ask only
    order = await exchange.create_order(
        "SOL/USD", "limit", "buy", amount, ask, {"timeInForce": "IOC"}
    )
    assert order["status"] == "canceled"
    assert order["filled"] == pytest.approx(top)
    assert order["remaining"] == pytest.approx(amount - top)
    assert order["info"]["reason"] == "ImmediateOrCancelWouldPost"
    assert order["info"]["options"] == ["immediate-or-cancel"]
    trades = await exchange.fetch_my_trades("SOL/USD")
    assert sum(t["amount"] for t in trades) == pytest.approx(top)
    assert all(t["info"]["aggressor"] is True for t in trades)  # Gemini: True is a taker
    sim.advance(600)  # ten minutes on: nothing of it rests to fill later
    assert (await exchange.fetch_order(order["id"], "SOL/USD"))["filled"] == pytest.approx(top)
    assert await exchange.fetch_open_orders() == []


async def test_gemini_maker_or_cancel_rests_or_is_cancelled_unfilled(gemini: Any) -> None:
    _, exchange = gemini
    ticker = await exchange.fetch_ticker("BTC/USD")
    taking = await exchange.create_order(
        "BTC/USD", "limit", "buy", 0.01, ticker["ask"], {"postOnly": True}
    )
    assert taking["status"] == "canceled" and taking["filled"] == 0
    assert taking["info"]["reason"] == "MakerOrCancelWouldTake"
    assert taking["info"]["options"] == ["maker-or-cancel"]
    assert await exchange.fetch_my_trades("BTC/USD") == []
    resting = await exchange.create_order(
        "BTC/USD", "limit", "buy", 0.01, ticker["bid"], {"postOnly": True}
    )
    assert resting["status"] == "open"
    assert [o["id"] for o in await exchange.fetch_open_orders()] == [resting["id"]]
