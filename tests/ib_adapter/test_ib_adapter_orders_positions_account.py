"""IBTrader orders, positions, fills and account figures against the sim over loopback."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from trader_cli.domain.models import Liquidity, OrderStatus, OrderType, Side
from trader_cli.domain.money import Money
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import InvalidOrderError, SafetyRefused, VenueError
from trader_cli.venues.base import OrderRequest

from .conftest import until

BHP = parse_symbol("BHP/AUD")
NDQ = parse_symbol("NDQ/AUD")
AUDUSD = parse_symbol("AUD/USD")


def req(
    cid: str,
    side: Side,
    amount: int | str,
    price: str | None = None,
    symbol=BHP,
    type_: OrderType = OrderType.LIMIT,
) -> OrderRequest:
    spec = OrderSpec.of(type_, None if price is None else Decimal(price))
    return OrderRequest(cid, symbol, side, Decimal(amount), spec)


async def test_marketable_limit_fills_with_commission_and_order_ref(trader, gw) -> None:
    q = await trader.get_market_data(BHP)
    order = await trader.place_order(req("trd-t-1", Side.BUY, 100, str(q.ask)))
    assert order.client_order_id == "trd-t-1"
    assert order.id is not None and order.id.isdigit()  # permId, as a string
    await gw.advance(2)
    order = await trader.get_order("trd-t-1")
    assert order is not None
    assert order.status is OrderStatus.CLOSED
    assert order.filled == Decimal(100)
    assert order.remaining == 0
    assert order.average is not None and order.average <= q.ask
    assert order.fee is not None and order.fee.currency == "AUD"
    assert order.fee.cost == Decimal("6.00")  # 0.08% of ~4,300 AUD is under the AUD 6 minimum
    fills = await trader.get_my_trades(BHP)
    assert {f.client_order_id for f in fills} == {"trd-t-1"}
    assert sum(f.amount for f in fills) == Decimal(100)
    assert all(f.fee is not None and f.fee.source.value == "venue" for f in fills)
    assert all(f.liquidity in (Liquidity.TAKER, Liquidity.MAKER) for f in fills)
    assert all(isinstance(f.id, str) and f.order_id == order.id for f in fills)


async def test_large_order_fills_in_parts_against_depth(trader, gw) -> None:
    q = await trader.get_market_data(BHP)
    price = str(q.ask + Decimal("0.05"))
    order = await trader.place_order(req("trd-t-2", Side.BUY, 20000, price))
    partial = await trader.get_order("trd-t-2")
    assert partial is not None
    for _ in range(30):
        await gw.advance(1)
        partial = await trader.get_order("trd-t-2")
        assert partial is not None
        if partial.status is OrderStatus.CLOSED:
            break
    fills = await trader.get_my_trades(BHP)
    assert len(fills) > 1, "20,000 shares should need several fills against simulated depth"
    assert sum(f.amount for f in fills) == partial.filled
    assert order.client_order_id == partial.client_order_id


async def test_resting_limit_is_open_then_cancelled(trader, gw) -> None:
    q = await trader.get_market_data(BHP)
    far = str((q.bid * Decimal("0.9")).quantize(Decimal("0.01")))
    order = await trader.place_order(req("trd-t-3", Side.BUY, 10, far))
    assert order.status is OrderStatus.OPEN
    assert [o.client_order_id for o in await trader.get_open_orders()] == ["trd-t-3"]
    cancelled = await trader.cancel_order("trd-t-3")
    assert cancelled.status is OrderStatus.CANCELED
    assert await trader.get_open_orders() == []


async def test_open_orders_are_filtered_by_our_prefix(trader, gw) -> None:
    from ib_async import IB, LimitOrder, Stock

    outsider = IB()
    await outsider.connectAsync("127.0.0.1", gw.port, clientId=9, timeout=2)
    try:
        q = await trader.get_market_data(BHP)
        far = round(float(q.bid) * 0.9, 2)
        o = LimitOrder("BUY", 5, far)
        o.orderRef = "manual-1"
        outsider.placeOrder(Stock("BHP", "SMART", "AUD", primaryExchange="ASX"), o)
        await until(lambda: outsider.openTrades())
        await trader.place_order(req("trd-t-4", Side.BUY, 5, str(far)))
        ours = await trader.get_open_orders()
        everything = await trader.get_open_orders(ours_only=False)
        assert [o.client_order_id for o in ours] == ["trd-t-4"]
        assert {"trd-t-4", "manual-1"} <= {o.client_order_id for o in everything}
    finally:
        outsider.disconnect()


async def test_venue_rejection_is_definitive(trader, gw) -> None:
    q = await trader.get_market_data(BHP)
    gw.reject_next_order("SIMULATED: insufficient margin")
    order = await trader.place_order(req("trd-t-5", Side.BUY, 10, str(q.ask)))
    assert order.status is OrderStatus.REJECTED
    assert "insufficient margin" in (order.info["lastError"] or "")


async def test_no_acknowledgement_leaves_the_order_in_flight(trader, gw) -> None:
    q = await trader.get_market_data(BHP)
    trader.order_ack_timeout = 0.2
    gw.delay_replies(0.6)
    order = await trader.place_order(req("trd-t-6", Side.BUY, 10, str(q.ask)))
    assert order.status is OrderStatus.PENDING  # ambiguous: never guessed as rejected
    gw.delay_replies(0)
    await until(lambda: any(t.orderStatus.status != "PendingSubmit" for t in trader.ib.trades()))
    later = await trader.get_order("trd-t-6")
    assert later is not None and later.status in (OrderStatus.OPEN, OrderStatus.CLOSED)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (req("x1", Side.BUY, 0, "45.00"), "quantity must be positive"),
        (req("x2", Side.BUY, -5, "45.00"), "quantity must be positive"),
        (req("x3", Side.BUY, "10.5", "45.00"), "whole shares"),
        (req("x4", Side.BUY, 10, "45.005"), "price step 0.01"),
        (req("x6", Side.BUY, 10, None, NDQ, OrderType.MARKET), "market orders"),
    ],
)
async def test_bad_orders_are_refused_before_anything_is_sent(
    trader, gw, request_, message
) -> None:
    with pytest.raises(InvalidOrderError, match=message):
        await trader.place_order(request_)
    assert trader.ib.trades() == []
    assert gw.world.to_dict()["orders"] in ([], {})


async def test_market_order_where_allowed(trader, gw) -> None:
    order = await trader.place_order(req("trd-t-7", Side.BUY, 10, None, BHP, OrderType.MARKET))
    await gw.advance(1)
    order = await trader.get_order("trd-t-7")
    assert order is not None and order.status is OrderStatus.CLOSED
    assert order.type is OrderType.MARKET


async def test_short_positions_are_negative(trader, gw) -> None:
    q = await trader.get_market_data(BHP)
    await trader.place_order(req("trd-t-8", Side.SELL, 50, str(q.bid)))
    await gw.advance(2)
    (pos,) = [p for p in await trader.get_positions() if p.symbol == "BHP/AUD"]
    assert pos.quantity == Decimal(-50)
    assert pos.currency == "AUD"
    assert pos.current_price is not None and pos.current_price > 0
    assert pos.avg_price > 0


async def test_fx_fill_commission_is_in_usd(trader, gw) -> None:
    q = await trader.get_market_data(AUDUSD)
    await trader.place_order(req("trd-t-9", Side.BUY, 25000, str(q.ask), AUDUSD))
    await gw.advance(2)
    (fill, *_) = await trader.get_my_trades(AUDUSD)
    assert fill.fee is not None and fill.fee.currency == "USD"
    assert fill.fee.cost == Decimal("2.00")  # 0.2 bp of ~16k USD is under the USD 2 minimum


async def test_trades_since_filters_by_time(trader, gw) -> None:
    q = await trader.get_market_data(BHP)
    await trader.place_order(req("trd-t-10", Side.BUY, 10, str(q.ask)))
    await gw.advance(2)
    cut = gw.clock.now()
    await gw.advance(60)
    q = await trader.get_market_data(BHP)
    await trader.place_order(req("trd-t-11", Side.BUY, 10, str(q.ask)))
    await gw.advance(2)
    since = await trader.get_trades_from_timestamp(cut)
    assert {f.client_order_id for f in since} == {"trd-t-11"}
    assert len({f.client_order_id for f in await trader.get_my_trades()}) == 2


async def test_account_summary_and_equity_in_aud(trader) -> None:
    summary = await trader.get_account_summary()
    assert summary.base_currency == "AUD"
    assert summary.net_liquidation.currency == "AUD"
    assert summary.net_liquidation.amount > 0
    assert summary.available_funds is not None and summary.buying_power is not None
    assert "AUD" in summary.cash_by_currency
    assert await trader.get_equity() == summary.net_liquidation


async def test_equity_converts_to_another_base_currency(gw, settings, monkeypatch) -> None:
    from trader_cli.config import load_settings
    from trader_cli.venues.sim.venue import SimTrader

    monkeypatch.setenv("IB_BASE_CURRENCY", "USD")
    t = SimTrader(load_settings(), gw)
    await t.connect()
    try:
        usd = await t.get_equity()
        rate = await t.fx_rate("AUD", "USD")
        aud = (await t.get_account_summary()).cash_by_currency["AUD"]
        assert usd.currency == "USD"
        assert Decimal("0.5") < rate < Decimal("0.9")
        assert abs(usd.amount - aud.amount * rate) < Decimal("0.01")
        assert await t.to_base(Money(Decimal(100), "AUD")) == Money(Decimal(100) * rate, "USD")
        assert await t.fx_rate("USD", "AUD") == Decimal(1) / rate
    finally:
        await t.close()


async def test_paper_setting_refuses_a_live_account(clock, settings) -> None:
    from trader_cli.sim import SimGateway
    from trader_cli.venues.sim.venue import SimTrader

    async with SimGateway.start(seed=7, clock=clock, account="U7654321") as gw:
        t = SimTrader(settings, gw)
        await t.connect()
        try:
            q = await t.get_market_data(BHP)  # data is fine
            with pytest.raises(SafetyRefused, match=r"IB_PAPER=true but account U\*\*\*\*321"):
                await t.place_order(req("trd-t-12", Side.BUY, 10, str(q.ask)))
            assert t.ib.trades() == []
        finally:
            await t.close()


async def test_live_setting_refuses_a_paper_account_and_needs_live_flag(gw, monkeypatch) -> None:
    from trader_cli.config import load_settings
    from trader_cli.venues.sim.venue import SimTrader

    monkeypatch.setenv("IB_PAPER", "false")
    t = SimTrader(load_settings(), gw)
    await t.connect()
    try:
        with pytest.raises(SafetyRefused, match="IB_PAPER=false but account DU"):
            await t.place_order(req("trd-t-13", Side.BUY, 10, "45.00"))
        assert t.ib.trades() == []
    finally:
        await t.close()


async def test_fills_without_liquidity_fall_back_to_unknown(trader, gw) -> None:
    gw.omit_liquidity()  # IB often leaves lastLiquidity out
    q = await trader.get_market_data(BHP)
    await trader.place_order(req("trd-t-20", Side.BUY, 10, str(q.ask)))
    await gw.advance(2)
    fills = await trader.get_my_trades(BHP)
    assert fills
    assert all(f.liquidity is Liquidity.UNKNOWN for f in fills)
    assert all(f.info["conId"] == 4036812 and f.info["exchange"] for f in fills)
    gw.omit_liquidity(False)
    assert all(f.liquidity is not Liquidity.UNKNOWN for f in await trader.get_my_trades(BHP))


async def test_executions_past_the_cap_are_refused_with_a_clear_error(trader, gw) -> None:
    for n in range(3):
        q = await trader.get_market_data(BHP)
        await trader.place_order(req(f"trd-t-3{n}", Side.BUY, 10, str(q.ask)))
        await gw.advance(2)
    assert len(await trader.get_my_trades()) >= 3
    trader.max_executions = 2
    with pytest.raises(VenueError, match=r"processes at most 2 from one request") as caught:
        await trader.get_my_trades()
    assert "trader resync" in (caught.value.hint or "")


async def test_executions_are_asked_for_within_the_window(trader, gw) -> None:
    q = await trader.get_market_data(BHP)
    await trader.place_order(req("trd-t-40", Side.BUY, 10, str(q.ask)))
    await gw.advance(2)
    start = gw.clock.now() - timedelta(minutes=1)
    await gw.advance(2 * 3600, step=60)
    q = await trader.get_market_data(BHP)
    assert q.ask is not None
    await trader.place_order(req("trd-t-41", Side.BUY, 10, str(q.ask + Decimal("0.10"))))
    await gw.advance(5)
    trader.execution_window = timedelta(hours=1)
    assert {f.client_order_id for f in await trader.get_my_trades()} == {"trd-t-41"}
    assert {f.client_order_id for f in await trader.get_my_trades(since=start)} == {"trd-t-41"}
    trader.execution_window = timedelta(days=7)
    assert {f.client_order_id for f in await trader.get_my_trades(since=start)} == {
        "trd-t-40",
        "trd-t-41",
    }
