"""Resync sees every fill of the day again: only a fill new to the database costs an FX quote.

A USD fill (AUD/USD) is valued into AUD at the rate of the moment it is first recorded; asking the
venue for a rate again for a fill already stored would be a market-data request (and a wait for
both sides of the book) on every cron pass, for a number nobody uses.
"""

from __future__ import annotations

from decimal import Decimal

from trader_cli.db import store
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.services.resync import ResyncService
from trader_cli.venues.sim.venue import SimTrader

AUDUSD = parse_symbol("AUD/USD")


def _count_fx(venue: SimTrader) -> list[tuple[str, str]]:
    asked: list[tuple[str, str]] = []
    real = venue.fx_rate

    async def counting(base: str, quote: str) -> Decimal:
        asked.append((base, quote))
        return await real(base, quote)

    venue.fx_rate = counting  # type: ignore[method-assign]
    return asked


async def test_a_resync_of_recorded_fills_asks_no_fx_rate(
    orders: OrderService, venue: SimTrader, resync: ResyncService
) -> None:
    order = await orders.submit(
        OrderIntent.of(AUDUSD, Side.BUY, Decimal(25000), OrderSpec.market())
    )
    order = await orders.wait(order.client_order_id, within=5)
    assert order.status is OrderStatus.CLOSED
    (fill,) = store.fills_for_order(order.client_order_id)
    assert fill.fx_rate_to_base is not None and fill.fx_rate_to_base > 1  # USD -> AUD
    asked = _count_fx(venue)
    report = await resync.run()
    assert report.new_fills == []
    assert asked == []


async def test_a_fill_new_to_the_database_is_still_valued_in_the_base_currency(
    orders: OrderService, venue: SimTrader, resync: ResyncService
) -> None:
    order = await orders.submit(
        OrderIntent.of(AUDUSD, Side.BUY, Decimal(25000), OrderSpec.market())
    )
    order = await orders.wait(order.client_order_id, within=5)
    (fill,) = store.fills_for_order(order.client_order_id)
    rate = fill.fx_rate_to_base
    fill.delete_instance()  # as if this process had died before recording it
    asked = _count_fx(venue)
    report = await resync.run()
    assert len(report.new_fills) == 1
    # the rate read for the order's own recording a moment ago is kept (at most 15 minutes)
    assert asked == []
    (again,) = store.fills_for_order(order.client_order_id)
    assert again.fx_rate_to_base == rate
