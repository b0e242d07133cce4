"""Recording what the venue says of an order writes only what is new, and asks for its fills
only while the database lacks some: the plan monitor records every working order each cycle.

A fill is still never missed: an order whose recorded fills fall short of what it filled, or
carry no venue commission yet, has its fills asked for (and recorded) before the recording
returns; and ``updated_at`` is when the row last changed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from trader_cli.db import store
from trader_cli.domain.models import Fill, OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import Symbol, parse_symbol
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.sim import SimGateway
from trader_cli.venues.sim.venue import SimTrader

BHP = parse_symbol("BHP/AUD")


def count_fill_requests(venue: SimTrader) -> list[str]:
    asked: list[str] = []
    real = venue.get_my_trades

    async def counting(symbol: Symbol | None = None, since: datetime | None = None) -> list[Fill]:
        asked.append(str(symbol))
        return await real(symbol, since=since)

    venue.get_my_trades = counting  # type: ignore[method-assign]
    return asked


async def test_a_working_order_said_again_writes_nothing_and_asks_no_fills(
    orders: OrderService, venue: SimTrader, gw: SimGateway
) -> None:
    q = await venue.get_market_data(BHP)
    order = await orders.submit(
        OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.limit(q.bid - Decimal("1.00")))
    )
    cid = order.client_order_id
    before = store.find_order_by_client_id(cid)
    assert before is not None and before.status is OrderStatus.OPEN
    asked = count_fill_requests(venue)
    gw.clock.advance(90)
    found = await venue.get_order(cid)
    assert found is not None
    again = await orders.record(found)
    assert again.status is OrderStatus.OPEN
    after = store.find_order_by_client_id(cid)
    assert after is not None and after.updated_at == before.updated_at  # nothing written
    assert asked == []


async def test_a_status_change_is_written_with_its_time(
    orders: OrderService, venue: SimTrader, gw: SimGateway
) -> None:
    q = await venue.get_market_data(BHP)
    order = await orders.submit(
        OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.limit(q.bid - Decimal("1.00")))
    )
    gw.clock.advance(90)
    cancelled = await orders.cancel(order.client_order_id)
    assert cancelled.status is OrderStatus.CANCELED
    row = store.find_order_by_client_id(order.client_order_id)
    assert row is not None and row.updated_at == gw.clock.now()


async def test_a_fill_missing_from_the_database_is_recorded_before_the_recording_returns(
    orders: OrderService, venue: SimTrader
) -> None:
    order = await orders.submit(OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.market()))
    order = await orders.wait(order.client_order_id, within=5)
    cid = order.client_order_id
    (fill,) = store.fills_for_order(cid)
    fill.delete_instance()  # as if this process had died between the two writes
    asked = count_fill_requests(venue)
    found = await venue.get_order(cid)
    assert found is not None
    await orders.record(found)  # the order row says nothing new: its fills still do
    assert asked == ["BHP/AUD"]
    assert [f.venue_fill_id for f in store.fills_for_order(cid)] == [fill.venue_fill_id]


async def test_a_fill_without_the_venues_commission_is_asked_for_again(
    orders: OrderService, venue: SimTrader
) -> None:
    order = await orders.submit(OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.market()))
    order = await orders.wait(order.client_order_id, within=5)
    cid = order.client_order_id
    (fill,) = store.fills_for_order(cid)
    commission = fill.commission
    fill.commission, fill.commission_source = None, None
    fill.save()
    asked = count_fill_requests(venue)
    found = await venue.get_order(cid)
    assert found is not None
    await orders.record(found)
    assert asked == ["BHP/AUD"]
    (again,) = store.fills_for_order(cid)
    assert again.commission == commission and again.commission is not None
    asked.clear()
    await orders.record(found)  # now complete: not asked again
    assert asked == []
