"""Recording an order asks the venue for its executions (a round trip on IB) only when the order
reports fills the database lacks, or a fill still carries an estimated commission: not on the
acknowledgement of an order that has filled nothing, not again for a fill already recorded."""

from __future__ import annotations

from decimal import Decimal

from trader_cli.db import store
from trader_cli.domain.models import FeeSource, OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.sim import SimGateway
from trader_cli.venues.sim.venue import SimTrader

from .conftest import BHP, CENT


def _count_executions(venue: SimTrader) -> list[str]:
    asked: list[str] = []
    real = venue.get_my_trades

    async def counting(*args: object, **kwargs: object) -> object:
        asked.append("reqExecutions")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    venue.get_my_trades = counting  # type: ignore[assignment,method-assign]
    return asked


async def test_a_working_order_then_its_fill_cost_one_executions_request(
    orders: OrderService, venue: SimTrader, gw: SimGateway
) -> None:
    asked = _count_executions(venue)
    q = await venue.get_market_data(BHP)
    price = q.bid - Decimal("0.20")
    order = await orders.submit(OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.limit(price)))
    assert order.status is OrderStatus.OPEN
    assert asked == []  # acknowledged, nothing filled: no fill to look for
    await gw.move_market("BHP", price - CENT)  # the market trades through the limit
    order = await orders.wait(order.client_order_id, within=30)
    assert order.status is OrderStatus.CLOSED
    assert asked == ["reqExecutions"]
    (fill,) = store.fills_for_order(order.client_order_id)
    assert fill.amount == 10
    assert fill.commission_source == FeeSource.VENUE
    await orders.record(await venue.get_order(order.client_order_id))  # type: ignore[arg-type]
    assert asked == ["reqExecutions"]  # recorded again: every fill is on record already


async def test_a_fill_recorded_with_an_estimated_commission_is_asked_for_again(
    orders: OrderService, venue: SimTrader
) -> None:
    order = await orders.submit(OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.market()))
    order = await orders.wait(order.client_order_id, within=30)
    (fill,) = store.fills_for_order(order.client_order_id)
    fill.commission_source = FeeSource.ESTIMATE  # as if the commission report had come late
    fill.save()
    asked = _count_executions(venue)
    await orders.record(await venue.get_order(order.client_order_id))  # type: ignore[arg-type]
    assert asked == ["reqExecutions"]
    (fill,) = store.fills_for_order(order.client_order_id)
    assert fill.commission_source == FeeSource.VENUE  # the venue's figure replaced it


async def test_a_fill_missing_from_the_database_is_asked_for_again(
    orders: OrderService, venue: SimTrader
) -> None:
    order = await orders.submit(OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.market()))
    order = await orders.wait(order.client_order_id, within=30)
    (fill,) = store.fills_for_order(order.client_order_id)
    fill.delete_instance()  # as if this process had died before recording it
    asked = _count_executions(venue)
    await orders.record(await venue.get_order(order.client_order_id))  # type: ignore[arg-type]
    assert asked == ["reqExecutions"]
    assert len(store.fills_for_order(order.client_order_id)) == 1
