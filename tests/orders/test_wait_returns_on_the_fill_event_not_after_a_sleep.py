"""``OrderService.wait`` follows the order's events: no sleep before the first look, none after the
fill, and a venue that streams nothing is still polled on its own clock.

The sim clock is pinned. The venue's clock is wrapped to count its sleeps (a sleep on a pinned
sim clock advances the market, so a wait that sleeps shows up as sim time moving); nothing here
depends on wall time.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal

from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.sim import SimGateway
from trader_cli.venues.base import BaseTrader
from trader_cli.venues.sim.venue import SimTrader

from .conftest import BHP, CENT, until


class CountingClock:
    """The venue's clock, counting sleeps; ``hold`` makes every sleep wait until released."""

    def __init__(self, inner: object, *, hold: bool = False) -> None:
        self.inner = inner
        self.sleeps: list[float] = []
        self.release = asyncio.Event()
        if not hold:
            self.release.set()

    def now(self) -> datetime:
        return self.inner.now()  # type: ignore[attr-defined,no-any-return]

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await self.release.wait()
        await self.inner.sleep(seconds)  # type: ignore[attr-defined]


async def _resting_buy(
    orders: OrderService, venue: SimTrader, qty: int = 10
) -> tuple[str, Decimal]:
    """A limit buy 20 cents under the bid: acknowledged, working, unfilled."""
    q = await venue.get_market_data(BHP)
    price = q.bid - Decimal("0.20")
    order = await orders.submit(
        OrderIntent.of(BHP, Side.BUY, Decimal(qty), OrderSpec.limit(price))
    )
    assert order.status is OrderStatus.OPEN
    return order.client_order_id, price


async def test_a_fill_ends_the_wait_without_any_clock_sleep_completing(
    orders: OrderService, venue: SimTrader, gw: SimGateway
) -> None:
    cid, price = await _resting_buy(orders, venue)
    clock = CountingClock(venue.clock, hold=True)  # a sleep never ends unless released
    venue.clock = clock
    started = gw.clock.now()
    waiting = asyncio.create_task(orders.wait(cid, within=30))
    await until(lambda: clock.sleeps)  # waiting, bounded by a sleep that does not end
    await gw.move_market("BHP", price - CENT)  # the market trades through the limit: filled
    order = await asyncio.wait_for(waiting, 3)
    assert order.status is OrderStatus.CLOSED
    assert order.filled == 10
    assert gw.clock.now() == started  # answered by the fill's events, not by a sleep ending
    (fill,) = [f for f in await venue.get_my_trades(BHP) if f.client_order_id == cid]
    assert order.fee is not None and order.fee.cost > 0  # recorded with its commission
    assert fill.fee is not None


async def test_an_order_already_filled_is_never_slept_on(
    orders: OrderService, venue: SimTrader, gw: SimGateway
) -> None:
    cid, price = await _resting_buy(orders, venue)
    await gw.move_market("BHP", price - CENT)
    (trade,) = venue._trades_by_ref(cid)
    await until(trade.isDone)  # TWS said Filled before the wait began; the DB still says open
    clock = CountingClock(venue.clock)
    venue.clock = clock
    order = await orders.wait(cid, within=30)
    assert order.status is OrderStatus.CLOSED
    assert clock.sleeps == []


async def test_a_working_order_is_waited_on_the_venue_clock_until_the_deadline(
    orders: OrderService, venue: SimTrader, gw: SimGateway
) -> None:
    cid, _ = await _resting_buy(orders, venue)
    clock = CountingClock(venue.clock)
    venue.clock = clock
    started = gw.clock.now()
    order = await orders.wait(cid, within=2, poll=0.5)
    assert order.status is OrderStatus.OPEN  # nothing happened: still working, not guessed
    assert clock.sleeps == [0.5, 0.5, 0.5, 0.5]  # bounded by the deadline, in polls
    assert (gw.clock.now() - started).total_seconds() == 2


async def test_a_venue_without_order_events_is_polled(
    orders: OrderService, venue: SimTrader, gw: SimGateway
) -> None:
    cid, price = await _resting_buy(orders, venue)
    clock = CountingClock(venue.clock)
    venue.clock = clock

    async def poll_only(cid: str, seen: object, at_most: float) -> None:
        await BaseTrader.wait_for_order_update(venue, cid, seen, at_most)  # type: ignore[arg-type]

    venue.wait_for_order_update = poll_only  # type: ignore[method-assign]
    await gw.move_market("BHP", price - CENT)
    order = await orders.wait(cid, within=30, poll=0.5)
    assert order.status is OrderStatus.CLOSED
    assert clock.sleeps == [0.5]  # one poll, then the order was final: no second look
