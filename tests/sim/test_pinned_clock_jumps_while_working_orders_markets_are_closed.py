"""A pinned clock also jumps when every working order's market stays closed for the whole wait
(a bot's stops and targets overnight): nothing can fill, be elected or expire in between, so
the jump ends exactly where one-second steps would. A market that opens inside the wait, or
one order whose market is open, keeps the steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from trader_cli.sim.engine import OrderTicket
from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.tws.server import SimGateway

# Wednesday 3 July 2024: the ASX closes at 06:00 UTC (16:00 Sydney) and opens at 00:00 UTC
AFTER_CLOSE = datetime(2024, 7, 3, 6, 30, tzinfo=UTC)
BEFORE_OPEN = datetime(2024, 7, 3, 23, 50, tzinfo=UTC)  # ten minutes before Thursday's open


def _gateway(start: datetime) -> SimGateway:
    return SimGateway(seed=7, clock=SimClock.pinned(start))


def _inst(gw: SimGateway, symbol: str) -> Instrument:
    found = gw.catalogue.by_local_symbol(symbol)
    assert found is not None
    return found


def _place(gw: SimGateway, order_id: int, symbol: str, action: str, price: Decimal) -> None:
    gw.engine.submit(
        OrderTicket(client_id=1, order_id=order_id, inst=_inst(gw, symbol), action=action,
                    total_qty=Decimal(100), order_type="LMT", lmt_price=price, tif="GTC")
    )  # fmt: skip


def _outcome(gw: SimGateway) -> tuple[Any, ...]:
    orders = sorted(
        (o.order_id, o.status, o.filled, o.completed_at) for o in gw.world.orders.values()
    )
    fills = [(e.order_id, e.time, e.shares, e.price) for e in gw.world.executions]
    return gw.clock.now(), orders, fills


def _count_ticks(gw: SimGateway, monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    ticks: list[datetime] = []
    real_tick = gw.tick

    async def counting_tick() -> None:
        ticks.append(gw.clock.now())
        await real_tick()

    monkeypatch.setattr(gw, "tick", counting_tick)
    return ticks


async def _stepped(gw: SimGateway, seconds: int) -> None:
    for _ in range(seconds):  # the reference: one second at a time, a tick after each
        gw.clock.advance(1)
        await gw.tick()


def _asx_orders(gw: SimGateway, when: datetime) -> None:
    bhp, cba = _inst(gw, "BHP"), _inst(gw, "CBA")
    _place(gw, 1, "BHP", "BUY", gw.market.quote(bhp, when).bid - Decimal("0.50"))
    _place(gw, 2, "CBA", "SELL", gw.market.quote(cba, when).ask + Decimal("0.50"))


async def test_orders_resting_in_a_closed_market_let_the_clock_jump(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stepped, jumped = _gateway(AFTER_CLOSE), _gateway(AFTER_CLOSE)
    _asx_orders(stepped, AFTER_CLOSE)
    _asx_orders(jumped, AFTER_CLOSE)
    ticks = _count_ticks(jumped, monkeypatch)
    assert not jumped.quiet()  # orders work...
    assert jumped.quiet(AFTER_CLOSE + timedelta(hours=1))  # ...asleep until the next open

    await _stepped(stepped, 600)
    await jumped.advance(600, step=1, jump_when_quiet=True)

    assert ticks == [AFTER_CLOSE + timedelta(seconds=600)]
    assert _outcome(jumped) == _outcome(stepped)
    assert [o[1] for o in _outcome(jumped)[1]] == ["Submitted", "Submitted"]  # still working


async def test_a_market_opening_inside_the_wait_keeps_the_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stepped, advanced = _gateway(BEFORE_OPEN), _gateway(BEFORE_OPEN)
    opening = datetime(2024, 7, 4, 0, 0, tzinfo=UTC)
    bhp = _inst(stepped, "BHP")
    # a buy at the lowest ask of the first minutes after the open: it fills inside the wait
    touch = min(stepped.market.quote(bhp, opening + timedelta(seconds=s)).ask
                for s in range(1, 300))  # fmt: skip
    for gw in (stepped, advanced):
        _place(gw, 1, "BHP", "BUY", touch)
    ticks = _count_ticks(advanced, monkeypatch)
    assert not advanced.quiet(BEFORE_OPEN + timedelta(seconds=1200))

    await _stepped(stepped, 1200)
    await advanced.advance(1200, step=1, jump_when_quiet=True)

    assert _outcome(advanced) == _outcome(stepped)
    _, _, fills = _outcome(advanced)
    assert len(fills) == 1 and opening <= fills[0][1] < opening + timedelta(seconds=300)
    assert len(ticks) > 1  # stepped (up to the fill at least)
    assert all(t - BEFORE_OPEN >= timedelta(0) for t in ticks)


async def test_one_order_in_an_open_market_keeps_every_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gw = _gateway(AFTER_CLOSE)
    _asx_orders(gw, AFTER_CLOSE)
    fx = _inst(gw, "AUD.USD")  # IDEALPRO trades through the ASX evening
    _place(gw, 3, "AUD.USD", "BUY", gw.market.quote(fx, AFTER_CLOSE).bid - Decimal("0.01"))
    ticks = _count_ticks(gw, monkeypatch)
    assert not gw.quiet(AFTER_CLOSE + timedelta(seconds=60))

    await gw.advance(60, step=1, jump_when_quiet=True)
    assert ticks == [AFTER_CLOSE + timedelta(seconds=s) for s in range(1, 61)]
