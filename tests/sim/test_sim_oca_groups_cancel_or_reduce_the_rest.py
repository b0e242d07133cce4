"""OCA groups through plain ib_async: a stand-alone stop and target pair (how protection is
re-created for a position after a restart), reduction (types 2 and 3), unknown types refused."""

from __future__ import annotations

from ib_async import IB, LimitOrder, StopOrder

from tests.sim.conftest import bhp_quoted, cents
from trader_cli.sim import SimGateway


async def test_a_standalone_oca_stop_and_target_protect_a_position_like_a_bracket(
    gw: SimGateway, ib: IB, errors, wait
) -> None:
    bhp, ticker = await bhp_quoted(ib, wait)
    entry = ib.placeOrder(bhp, LimitOrder("BUY", 100, ticker.ask))
    await wait(lambda: entry.orderStatus.status == "Filled")
    price = cents(ticker.ask)
    group = {"ocaGroup": "trader-protect-BHP", "ocaType": 1, "tif": "GTC"}
    target = ib.placeOrder(bhp, LimitOrder("SELL", 100, float(price + 1), **group))
    stop = ib.placeOrder(bhp, StopOrder("SELL", 100, float(price - 1), **group))
    await wait(lambda: target.orderStatus.status == "Submitted")
    await wait(lambda: stop.orderStatus.status == "PreSubmitted")
    assert stop.orderStatus.whyHeld == "trigger"

    await gw.move_market("BHP", price - 1)
    await wait(lambda: stop.orderStatus.status == "Filled")
    await wait(lambda: target.orderStatus.status == "Cancelled")
    await wait(lambda: (target.order.orderId, 202, "Order Canceled - reason:") in errors.items)
    assert target.fills == []
    positions = await ib.reqPositionsAsync()
    assert [p.position for p in positions if p.contract.symbol == "BHP"] in ([], [0])


async def test_oca_type_3_reduces_the_other_orders_by_what_filled(
    gw: SimGateway, ib: IB, wait
) -> None:
    bhp, ticker = await bhp_quoted(ib, wait)
    group = {"ocaGroup": "reduce-1", "ocaType": 3}
    resting = ib.placeOrder(bhp, LimitOrder("SELL", 100, round(ticker.ask + 2, 2), **group))
    await wait(lambda: resting.orderStatus.status == "Submitted")
    taking = ib.placeOrder(bhp, LimitOrder("SELL", 40, ticker.bid, **group))
    await wait(lambda: taking.orderStatus.status == "Filled")

    await wait(lambda: resting.orderStatus.remaining == 60)
    assert resting.orderStatus.status == "Submitted"
    [still] = await ib.reqOpenOrdersAsync()
    assert still.order.totalQuantity == 60


async def test_an_oca_type_ib_does_not_have_is_refused_with_201(ib: IB, errors, wait) -> None:
    bhp, ticker = await bhp_quoted(ib, wait)
    trade = ib.placeOrder(
        bhp, LimitOrder("BUY", 10, round(ticker.bid - 1, 2), ocaGroup="G", ocaType=4)
    )
    await wait(lambda: 201 in errors.codes())
    [(_req, _code, text)] = [e for e in errors.items if e[1] == 201]
    assert "OCA type 4" in text
    await wait(lambda: trade.orderStatus.status == "Cancelled")
