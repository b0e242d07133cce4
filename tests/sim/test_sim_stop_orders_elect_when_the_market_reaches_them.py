"""STP and STP LMT through plain ib_async: PreSubmitted until the simulated market reaches the
trigger, then a market (STP) or limit (STP LMT) order; off-tick triggers refused as IB does."""

from __future__ import annotations

from decimal import Decimal

from ib_async import IB, StopLimitOrder, StopOrder

from tests.sim.conftest import CENT, bhp_quoted, cents
from trader_cli.sim import SimGateway


async def test_a_sell_stop_waits_presubmitted_then_sells_at_the_market_once_the_bid_reaches_it(
    gw: SimGateway, ib: IB, wait
) -> None:
    bhp, ticker = await bhp_quoted(ib, wait)
    trigger = cents(ticker.bid) - Decimal("0.30")
    trade = ib.placeOrder(bhp, StopOrder("SELL", 100, float(trigger)))
    await wait(lambda: trade.orderStatus.status == "PreSubmitted")
    await gw.advance(5)
    assert (trade.orderStatus.status, trade.orderStatus.whyHeld) == ("PreSubmitted", "trigger")
    assert trade.fills == []

    await gw.move_market("BHP", trigger + CENT)  # the bid is at the trigger: IB elects the stop
    await wait(lambda: trade.orderStatus.status == "Filled")
    assert [e.status for e in trade.log][-3:] == ["Submitted", "Submitted", "Filled"]
    assert all(cents(f.execution.price) <= trigger for f in trade.fills)
    assert sum(f.execution.shares for f in trade.fills) == 100


async def test_a_buy_stop_elects_when_the_market_trades_at_or_above_it(
    gw: SimGateway, ib: IB, wait
) -> None:
    bhp, ticker = await bhp_quoted(ib, wait)
    trigger = cents(ticker.ask) + Decimal("0.30")
    trade = ib.placeOrder(bhp, StopOrder("BUY", 100, float(trigger)))
    await wait(lambda: trade.orderStatus.status == "PreSubmitted")

    await gw.move_market("BHP", trigger - 2 * CENT)  # not there yet
    assert trade.orderStatus.status == "PreSubmitted"
    await gw.move_market("BHP", trigger)
    await wait(lambda: trade.orderStatus.status == "Filled")
    assert all(cents(f.execution.price) >= trigger for f in trade.fills)


async def test_a_stop_limit_that_elects_but_cannot_fill_at_its_limit_rests_as_a_limit(
    gw: SimGateway, ib: IB, wait
) -> None:
    bhp, ticker = await bhp_quoted(ib, wait)
    trigger = cents(ticker.bid) - Decimal("0.30")
    limit = trigger - Decimal("0.05")
    trade = ib.placeOrder(bhp, StopLimitOrder("SELL", 100, float(limit), float(trigger)))
    await wait(lambda: trade.orderStatus.status == "PreSubmitted")

    await gw.move_market("BHP", trigger - Decimal("0.50"))  # gaps through trigger and limit
    await wait(lambda: trade.orderStatus.status == "Submitted")
    await gw.advance(5)
    assert (trade.orderStatus.status, trade.orderStatus.whyHeld) == ("Submitted", "")
    assert trade.fills == []  # a limit never sells below its price

    await gw.move_market("BHP", limit + 2 * CENT)  # back up: the bid reaches the limit
    await wait(lambda: trade.orderStatus.status == "Filled")
    assert all(cents(f.execution.price) >= limit for f in trade.fills)


async def test_an_off_tick_trigger_is_refused_with_110_and_nothing_rests(ib: IB, errors, wait):
    bhp, _ticker = await bhp_quoted(ib, wait)
    trade = ib.placeOrder(bhp, StopOrder("SELL", 100, 40.005))
    await wait(lambda: 110 in errors.codes())
    assert (
        trade.order.orderId,
        110,
        "The price does not conform to the minimum price variation for this contract.",
    ) in errors.items
    await wait(lambda: trade.orderStatus.status == "Cancelled")
    assert await ib.reqOpenOrdersAsync() == []


async def test_a_stop_does_not_elect_while_the_market_is_closed(gw: SimGateway, ib: IB, wait):
    bhp, ticker = await bhp_quoted(ib, wait)
    trigger = cents(ticker.bid) - Decimal("0.30")
    trade = ib.placeOrder(bhp, StopOrder("SELL", 100, float(trigger), tif="GTC"))
    await wait(lambda: trade.orderStatus.status == "PreSubmitted")
    gw.clock.advance(6 * 3600)  # 17:00 in Sydney: the ASX has closed
    await gw.move_market("BHP", trigger - 1)
    await gw.advance(5)
    assert trade.orderStatus.status == "PreSubmitted"
    gw.clock.advance(17 * 3600)  # the next morning, the market opens through the trigger
    await gw.tick()
    await wait(lambda: trade.orderStatus.status == "Filled")
