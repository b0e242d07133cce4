"""``flatten``: shorts and longs closed, marketable limits where market orders are not allowed."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

import pytest

from trader_cli.db import store
from trader_cli.domain.models import OrderStatus, OrderType, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.context import TradingContext
from trader_cli.services.flatten import flatten
from trader_cli.services.orders import OrderIntent

from .conftest import SCOPE

NDQ = parse_symbol("NDQ/AUD")  # the sim's contract that refuses market orders
BHP = parse_symbol("BHP/AUD")


@pytest.fixture
def ctx(settings, venue, session, orders) -> TradingContext:
    return TradingContext(settings, venue, session, orders, SCOPE)


async def _position(ctx, symbol, side, qty) -> None:
    q = await ctx.venue.get_market_data(symbol)
    price = q.bid if side is Side.SELL else q.ask
    order = await ctx.orders.submit(OrderIntent(symbol, side, Decimal(qty), OrderType.LIMIT, price))
    assert (await ctx.orders.wait(order.client_order_id, within=10)).status is OrderStatus.CLOSED


async def test_short_on_a_no_market_contract_is_covered_with_a_bumped_marketable_limit(ctx, gw):
    inst = await ctx.venue.resolve(NDQ)
    assert not inst.market_orders_allowed
    await _position(ctx, NDQ, Side.SELL, 40)
    (pos,) = [p for p in await ctx.venue.get_positions() if p.symbol == "NDQ/AUD"]
    assert pos.quantity == -40
    quote = await ctx.venue.get_market_data(NDQ)
    report = await flatten(ctx, [NDQ], use_market=True, wait_seconds=5)
    (line,) = report.lines
    assert line.side is Side.BUY
    assert line.left == 0
    assert "market orders not allowed" in line.note or line.note == "flat"
    first = line.orders[0]
    assert first["type"] == "limit"
    bump = ctx.settings.risk.marketable_limit_slippage_bps / Decimal(10_000)
    expected = (quote.ask * (1 + bump) / Decimal("0.01")).to_integral_value(
        ROUND_CEILING
    ) * Decimal("0.01")
    assert Decimal(first["price"]) == expected
    assert Decimal(first["price"]) > quote.ask
    row = store.find_order_by_client_id(first["clientOrderId"])
    assert row.reason == "flatten"
    assert row.type is OrderType.LIMIT
    assert not [p for p in await ctx.venue.get_positions() if p.symbol == "NDQ/AUD"]


async def test_long_with_market_allowed_and_requested_uses_a_market_order(ctx, gw):
    await _position(ctx, BHP, Side.BUY, 25)
    report = await flatten(ctx, None, use_market=True, wait_seconds=5)
    (line,) = report.lines
    assert line.side is Side.SELL
    assert line.orders[0]["type"] == "market"
    assert not report.remaining


async def test_working_orders_on_the_symbol_are_cancelled_first(ctx, gw):
    await _position(ctx, BHP, Side.BUY, 10)
    q = await ctx.venue.get_market_data(BHP)
    resting = await ctx.orders.submit(
        OrderIntent(
            BHP,
            Side.BUY,
            Decimal(10),
            OrderType.LIMIT,
            (q.bid * Decimal("0.9")).quantize(Decimal("0.01")),
        )
    )
    report = await flatten(ctx, [BHP], wait_seconds=5)
    assert resting.client_order_id in report.cancelled
    assert store.find_order_by_client_id(resting.client_order_id).status is OrderStatus.CANCELED
    assert not report.remaining


async def test_closed_market_is_reported_and_nothing_sent(ctx, gw):
    await _position(ctx, BHP, Side.BUY, 10)
    before = store.open_orders()
    gw.clock.advance(3 * 24 * 3600 + 6 * 3600)  # Saturday night in Sydney
    report = await flatten(ctx, [BHP], wait_seconds=5)
    (line,) = report.lines
    assert line.left == 10
    assert line.orders == []
    assert "market closed" in line.note
    assert store.open_orders() == before


async def test_symbol_without_a_position_is_reported(ctx):
    report = await flatten(ctx, [parse_symbol("CBA/AUD")])
    (line,) = report.lines
    assert line.note == "no position"
    assert not report.remaining
