"""Orders sent with transmit=False: no reply, no working, until one of their group transmits."""

from __future__ import annotations

from decimal import Decimal

from ib_async import IB, LimitOrder, StopOrder

from tests.sim.conftest import bhp_quoted
from trader_cli.sim import SimGateway


async def test_an_untransmitted_order_gets_no_reply_and_never_works(
    gw: SimGateway, ib: IB, errors, wait
) -> None:
    bhp, ticker = await bhp_quoted(ib, wait)
    held = ib.placeOrder(bhp, LimitOrder("BUY", 100, ticker.ask, transmit=False))
    await ib.reqCurrentTimeAsync()  # a round trip: the sim has read the order
    await gw.advance(5)

    # IB sends nothing for an order it holds untransmitted: ib_async's own status stays
    assert held.orderStatus.status == "PendingSubmit"
    assert [e.status for e in held.log] == ["PendingSubmit"]
    assert held.fills == []  # marketable, yet it does not trade
    assert await ib.reqOpenOrdersAsync() == []
    assert errors.items == []
    assert gw.world.positions == {}


async def test_the_transmitting_child_releases_the_whole_bracket_parent_first(
    gw: SimGateway, ib: IB, wait
) -> None:
    bhp, ticker = await bhp_quoted(ib, wait)
    ask = Decimal(str(ticker.ask))
    parent = ib.placeOrder(bhp, LimitOrder("BUY", 100, float(ask), transmit=False))
    pid = parent.order.orderId
    target = ib.placeOrder(
        bhp, LimitOrder("SELL", 100, float(ask + 1), parentId=pid, transmit=False, tif="GTC")
    )
    await ib.reqCurrentTimeAsync()
    await gw.advance(2)
    assert parent.orderStatus.status == target.orderStatus.status == "PendingSubmit"

    stop = ib.placeOrder(
        bhp, StopOrder("SELL", 100, float(ask - 1), parentId=pid, transmit=True, tif="GTC")
    )
    await wait(lambda: parent.orderStatus.status == "Filled")  # it was marketable all along
    await wait(lambda: target.orderStatus.status == "Submitted")
    await wait(lambda: stop.orderStatus.status == "PreSubmitted" and stop.orderStatus.whyHeld)

    # (the engine's own test pins the order: parent, then children, acknowledged before any
    # works)
    assert [e.status for e in target.log][:3] == ["PendingSubmit", "PreSubmitted", "Submitted"]
    assert stop.orderStatus.whyHeld == "trigger"


async def test_sending_an_untransmitted_order_again_with_transmit_releases_it(
    gw: SimGateway, ib: IB, wait
) -> None:
    bhp, ticker = await bhp_quoted(ib, wait)
    far = round(ticker.bid - 1.0, 2)
    order = LimitOrder("BUY", 100, far, transmit=False)
    trade = ib.placeOrder(bhp, order)
    await ib.reqCurrentTimeAsync()
    assert trade.orderStatus.status == "PendingSubmit"

    order.transmit = True
    order.lmtPrice = round(far - 0.5, 2)
    ib.placeOrder(bhp, order)
    await wait(lambda: trade.orderStatus.status == "Submitted")
    [working] = await ib.reqOpenOrdersAsync()
    assert working.order.lmtPrice == round(far - 0.5, 2)
