"""ib_async's own bracketOrder against the sim: children held until the parent fills, then one
OCA pair (target working, stop waiting for its trigger); a fill of one cancels the other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from ib_async import IB, Stock, Ticker, Trade

from tests.sim.conftest import CENT, cents
from trader_cli.sim import SimGateway

TIMEOUT = 3.0
async def _bhp(ib: IB, wait) -> tuple[Stock, Ticker]:
    bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
    await ib.qualifyContractsAsync(bhp)
    ticker = ib.reqMktData(bhp)
    await wait(lambda: ticker.bid > 0 and ticker.ask > 0)
    return bhp, ticker


@pytest.fixture
async def observer(gw: SimGateway) -> AsyncIterator[IB]:
    """A second client, to see the orders as the venue holds them."""
    client = IB()
    client.RequestTimeout = TIMEOUT
    await client.connectAsync("127.0.0.1", gw.port, clientId=9, timeout=TIMEOUT)
    try:
        yield client
    finally:
        client.disconnect()


async def _placed_bracket(ib: IB, wait) -> tuple[Decimal, Trade, Trade, Trade]:
    """A buy bracket whose entry rests 50 cents under the bid: (entry, parent, target, stop)."""
    bhp, ticker = await _bhp(ib, wait)
    entry = cents(ticker.bid) - Decimal("0.50")
    bracket = ib.bracketOrder(
        "BUY", 100, float(entry), float(entry + 1), float(entry - 1), orderRef="BR-1"
    )
    parent, target, stop = (ib.placeOrder(bhp, order) for order in bracket)
    await wait(lambda: stop.orderStatus.status == "PreSubmitted")
    return entry, parent, target, stop


async def _filled_bracket(gw: SimGateway, ib: IB, wait) -> tuple[Decimal, Trade, Trade, Trade]:
    entry, parent, target, stop = await _placed_bracket(ib, wait)
    await gw.move_market("BHP", entry - CENT)  # the offer comes down to the entry
    await wait(lambda: parent.orderStatus.status == "Filled")
    await wait(lambda: target.orderStatus.status == "Submitted")
    return entry, parent, target, stop


async def test_a_bracket_placed_as_a_whole_holds_its_children_until_the_parent_fills(
    gw: SimGateway, ib: IB, observer: IB, wait
) -> None:
    entry, parent, target, stop = await _placed_bracket(ib, wait)

    assert parent.orderStatus.status == "Submitted"
    assert (target.orderStatus.status, target.orderStatus.whyHeld) == ("PreSubmitted", "child")
    assert (stop.orderStatus.status, stop.orderStatus.whyHeld) == ("PreSubmitted", "child,trigger")
    assert target.orderStatus.parentId == stop.orderStatus.parentId == parent.order.orderId

    # as the venue holds them: children of the parent, in one OCA group, the stop's trigger
    seen = {t.order.orderId: t.order for t in await observer.reqAllOpenOrdersAsync()}
    held_target, held_stop = seen[target.order.orderId], seen[stop.order.orderId]
    assert held_target.parentId == held_stop.parentId == parent.order.orderId
    assert held_target.ocaGroup == held_stop.ocaGroup != ""
    assert seen[parent.order.orderId].ocaGroup == ""
    assert (held_stop.orderType, cents(held_stop.auxPrice)) == ("STP", entry - 1)
    assert (held_target.orderType, cents(held_target.lmtPrice)) == ("LMT", entry + 1)

    # the parent fills: the target works, the stop waits for the market to reach its trigger
    await gw.move_market("BHP", entry - CENT)
    await wait(lambda: parent.orderStatus.status == "Filled")
    await wait(lambda: target.orderStatus.status == "Submitted")
    await wait(lambda: stop.orderStatus.whyHeld == "trigger")
    assert stop.orderStatus.status == "PreSubmitted"
    assert target.orderStatus.whyHeld == ""
    assert [f.execution.shares for f in parent.fills] == [100]


async def test_the_market_through_the_stop_fills_it_and_cancels_the_target(
    gw: SimGateway, ib: IB, errors, wait
) -> None:
    entry, _parent, target, stop = await _filled_bracket(gw, ib, wait)

    await gw.move_market("BHP", entry - 1)
    await wait(lambda: stop.orderStatus.status == "Filled")
    await wait(lambda: target.orderStatus.status == "Cancelled")

    assert [e.status for e in stop.log][-3:] == ["Submitted", "Submitted", "Filled"]
    assert sum(f.execution.shares for f in stop.fills) == 100
    assert all(cents(f.execution.price) <= entry - 1 for f in stop.fills)
    await wait(lambda: (target.order.orderId, 202) in [(r, c) for r, c, _ in errors.items])
    assert (target.order.orderId, 202, "Order Canceled - reason:") in errors.items
    assert target.orderStatus.filled == 0
    positions = await ib.reqPositionsAsync()
    assert [p.position for p in positions if p.contract.symbol == "BHP"] in ([], [0])
    assert await ib.reqOpenOrdersAsync() == []


async def test_the_market_through_the_target_fills_it_and_cancels_the_stop(
    gw: SimGateway, ib: IB, errors, wait
) -> None:
    entry, _parent, target, stop = await _filled_bracket(gw, ib, wait)

    await gw.move_market("BHP", entry + 1 + 2 * CENT)  # the bid rises above the target's limit
    await wait(lambda: target.orderStatus.status == "Filled")
    await wait(lambda: stop.orderStatus.status == "Cancelled")

    assert all(cents(f.execution.price) >= entry + 1 for f in target.fills)
    assert stop.fills == []
    await wait(lambda: (stop.order.orderId, 202) in [(r, c) for r, c, _ in errors.items])
    assert await ib.reqOpenOrdersAsync() == []


async def test_cancelling_the_parent_cancels_its_children(ib: IB, errors, wait) -> None:
    _entry, parent, target, stop = await _placed_bracket(ib, wait)

    ib.cancelOrder(parent.order)
    await wait(lambda: all(t.orderStatus.status == "Cancelled" for t in (parent, target, stop)))

    await wait(lambda: errors.codes().count(202) == 3)
    cancelled = sorted(r for r, c, _ in errors.items if c == 202)
    assert cancelled == sorted(t.order.orderId for t in (parent, target, stop))
    assert await ib.reqOpenOrdersAsync() == []


async def test_a_target_filled_in_part_reduces_the_stop_to_what_is_left(
    gw: SimGateway, ib: IB, wait
) -> None:
    """IB links a bracket's children so that a partial fill of one shrinks the other: the stop
    always covers the position that is still open."""
    bhp, ticker = await _bhp(ib, wait)
    entry = cents(ticker.ask)
    qty = 3000  # bigger than the top of the book: the target fills in parts
    parent, target, stop = (
        ib.placeOrder(bhp, o)
        for o in ib.bracketOrder("BUY", qty, float(entry), float(entry + 1), float(entry - 1))
    )
    await gw.advance(5)  # the entry fills over a few book refreshes
    await wait(lambda: parent.orderStatus.status == "Filled")
    await wait(lambda: target.orderStatus.status == "Submitted")

    await gw.move_market("BHP", entry + 1 + 2 * CENT)
    await wait(lambda: target.fills)
    first = sum(f.execution.shares for f in target.fills)
    assert 0 < first < qty
    await wait(lambda: stop.orderStatus.remaining == qty - first)
    assert stop.orderStatus.status == "PreSubmitted"

    await gw.advance(5)
    await wait(lambda: target.orderStatus.status == "Filled")
    await wait(lambda: stop.orderStatus.status == "Cancelled")
