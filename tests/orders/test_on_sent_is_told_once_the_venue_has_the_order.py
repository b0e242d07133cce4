"""``OrderService.on_sent`` hears of an order once the venue has it, never of one refused before
it left (commands start work that can wait for the venue there, e.g. loading rich)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.errors import TraderError
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.venues.sim.venue import SimTrader

from .conftest import BHP


async def test_an_order_sent_is_told_once_with_its_client_order_id(orders: OrderService) -> None:
    sent: list[str] = []
    orders.on_sent = sent.append
    order = await orders.submit(OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.market()))
    assert sent == [order.client_order_id]
    await orders.wait(order.client_order_id, within=5)
    assert sent == [order.client_order_id]  # waiting and recording send nothing


async def test_an_order_refused_before_it_left_is_not_told(
    orders: OrderService, venue: SimTrader
) -> None:
    sent: list[str] = []
    orders.on_sent = sent.append
    # a fractional share: the adapter refuses it before anything goes to the venue
    intent = OrderIntent.of(BHP, Side.BUY, Decimal("10.5"), OrderSpec.market())
    with pytest.raises(TraderError):
        await orders.submit(intent)
    assert sent == []
    assert all(o.status is not OrderStatus.OPEN for o in await venue.get_open_orders())
