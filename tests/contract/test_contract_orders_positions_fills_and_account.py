"""Contract: orders by client order id, positions, fills and the account, on every backend."""

from __future__ import annotations

import pytest

from trader_cli.domain.models import Fee, Liquidity, OrderStatus, Side

from .backends import Backend, Harness
from .helpers import filled, is_aware_utc, marketable_price, request, resting_buy_price


async def test_place_get_and_cancel_by_client_order_id(venue: Harness) -> None:
    trader = venue.trader
    price = await resting_buy_price(trader, venue.symbol)
    req = request(venue, "rest", Side.BUY, 10, price)
    placed = await trader.place_order(req)
    assert placed.client_order_id == req.client_order_id
    assert placed.status is OrderStatus.OPEN
    assert placed.id
    assert (placed.symbol, placed.side, placed.amount, placed.price) == (
        str(venue.symbol),
        Side.BUY,
        req.amount,
        price,
    )
    found = await trader.get_order(req.client_order_id)
    assert found is not None and found.id == placed.id and found.status is OrderStatus.OPEN
    by_venue_id = await trader.get_order_by_venue_id(placed.id)
    assert by_venue_id is not None and by_venue_id.client_order_id == req.client_order_id
    cancelled = await trader.cancel_order(req.client_order_id)
    assert cancelled.status is OrderStatus.CANCELED
    after = await trader.get_order(req.client_order_id)
    assert after is not None and after.status is OrderStatus.CANCELED
    assert await trader.get_order(f"{venue.prefix}-contract-never-placed") is None


async def test_placing_the_same_request_twice_makes_one_venue_order(venue: Harness) -> None:
    trader = venue.trader
    req = request(venue, "twice", Side.BUY, 10, await resting_buy_price(trader, venue.symbol))
    first = await trader.place_order(req)
    second = await trader.place_order(req)
    assert second.id == first.id
    working = [
        o
        for o in await trader.get_open_orders(ours_only=False)
        if o.client_order_id == req.client_order_id
    ]
    assert len(working) == 1


async def test_open_orders_are_ours_by_client_order_id_prefix(venue: Harness) -> None:
    trader = venue.trader
    price = await resting_buy_price(trader, venue.symbol)
    await venue.place_outside(venue.symbol, Side.BUY, 5 * venue.unit, price, "manual-1")
    ours = request(venue, "mine", Side.BUY, 5, price)
    await trader.place_order(ours)
    only_ours = await trader.get_open_orders()
    everything = await trader.get_open_orders(ours_only=False)
    assert [o.client_order_id for o in only_ours] == [ours.client_order_id]
    assert {ours.client_order_id, "manual-1"} <= {o.client_order_id for o in everything}


async def test_positions_are_signed_with_shorts_negative(venue: Harness) -> None:
    trader = venue.trader
    caps = trader.capabilities
    if not caps.short_selling:
        pytest.skip(f"{caps.name} has no short positions (spot: positions are balances >= 0)")
    buy = request(
        venue, "long", Side.BUY, 100, await marketable_price(trader, venue.symbol, Side.BUY)
    )
    sell = request(
        venue,
        "short",
        Side.SELL,
        40,
        await marketable_price(trader, venue.other_symbol, Side.SELL),
        symbol=venue.other_symbol,
    )
    await trader.place_order(buy)
    await trader.place_order(sell)
    assert (await filled(venue, buy.client_order_id)).status is OrderStatus.CLOSED
    assert (await filled(venue, sell.client_order_id)).status is OrderStatus.CLOSED
    positions = {p.symbol: p for p in await trader.get_positions()}
    assert positions[str(venue.symbol)].quantity == 100 * venue.unit
    assert positions[str(venue.other_symbol)].quantity == -40 * venue.unit
    for p in positions.values():
        assert p.avg_price > 0
        assert p.currency == venue.symbol.quote
        assert is_aware_utc(p.timestamp)


async def test_my_trades_since_a_time_carry_fee_and_liquidity(venue: Harness) -> None:
    trader = venue.trader
    before = venue.now()
    req = request(
        venue, "fill", Side.BUY, 50, await marketable_price(trader, venue.symbol, Side.BUY)
    )
    await trader.place_order(req)
    order = await filled(venue, req.client_order_id)
    assert order.status is OrderStatus.CLOSED
    fills = await trader.get_my_trades(venue.symbol, since=before)
    assert fills and {f.client_order_id for f in fills} == {req.client_order_id}
    assert sum(f.amount for f in fills) == req.amount
    assert [f.timestamp for f in fills] == sorted(f.timestamp for f in fills)
    for f in fills:
        assert f.symbol == str(venue.symbol) and f.side is Side.BUY
        assert f.order_id == order.id
        assert is_aware_utc(f.timestamp) and f.timestamp >= before
        assert isinstance(f.fee, Fee) and f.fee.cost > 0 and len(f.fee.currency) == 3
        assert f.liquidity in (Liquidity.MAKER, Liquidity.TAKER)
    assert await trader.get_trades_from_timestamp(before) == fills
    await venue.advance(5)
    assert await trader.get_my_trades(venue.symbol, since=venue.now()) == []


async def test_account_summary_is_in_the_base_currency(venue: Harness) -> None:
    summary = await venue.trader.get_account_summary()
    base = venue.base_currency
    assert summary.base_currency == base
    assert summary.net_liquidation.amount > 0
    figures = [
        summary.net_liquidation,
        summary.total_cash,
        summary.available_funds,
        summary.buying_power,
        summary.excess_liquidity,
        summary.init_margin,
        summary.maint_margin,
    ]
    assert {m.currency for m in figures if m is not None} == {base}
    assert is_aware_utc(summary.timestamp)
    assert await venue.trader.get_equity() == summary.net_liquidation


async def test_account_summary_converts_into_a_foreign_base_currency(backend: Backend) -> None:
    async with backend.open(backend.account_currency) as home:
        at_home = (await home.trader.get_account_summary()).net_liquidation
    async with backend.open(backend.foreign_base_currency) as abroad:
        summary = await abroad.trader.get_account_summary()
    assert summary.net_liquidation.currency == backend.foreign_base_currency
    assert summary.total_cash.currency == backend.foreign_base_currency
    assert summary.net_liquidation.amount not in (0, at_home.amount)  # converted, never 1:1
