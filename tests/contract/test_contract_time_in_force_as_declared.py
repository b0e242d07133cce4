"""Contract: a backend takes the times in force it declares, IOC never rests, and what it does
not declare (a time in force, post-only) is refused before anything reaches the venue."""

from __future__ import annotations

from dataclasses import replace

import pytest

from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec, TimeInForce
from trader_cli.errors import ExitCode, InvalidOrderError

from .backends import Harness
from .helpers import request, resting_buy_price


async def test_declared_times_in_force_include_the_default(venue: Harness) -> None:
    caps = venue.trader.capabilities
    assert caps.default_time_in_force in caps.time_in_force
    assert TimeInForce.IOC in caps.time_in_force  # both our venues take immediate-or-cancel


async def test_an_ioc_order_away_from_the_touch_is_cancelled_not_rested(venue: Harness) -> None:
    trader = venue.trader
    price = await resting_buy_price(trader, venue.symbol)
    base = request(venue, "ioc", Side.BUY, 5, price)
    ioc = replace(base, spec=OrderSpec.limit(price, TimeInForce.IOC))
    await trader.place_order(ioc)
    for _ in range(5):
        order = await trader.get_order(ioc.client_order_id)
        if order is not None and order.status.is_final:
            break
        await venue.advance(1)
    assert order is not None
    assert (order.status, order.filled) == (OrderStatus.CANCELED, 0)
    assert ioc.client_order_id not in {o.client_order_id for o in await trader.get_open_orders()}


async def test_what_the_backend_does_not_declare_is_refused_unsent(venue: Harness) -> None:
    trader = venue.trader
    caps = trader.capabilities
    price = await resting_buy_price(trader, venue.symbol)
    specs = [OrderSpec.limit(price, tif) for tif in TimeInForce if tif not in caps.time_in_force]
    if not caps.post_only:
        specs.append(OrderSpec.limit(price, post_only=True))
    if not specs:
        pytest.skip(f"{caps.name} declares every time in force and post-only")
    for n, spec in enumerate(specs):
        req = replace(request(venue, f"undeclared-{n}", Side.BUY, 5, price), spec=spec)
        with pytest.raises(InvalidOrderError) as e:
            await trader.place_order(req)
        assert e.value.exit_code is ExitCode.BAD_INPUT
        assert await trader.get_order(req.client_order_id) is None
