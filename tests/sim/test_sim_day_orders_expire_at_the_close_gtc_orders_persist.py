"""DAY orders end at their market's close (ASX 16:00 Sydney, IDEALPRO 17:00 New York) with
Cancelled and 202; GTC orders, stops and OCA links stay, across the close and a gateway restart
on the same saved world."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ib_async import IB, Forex, LimitOrder, Trade

from tests.sim.conftest import bhp_quoted, cents
from trader_cli.sim import SimClock, SimGateway

TIMEOUT = 3.0
# Wednesday 3 July 2024, 15:50 in Sydney: ten minutes before the ASX closes (06:00 UTC)
BEFORE_ASX_CLOSE = datetime(2024, 7, 3, 5, 50, tzinfo=UTC)
ASX_CLOSE = datetime(2024, 7, 3, 6, 0, tzinfo=UTC)
# the same day 16:30 in New York (EDT): IDEALPRO's day ends at 17:00 there, 21:00 UTC
BEFORE_FX_CLOSE = datetime(2024, 7, 3, 20, 30, tzinfo=UTC)
FX_CLOSE = datetime(2024, 7, 3, 21, 0, tzinfo=UTC)
NEXT_ASX_MORNING = datetime(2024, 7, 4, 0, 30, tzinfo=UTC)  # 10:30 in Sydney


async def _connect(gw: SimGateway, client_id: int = 1) -> IB:
    client = IB()
    client.RequestTimeout = TIMEOUT
    await client.connectAsync("127.0.0.1", gw.port, clientId=client_id, timeout=TIMEOUT)
    return client


@pytest.fixture
def clock() -> SimClock:
    return SimClock.pinned(BEFORE_ASX_CLOSE)


async def test_a_day_order_is_cancelled_at_the_asx_close_and_a_gtc_order_stays(
    gw: SimGateway, ib: IB, errors, wait
) -> None:
    bhp, ticker = await bhp_quoted(ib, wait)
    far = round(ticker.bid - 1, 2)
    day = ib.placeOrder(bhp, LimitOrder("BUY", 100, far))  # IB's default time in force: DAY
    gtc = ib.placeOrder(bhp, LimitOrder("BUY", 100, far, tif="GTC"))
    await wait(lambda: gtc.orderStatus.status == "Submitted")

    await gw.advance((ASX_CLOSE - BEFORE_ASX_CLOSE).total_seconds() - 1, step=60)
    assert day.orderStatus.status == "Submitted"  # one second before the close
    await gw.advance(1)
    await wait(lambda: day.orderStatus.status == "Cancelled")
    await wait(lambda: (day.order.orderId, 202, "Order Canceled - reason:") in errors.items)
    assert gtc.orderStatus.status == "Submitted"

    gw.clock.set(NEXT_ASX_MORNING)
    await gw.tick()
    [left] = await ib.reqOpenOrdersAsync()
    assert (left.order.orderId, left.orderStatus.status) == (gtc.order.orderId, "Submitted")
    completed = await ib.reqCompletedOrdersAsync(False)
    assert [(t.order.permId, t.orderStatus.status) for t in completed] == [
        (day.order.permId, "Cancelled")
    ]


async def test_a_day_order_on_idealpro_expires_at_17_new_york(wait) -> None:
    clock = SimClock.pinned(BEFORE_FX_CLOSE)
    async with SimGateway.start(seed=7, clock=clock) as gw:
        ib = await _connect(gw)
        try:
            pair = Forex("AUDUSD")
            await ib.qualifyContractsAsync(pair)
            ticker = ib.reqMktData(pair)
            await wait(lambda: ticker.bid > 0)
            trade = ib.placeOrder(pair, LimitOrder("BUY", 20000, round(ticker.bid - 0.01, 5)))
            await wait(lambda: trade.orderStatus.status == "Submitted")
            await gw.advance((FX_CLOSE - BEFORE_FX_CLOSE).total_seconds() - 1, step=60)
            assert trade.orderStatus.status == "Submitted"
            await gw.advance(1)
            await wait(lambda: trade.orderStatus.status == "Cancelled")
        finally:
            ib.disconnect()


@pytest.fixture
async def saved_gw(tmp_path: Path) -> AsyncIterator[tuple[SimGateway, Path]]:
    state = tmp_path / "ib-world.json"
    async with SimGateway.start(
        seed=7, clock=SimClock.pinned(BEFORE_ASX_CLOSE), state_path=state
    ) as gw:
        yield gw, state


async def test_gtc_brackets_survive_the_close_and_a_gateway_restart_and_still_protect(
    saved_gw: tuple[SimGateway, Path], wait
) -> None:
    gw, state = saved_gw
    ib = await _connect(gw)
    bhp, ticker = await bhp_quoted(ib, wait)
    entry = cents(ticker.ask)
    bracket = ib.bracketOrder(
        "BUY", 100, float(entry), float(entry + 1), float(entry - 1), tif="GTC"
    )
    trades: list[Trade] = [ib.placeOrder(bhp, o) for o in bracket]
    await wait(lambda: trades[0].orderStatus.status == "Filled")
    await wait(lambda: trades[1].orderStatus.status == "Submitted")
    day = ib.placeOrder(bhp, LimitOrder("BUY", 100, round(ticker.bid - 1, 2)))
    await wait(lambda: day.orderStatus.status == "Submitted")
    target_id, stop_id = trades[1].order.orderId, trades[2].order.orderId
    ib.disconnect()
    await gw.close()  # the gateway goes away before the close; the world is on disk

    later = SimClock.pinned(NEXT_ASX_MORNING)
    async with SimGateway.start(seed=7, clock=later, state_path=state) as again:
        await again.tick()  # the first tick after the restart: the DAY order has expired
        ib = await _connect(again, client_id=1)
        try:
            working = {t.order.orderId: t for t in await ib.reqOpenOrdersAsync()}
            assert set(working) == {target_id, stop_id}
            target, stop = working[target_id].order, working[stop_id].order
            assert target.ocaGroup == stop.ocaGroup != ""
            assert (stop.orderType, cents(stop.auxPrice), stop.tif) == ("STP", entry - 1, "GTC")
            assert working[stop_id].orderStatus.status == "PreSubmitted"

            # no process of ours is needed: the market goes through the stop, the venue acts
            ib.disconnect()
            await again.move_market("BHP", entry - 1)
            world = again.world
            statuses = {o.order_id: o.status for o in world.orders.values()}
            assert statuses[stop_id] == "Filled"
            assert statuses[target_id] == "Cancelled"
            assert statuses[day.order.orderId] == "Cancelled"
            assert world.positions[bhp_con_id(again)].quantity == 0
        finally:
            ib.disconnect()


def bhp_con_id(gw: SimGateway) -> int:
    inst = gw.catalogue.by_local_symbol("BHP")
    assert inst is not None
    return inst.con_id
