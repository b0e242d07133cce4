"""A pinned clock advances in one step only when nothing can happen in between: with orders
working it steps wherever one could act, and fills and DAY expiries land where 1-second steps
put them; with none working (and no bar subscriber) it jumps, ending where the steps would.
(Which steps are skipped with orders working: test_pinned_clock_skips_only_the_steps_...)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from trader_cli.sim.engine import OrderTicket
from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.tws.server import SimGateway

# Wednesday 3 July 2024, 15:55 in Sydney: five minutes before the ASX closes (06:00 UTC)
START = datetime(2024, 7, 3, 5, 55, tzinfo=UTC)
SECONDS = 600  # past the close: DAY orders expire on the way


def _gateway() -> SimGateway:
    return SimGateway(seed=7, clock=SimClock.pinned(START))


def _inst(gw: SimGateway, symbol: str) -> Instrument:
    found = gw.catalogue.by_local_symbol(symbol)
    assert found is not None
    return found


def _first_touch(gw: SimGateway, inst: Instrument) -> Decimal:
    """The lowest ask over the first half of the window: a buy limit there fills inside it."""
    return min(gw.market.quote(inst, START + timedelta(seconds=s)).ask for s in range(1, 150))


def _place(gw: SimGateway) -> None:
    bhp, cba = _inst(gw, "BHP"), _inst(gw, "CBA")
    orders = [
        (1, bhp, "BUY", "LMT", _first_touch(gw, bhp)),
        (2, cba, "BUY", "LMT", gw.market.quote(cba, START).bid - Decimal("1.00")),  # rests
    ]
    for order_id, inst, action, kind, price in orders:
        gw.engine.submit(
            OrderTicket(client_id=1, order_id=order_id, inst=inst, action=action,
                        total_qty=Decimal(100), order_type=kind, lmt_price=price, tif="DAY")
        )  # fmt: skip


def _outcome(gw: SimGateway) -> tuple[Any, ...]:
    world = gw.world
    orders = sorted(
        (o.order_id, o.status, o.filled, o.completed_at) for o in world.orders.values()
    )
    fills = [(e.order_id, e.time, e.shares, e.price) for e in world.executions]
    return gw.clock.now(), orders, fills


async def test_working_orders_fill_and_expire_as_with_one_second_steps() -> None:
    stepped, advanced = _gateway(), _gateway()
    _place(stepped)
    _place(advanced)
    for _ in range(SECONDS):  # the reference: one second at a time, a tick after each
        stepped.clock.advance(1)
        await stepped.tick()

    await advanced.advance(SECONDS, step=1, jump_when_quiet=True)

    assert _outcome(advanced) == _outcome(stepped)
    _, orders, fills = _outcome(advanced)
    assert [f[0] for f in fills] == [1]
    assert START < fills[0][1] < START + timedelta(seconds=150)  # inside the window, not its end
    # the resting DAY order was cancelled at the close, not at the end of the advance
    assert orders[1][1] == "Cancelled"
    assert orders[1][3] == datetime(2024, 7, 3, 6, 0, tzinfo=UTC)


async def test_with_nothing_working_the_clock_jumps_in_one_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gw = _gateway()
    ticks: list[datetime] = []
    real_tick = gw.tick

    async def counting_tick() -> None:
        ticks.append(gw.clock.now())
        await real_tick()

    monkeypatch.setattr(gw, "tick", counting_tick)

    await gw.advance(SECONDS, step=1, jump_when_quiet=True)
    assert ticks == [START + timedelta(seconds=SECONDS)]
    assert gw.clock.now() == START + timedelta(seconds=SECONDS)

    ticks.clear()  # a caller that did not ask for the jump gets every step
    await gw.advance(5, step=1)
    assert ticks == [START + timedelta(seconds=SECONDS + s) for s in range(1, 6)]


async def test_an_order_working_or_a_bar_subscriber_keeps_the_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gw = _gateway()
    assert gw.quiet()
    _place(gw)
    assert not gw.quiet()  # two orders work

    gw.engine.cancel_all()
    assert gw.quiet()

    class BarFollower:
        """A connected client following bars as they form (keepUpToDate)."""

        def __init__(self) -> None:
            self.tickers: dict[int, Any] = {}
            self.depth: dict[int, Any] = {}
            self.bars = {1: object()}
            self.updates: list[datetime] = []

        def push_bar_update(self, req_id: int, sub: object) -> None:
            self.updates.append(gw.clock.now())

    follower = BarFollower()
    monkeypatch.setitem(gw._client_ids, 1, follower)  # type: ignore[arg-type]
    assert not gw.quiet()
    await gw.advance(5, step=1, jump_when_quiet=True)
    assert follower.updates == [START + timedelta(seconds=s) for s in range(1, 6)]
