"""Plain ccxt trades against the SIMULATED Gemini REST API: public data, signed orders, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
import pytest

from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.gemini_rest import GeminiSimServer

# a Saturday: crypto trades 24/7 while the ASX and IDEALPRO are closed
WHEN = datetime(2024, 7, 6, 1, 0, tzinfo=UTC)


@pytest.fixture
async def sim() -> AsyncIterator[GeminiSimServer]:
    async with GeminiSimServer.start(clock=SimClock.pinned(WHEN), seed=3) as server:
        yield server


@pytest.fixture
async def exchange(sim: GeminiSimServer) -> AsyncIterator[Any]:
    client = ccxt.gemini({**sim.ccxt_config(), "enableRateLimit": False})
    try:
        yield client
    finally:
        await client.close()


async def test_public_market_data(exchange: Any) -> None:
    markets = await exchange.load_markets()
    assert {"BTC/USD", "ETH/USD", "SOL/USD"} <= set(markets)
    btc = markets["BTC/USD"]
    assert (btc["precision"]["price"], btc["precision"]["amount"]) == (0.01, 1e-08)
    assert btc["limits"]["amount"]["min"] == 0.00001
    ticker = await exchange.fetch_ticker("BTC/USD")
    assert 0 < ticker["bid"] < ticker["ask"]
    assert ticker["timestamp"] == int(WHEN.timestamp() * 1000)
    book = await exchange.fetch_order_book("BTC/USD")
    assert book["bids"][0][0] == ticker["bid"] and book["asks"][0][0] == ticker["ask"]
    assert len(book["bids"]) == 5
    candles = await exchange.fetch_ohlcv("ETH/USD", "1h", limit=10)
    assert len(candles) == 10
    assert all(c[2] >= max(c[1], c[4]) and c[3] <= min(c[1], c[4]) for c in candles)
    assert candles[-1][0] <= int(WHEN.timestamp() * 1000)
    trades = await exchange.fetch_trades("SOL/USD", limit=5)
    assert len(trades) == 5 and all(t["price"] > 0 and t["amount"] > 0 for t in trades)


async def test_resting_order_listed_then_cancelled(exchange: Any) -> None:
    await exchange.load_markets()
    ticker = await exchange.fetch_ticker("BTC/USD")
    price = round(ticker["bid"] * 0.95, 2)
    order = await exchange.create_order(
        "BTC/USD", "limit", "buy", 0.01, price, {"clientOrderId": "T-1-1"}
    )
    assert order["status"] == "open" and order["clientOrderId"] == "T-1-1"
    open_orders = await exchange.fetch_open_orders("BTC/USD")
    assert [o["id"] for o in open_orders] == [order["id"]]
    balance = await exchange.fetch_balance()
    assert balance["USD"]["free"] < balance["USD"]["total"] == 100000
    canceled = await exchange.cancel_order(order["id"], "BTC/USD")
    assert canceled["status"] == "canceled"
    assert await exchange.fetch_open_orders("BTC/USD") == []
    fetched = await exchange.fetch_order(order["id"], "BTC/USD")
    assert fetched["status"] == "canceled"


async def test_marketable_order_fills_with_taker_fee(exchange: Any) -> None:
    await exchange.load_markets()
    ticker = await exchange.fetch_ticker("BTC/USD")
    order = await exchange.create_order("BTC/USD", "limit", "buy", 0.05, ticker["ask"])
    assert order["status"] == "closed" and order["filled"] == 0.05
    assert order["average"] == ticker["ask"]
    trades = await exchange.fetch_my_trades("BTC/USD")
    assert [t["order"] for t in trades] == [order["id"]]
    fee = trades[0]["fee"]
    assert fee["currency"] == "USD"
    expected = Decimal(str(ticker["ask"])) * Decimal("0.05") * Decimal("0.004")
    assert Decimal(str(fee["cost"])) == expected.quantize(Decimal("0.00000001"))
    balance = await exchange.fetch_balance()
    assert balance["BTC"]["total"] == pytest.approx(1.05)
    cost = Decimal(str(ticker["ask"])) * Decimal("0.05") + expected
    assert (
        Decimal(str(balance["USD"]["total"]))
        == (Decimal(100000) - cost).quantize(Decimal("0.00000001")).normalize()
    )


async def test_resting_order_fills_as_maker_when_the_market_moves(
    sim: GeminiSimServer, exchange: Any
) -> None:
    await exchange.load_markets()
    ticker = await exchange.fetch_ticker("BTC/USD")
    price = round(ticker["ask"] + 20, 2)
    order = await exchange.create_order("BTC/USD", "limit", "sell", 0.01, price, {"postOnly": True})
    assert order["status"] == "open"
    for _ in range(24 * 60):
        sim.advance(60)
        if not sim.venue.world.orders[int(order["id"])].is_active:
            break
    done = await exchange.fetch_order(order["id"], "BTC/USD")
    assert done["status"] == "closed" and done["filled"] == 0.01
    (trade,) = await exchange.fetch_my_trades("BTC/USD")
    assert trade["info"]["aggressor"] is False
    assert trade["price"] >= price
    maker_fee = Decimal(str(trade["price"])) * Decimal("0.01") * Decimal("0.002")
    assert Decimal(str(trade["fee"]["cost"])) == maker_fee.quantize(Decimal("0.00000001"))


async def test_options_and_refusals(exchange: Any) -> None:
    await exchange.load_markets()
    ticker = await exchange.fetch_ticker("SOL/USD")
    post = await exchange.create_order(
        "SOL/USD", "limit", "buy", 1, ticker["ask"], {"postOnly": True}
    )
    assert post["status"] == "canceled" and post["info"]["reason"] == "MakerOrCancelWouldTake"
    ioc = await exchange.create_order(
        "SOL/USD", "limit", "buy", 1, ticker["bid"], {"timeInForce": "IOC"}
    )
    assert ioc["status"] == "canceled" and ioc["filled"] == 0
    with pytest.raises(ccxt.InsufficientFunds):
        await exchange.create_order("BTC/USD", "limit", "buy", 10, ticker["bid"] * 0 + 60000)
    with pytest.raises(ccxt.InvalidOrder):
        await exchange.create_order("SOL/USD", "limit", "buy", 0.0001, ticker["bid"])
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.cancel_order("123", "SOL/USD")


async def test_wrong_secret_is_an_authentication_error(sim: GeminiSimServer) -> None:
    config = sim.ccxt_config()
    config["secret"] = "not-the-secret"
    client = ccxt.gemini(config)
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await client.fetch_balance()
    finally:
        await client.close()


async def test_replayed_nonce_is_refused(sim: GeminiSimServer) -> None:
    client = ccxt.gemini(sim.ccxt_config())
    client.incrementing_nonce = lambda: 5  # type: ignore[method-assign]
    try:
        await client.fetch_balance()
        with pytest.raises(ccxt.InvalidNonce):
            await client.fetch_balance()
    finally:
        await client.close()


async def test_saved_world_holds_no_key_or_secret_yet_keeps_nonces(tmp_path: Path) -> None:
    """The world file names a key only by its fingerprint; nonces still survive a restart."""
    state = tmp_path / "gemini-world.json"
    key, secret = "account-PlantedKeyValue0001", "PlantedSecretValue0002"
    clock = SimClock.pinned(WHEN)
    async with GeminiSimServer.start(
        clock=clock, seed=3, state_path=state, api_key=key, api_secret=secret
    ) as server:
        client = ccxt.gemini(server.ccxt_config())
        client.incrementing_nonce = lambda: 7  # type: ignore[method-assign]
        try:
            await client.fetch_balance()
        finally:
            await client.close()
    text = state.read_text()
    assert key not in text
    assert secret not in text
    async with GeminiSimServer.start(
        clock=clock, seed=3, state_path=state, api_key=key, api_secret=secret
    ) as server:
        client = ccxt.gemini(server.ccxt_config())
        client.incrementing_nonce = lambda: 7  # type: ignore[method-assign]
        try:
            with pytest.raises(ccxt.InvalidNonce):
                await client.fetch_balance()
        finally:
            await client.close()
