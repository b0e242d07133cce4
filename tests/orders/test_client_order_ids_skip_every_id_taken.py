"""A new client order id is never one already recorded: a plain order's, or any leg of a
bracket's (``<id>-E``, ``<id>-S``, ``<id>-T``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader_cli.db import store
from trader_cli.domain.models import Order, OrderType, Side
from trader_cli.services.orders import OrderService


def _record(cid: str, orders: OrderService) -> None:
    now = orders.venue.clock.now()
    draft = Order(cid, "BHP/AUD", Side.BUY, OrderType.MARKET, Decimal(10), None, timestamp=now)
    store.record_order_intent(draft, session=orders.session, reason="test", created_at=now)


@pytest.mark.parametrize("leg", ["", "-E", "-S", "-T"])
def test_an_id_taken_by_an_order_or_a_bracket_leg_is_skipped(
    orders: OrderService, leg: str
) -> None:
    first = orders.next_client_order_id()
    stem = first.rsplit("-", 1)[0]
    assert first == f"{stem}-1"
    _record(f"{stem}-2{leg}", orders)  # one id recorded, so the count says 2: but 2 is taken
    assert orders.next_client_order_id() == f"{stem}-3"
