"""With orders working, a pinned clock's wait still skips the steps at which no order can act:
none can fill, be elected or expire while its market is closed (a bot's stops and targets
overnight) or while the touch is away from its price. The clock lands where one-second steps
would, with the same fills at the same times; a step at which an order could act is made."""

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
    assert jumped.quiet_for(1, 3600) == 3600  # ...asleep until the next open

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
    assert advanced.quiet_for(1, 1200) < 1200

    await _stepped(stepped, 1200)
    await advanced.advance(1200, step=1, jump_when_quiet=True)

    assert _outcome(advanced) == _outcome(stepped)
    _, _, fills = _outcome(advanced)
    assert len(fills) == 1 and opening <= fills[0][1] < opening + timedelta(seconds=300)
    # one jump to the last second before the order could first fill, steps from there
    assert ticks[0] < fills[0][1] and len(ticks) >= 2
    assert ticks[0] >= opening - timedelta(seconds=1)


async def test_orders_away_from_the_touch_in_an_open_market_let_the_clock_jump(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)  # the ASX is open
    stepped, jumped = _gateway(start), _gateway(start)
    _asx_orders(stepped, start)
    _asx_orders(jumped, start)
    ticks = _count_ticks(jumped, monkeypatch)

    await _stepped(stepped, 60)
    await jumped.advance(60, step=1, jump_when_quiet=True)

    assert ticks == [start + timedelta(seconds=60)]
    assert _outcome(jumped) == _outcome(stepped)


async def test_a_limit_the_market_reaches_fills_at_the_step_it_would_have(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
    stepped, jumped = _gateway(start), _gateway(start)
    fx = _inst(stepped, "AUD.USD")
    asks = [stepped.market.quote(fx, start + timedelta(seconds=s)).ask for s in range(1, 301)]
    limit = min(asks[150:])  # first reached somewhere in the second half of the wait
    first = next(s for s, ask in enumerate(asks, start=1) if ask <= limit)
    for gw in (stepped, jumped):
        _place(gw, 1, "AUD.USD", "BUY", limit)
    ticks = _count_ticks(jumped, monkeypatch)

    await _stepped(stepped, 300)
    await jumped.advance(300, step=1, jump_when_quiet=True)

    assert _outcome(jumped) == _outcome(stepped)
    _, _, fills = _outcome(jumped)
    assert fills and fills[0][1] == start + timedelta(seconds=first)
    assert ticks[0] == start + timedelta(seconds=first - 1)  # skipped up to the step before
    assert len(ticks) < 20


@pytest.mark.parametrize("seed", range(6))
async def test_limits_and_stops_around_the_market_fill_as_with_one_second_steps(
    seed: int,
) -> None:
    """Orders on both sides at random distances around the touch (inside, at and just beyond
    what the market can reach in the wait): every fill and election lands where the steps put
    it, whatever the waits skip."""
    import random

    rng = random.Random(seed)
    start = datetime(2024, 7, 3, 1, 0, tzinfo=UTC) + timedelta(seconds=rng.randrange(0, 14000))
    stepped, jumped = _gateway(start), _gateway(start)
    order_id = 0
    for symbol in ("BHP", "CSL", "AUD.USD"):
        inst = _inst(stepped, symbol)
        q = stepped.market.quote(inst, start)
        tick = inst.tick_at(q.bid)
        for _ in range(6):
            order_id += 1
            action = rng.choice(("BUY", "SELL"))
            kind = rng.choice(("LMT", "STP"))
            away = tick * rng.randrange(1, 60)
            # a buy limit and a sell stop below the market, a sell limit and a buy stop above
            below = (action == "BUY") == (kind == "LMT")
            price = q.bid - away if below else q.ask + away
            for gw in (stepped, jumped):
                gw.engine.submit(OrderTicket(
                    client_id=1, order_id=order_id, inst=_inst(gw, symbol), action=action,
                    total_qty=Decimal(100), order_type=kind, tif="GTC",
                    lmt_price=price if kind == "LMT" else None,
                    aux_price=price if kind == "STP" else None,
                ))  # fmt: skip
    for _ in range(5):  # five one-minute waits, as a bot's cycles
        await _stepped(stepped, 60)
        await jumped.advance(60, step=1, jump_when_quiet=True)
        assert _outcome(jumped) == _outcome(stepped)
    assert _outcome(jumped)[2], "some order filled (the test would prove nothing otherwise)"


def test_the_price_stays_within_its_reach() -> None:
    """What the skipped steps rely on: the seeded price never leaves the bounds raw_reach gives
    for a wait (none for a moved price)."""
    import random

    gw = _gateway(AFTER_CLOSE)
    rng = random.Random(4)
    for symbol in ("BHP", "CSL", "AUD.USD", "NDQ"):
        inst = _inst(gw, symbol)
        for _ in range(40):
            start = AFTER_CLOSE + timedelta(seconds=rng.randrange(0, 30 * 86400))
            seconds = rng.choice((1, 60, 300, 3600))
            reach = gw.market.raw_reach(inst, start, seconds)
            assert reach is not None
            low, high = reach
            for s in range(0, seconds + 1, max(1, seconds // 300)):
                assert low <= gw.market.raw_price(inst, start + timedelta(seconds=s)) <= high
    bhp = _inst(gw, "BHP")
    gw.market.move(bhp, Decimal("40.00"), AFTER_CLOSE)
    assert gw.market.raw_reach(bhp, AFTER_CLOSE, 60) is None
