"""A day after an order finished, the sim reports it no more (as IB's completed orders and
executions stop reporting it); the database's record of it is what the client side reads, and a
resync pass then changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trader_cli.db import store
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.services.resync import ResyncService
from trader_cli.sim import SimGateway
from trader_cli.sim.engine.world import FINISHED_RETENTION
from trader_cli.venues.sim.venue import SimTrader

BHP = parse_symbol("BHP/AUD")


async def test_a_filled_order_the_sim_let_go_of_stays_filled_and_resync_changes_nothing(
    orders: OrderService, venue: SimTrader, gw: SimGateway, resync: ResyncService
) -> None:
    order = await orders.submit(OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.market()))
    cid = order.client_order_id
    order = await orders.wait(cid, within=5)
    assert order.status is OrderStatus.CLOSED
    await resync.run()  # records it as settled
    perm = next(o.perm_id for o in gw.world.orders.values() if o.order_ref == cid)

    gw.clock.advance((FINISHED_RETENTION + timedelta(minutes=1)).total_seconds())
    await gw.tick()  # the sim lets go of what finished more than a day ago
    assert perm not in gw.world.orders
    assert [x for x in gw.world.executions if x.perm_id == perm] == []
    resync.forget_settled()  # the adapter's own copy goes too (settled for 30 minutes)
    assert await venue.get_order(cid) is None
    assert await venue.get_my_trades(BHP) == []

    report = await resync.run()
    assert (report.changes, report.expired, report.unexplained) == (0, [], [])
    row = store.find_order_by_client_id(cid)
    assert row is not None and (row.status, row.filled) == (OrderStatus.CLOSED, Decimal(10))
    assert len(store.fills_for_order(cid)) == 1
