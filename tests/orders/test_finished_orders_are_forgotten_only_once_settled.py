"""ib_async keeps every order and execution of its connection; a long run lets go of the finished
orders the database has settled, and of nothing else.

Pruned: an order finished at the venue, final in the database and unchanged there for the
retention window, every fill of it recorded with the venue's commission - and those fills.
Kept: a working order, a partly filled one, a finished one with a fill the database lacks, and
anything finished more recently than the window. An order let go is still found by client
order id (IB's completed orders).
"""

from __future__ import annotations

import gc
import weakref
from decimal import Decimal
from typing import Any

from trader_cli.db import store
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.services.resync import SETTLED_RETENTION, ResyncService
from trader_cli.sim import SimGateway
from trader_cli.venues.sim.venue import SimTrader

BHP = parse_symbol("BHP/AUD")


def kept_trades(venue: SimTrader, cid: str) -> list[Any]:
    """The ib_async trades of ``cid`` the wrapper holds (by order key or by permId)."""
    wrapper = venue.ib.wrapper
    trades = list(wrapper.trades.values()) + list(wrapper.permId2Trade.values())
    return [t for t in trades if t.order.orderRef == cid]


def kept_fills(venue: SimTrader, cid: str) -> list[str]:
    """The execution ids of ``cid`` the wrapper holds."""
    return [e for e, f in venue.ib.wrapper.fills.items() if f.execution.orderRef == cid]


async def filled_order(orders: OrderService, qty: int = 10) -> str:
    order = await orders.submit(OrderIntent.of(BHP, Side.BUY, Decimal(qty), OrderSpec.market()))
    order = await orders.wait(order.client_order_id, within=5)
    assert order.status is OrderStatus.CLOSED
    return order.client_order_id


def past_retention(gw: SimGateway) -> None:
    gw.clock.advance(SETTLED_RETENTION.total_seconds() + 1)


async def test_a_settled_order_is_let_go_with_its_fills_after_the_retention_window(
    orders: OrderService, venue: SimTrader, gw: SimGateway, resync: ResyncService
) -> None:
    cid = await filled_order(orders)
    assert cid in venue.done_orders()
    assert kept_trades(venue, cid) and kept_fills(venue, cid)
    assert resync.forget_settled() == 0  # settled just now: inside the window
    assert kept_trades(venue, cid)
    past_retention(gw)
    assert resync.forget_settled() == 1
    assert kept_trades(venue, cid) == [] and kept_fills(venue, cid) == []
    assert cid not in venue.done_orders()
    found = await venue.get_order(cid)  # still known to IB: its completed orders
    assert found is not None and found.status is OrderStatus.CLOSED
    # recording what they say never takes back what the database has settled
    again = await orders.record(found)
    assert again.status is OrderStatus.CLOSED and again.filled == Decimal(10)
    assert len(store.fills_for_order(cid)) == 1


async def test_a_working_order_is_never_let_go(
    orders: OrderService, venue: SimTrader, gw: SimGateway, resync: ResyncService
) -> None:
    q = await venue.get_market_data(BHP)
    resting = await orders.submit(
        OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.limit(q.bid - Decimal("1.00")))
    )
    assert resting.status is OrderStatus.OPEN
    past_retention(gw)
    assert resting.client_order_id not in venue.done_orders()
    assert venue.forget_orders({resting.client_order_id: frozenset()}) == 0
    assert resync.forget_settled(retention=SETTLED_RETENTION * 0) == 0
    assert kept_trades(venue, resting.client_order_id)


async def test_a_partly_filled_working_order_and_its_fills_are_kept(
    orders: OrderService, venue: SimTrader, gw: SimGateway, resync: ResyncService
) -> None:
    q = await venue.get_market_data(BHP)
    assert q.ask is not None and q.ask_size is not None
    qty = q.ask_size + 100  # more than the best offer holds: the rest works at the ask
    order = await orders.submit(OrderIntent.of(BHP, Side.BUY, qty, OrderSpec.limit(q.ask)))
    order = await orders.wait(order.client_order_id, within=0.5)
    assert order.status is OrderStatus.OPEN and 0 < order.filled < qty
    cid = order.client_order_id
    recorded = frozenset(f.venue_fill_id for f in store.fills_for_order(cid))
    assert recorded and set(kept_fills(venue, cid)) == recorded
    past_retention(gw)
    assert venue.forget_orders({cid: recorded}) == 0  # asked to, the adapter still keeps it
    assert resync.forget_settled() == 0
    assert kept_trades(venue, cid) and set(kept_fills(venue, cid)) == recorded


async def test_a_finished_order_with_a_fill_the_database_lacks_is_kept_until_recorded(
    orders: OrderService, venue: SimTrader, gw: SimGateway, resync: ResyncService
) -> None:
    cid = await filled_order(orders)
    (fill,) = store.fills_for_order(cid)
    fill.delete_instance()  # as if this process had died before recording it
    past_retention(gw)
    assert resync.forget_settled() == 0
    assert kept_trades(venue, cid) and kept_fills(venue, cid)
    # nor does the adapter drop an order whose fill is not among those named as recorded
    assert venue.forget_orders({cid: frozenset()}) == 0
    report = await resync.run()  # the fill is recorded again
    assert len(report.new_fills) == 1
    assert resync.forget_settled() == 1
    assert kept_trades(venue, cid) == []


async def test_a_fill_recorded_without_the_venues_commission_keeps_its_order(
    orders: OrderService, venue: SimTrader, gw: SimGateway, resync: ResyncService
) -> None:
    cid = await filled_order(orders)
    (fill,) = store.fills_for_order(cid)
    fill.commission_source = None
    fill.save()
    past_retention(gw)
    assert resync.forget_settled() == 0
    assert kept_trades(venue, cid)


async def test_a_fill_read_back_after_its_order_was_let_go_goes_on_the_next_pass(
    orders: OrderService, venue: SimTrader, gw: SimGateway, resync: ResyncService
) -> None:
    cid = await filled_order(orders)
    past_retention(gw)
    assert resync.forget_settled() == 1
    assert kept_fills(venue, cid) == []
    await venue.ib.reqExecutionsAsync()  # as resync or a look-up reads the executions again
    assert kept_trades(venue, cid) == [] and len(kept_fills(venue, cid)) == 1
    assert cid in venue.done_orders()  # a fill kept without its order is a done order's
    resync.forget_settled()
    assert kept_fills(venue, cid) == []


async def test_a_fill_read_back_whose_record_is_missing_stays(
    orders: OrderService, venue: SimTrader, gw: SimGateway, resync: ResyncService
) -> None:
    cid = await filled_order(orders)
    past_retention(gw)
    assert resync.forget_settled() == 1
    await venue.ib.reqExecutionsAsync()
    (fill,) = store.fills_for_order(cid)
    fill.delete_instance()  # not recorded: the fill is not settled, so it is kept
    resync.forget_settled()
    assert len(kept_fills(venue, cid)) == 1


async def test_an_order_let_go_is_freed_at_once_not_at_the_next_full_collection(
    orders: OrderService, venue: SimTrader, gw: SimGateway, resync: ResyncService
) -> None:
    cid = await filled_order(orders)
    refs = [weakref.ref(t) for t in kept_trades(venue, cid)]
    await filled_order(orders)  # the client's own events now hold this one, the latest
    past_retention(gw)
    gc.collect()
    gc.disable()  # only reference counting frees what is let go
    try:
        assert resync.forget_settled() == 2
        assert [r() for r in refs] == [None] * len(refs)
    finally:
        gc.enable()
