"""A kept FX rate (at most 15 minutes old, venue clock) records new fills in the base currency
without a market-data request; an older one is refreshed; sizing never reads it.

The kept rate here is deliberately absurd (9 AUD per USD) so that whichever rate was used shows.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trader_cli.db import store
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.money import Money
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services import kept_fx
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.venues.sim.venue import SimTrader

AUDUSD = parse_symbol("AUD/USD")
ABSURD = Decimal(9)


def _count_fx(venue: SimTrader) -> list[tuple[str, str]]:
    asked: list[tuple[str, str]] = []
    real = venue.fx_rate

    async def counting(base: str, quote: str) -> Decimal:
        asked.append((base, quote))
        return await real(base, quote)

    venue.fx_rate = counting  # type: ignore[method-assign]
    return asked


async def _buy_usd_fill(orders: OrderService) -> Decimal | None:
    order = await orders.submit(
        OrderIntent.of(AUDUSD, Side.BUY, Decimal(25000), OrderSpec.market())
    )
    order = await orders.wait(order.client_order_id, within=5)
    assert order.status is OrderStatus.CLOSED
    (fill,) = store.fills_for_order(order.client_order_id)
    return fill.fx_rate_to_base  # type: ignore[no-any-return]


async def test_a_fresh_kept_rate_records_the_fill_without_asking_the_venue(
    orders: OrderService, venue: SimTrader
) -> None:
    kept_fx.keep_rate("USD", "AUD", ABSURD, venue.clock.now() - timedelta(minutes=14))
    asked = _count_fx(venue)
    assert await _buy_usd_fill(orders) == ABSURD
    assert asked == []


async def test_a_kept_rate_past_fifteen_minutes_is_asked_again_and_replaced(
    orders: OrderService, venue: SimTrader
) -> None:
    kept_fx.keep_rate("USD", "AUD", ABSURD, venue.clock.now() - timedelta(minutes=16))
    asked = _count_fx(venue)
    rate = await _buy_usd_fill(orders)
    assert asked == [("USD", "AUD")]
    assert rate is not None and Decimal("1.2") < rate < Decimal("1.8")  # the venue's, 1/0.66
    assert kept_fx.kept_rate("USD", "AUD", venue.clock.now()) == rate


async def test_sizing_and_valuing_never_read_a_kept_rate(
    orders: OrderService, venue: SimTrader
) -> None:
    kept_fx.keep_rate("USD", "AUD", ABSURD, venue.clock.now())
    asked = _count_fx(venue)
    rate = await orders.fx_to_base("USD")
    assert asked == [("USD", "AUD")]
    assert rate is not None and rate != ABSURD
    assert (await venue.to_base(Money(Decimal(1), "USD"))).amount != ABSURD
