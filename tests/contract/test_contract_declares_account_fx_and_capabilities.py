"""Contract: what every backend declares instead of being probed: account, FX, capabilities."""

from __future__ import annotations

from decimal import Decimal

from trader_cli.domain.models import OrderType
from trader_cli.domain.money import Money
from trader_cli.domain.scope import Backend as VenueBackend
from trader_cli.domain.venues import Venue
from trader_cli.venues.base import VenueCapabilities

from .backends import Harness


async def test_the_venue_says_which_account_it_is(venue: Harness) -> None:
    assert venue.trader.account
    assert isinstance(venue.trader.venue, Venue)
    assert isinstance(venue.trader.backend, VenueBackend)


async def test_fx_rates_and_conversion_into_the_base_currency(venue: Harness) -> None:
    trader = venue.trader
    assert await trader.fx_rate(venue.base_currency, venue.base_currency) == Decimal(1)
    same = Money(Decimal("12.5"), venue.base_currency)
    assert await trader.to_base(same) == same
    rate = await trader.fx_rate("USD", venue.base_currency)
    assert rate > 0
    converted = await trader.to_base(Money(Decimal(100), "USD"))
    assert converted.currency == venue.base_currency
    assert converted.amount == Decimal(100) * rate


async def test_capabilities_are_declared_and_consistent(venue: Harness) -> None:
    caps = venue.trader.capabilities
    assert isinstance(caps, VenueCapabilities)
    assert caps.name and caps.description
    assert caps.timeframes, "a venue serves some bars"
    assert list(caps.timeframes) == sorted(caps.timeframes, key=lambda tf: tf.seconds)
    assert OrderType.LIMIT in caps.order_types
    assert caps.market_orders == (OrderType.MARKET in caps.order_types)
    assert caps.trades(venue.symbol.instrument_class)
    for tf in caps.timeframes:
        assert caps.nearest_timeframe(tf) is tf
    for window in caps.maintenance_windows:
        assert window.duration.total_seconds() > 0
