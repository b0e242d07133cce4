"""The sim reuses the rows of its last answer to the same history request (and what decides a
skipped step uses the touch without its sizes): every answer still equals the answer a fresh
gateway gives at that moment, as the clock moves and after a moved price."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trader_cli.sim.engine.catalogue import ContractQuery, Instrument
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.engine.market import MarketModel
from trader_cli.sim.tws.requests import HistoricalRequest
from trader_cli.sim.tws.server import SimGateway

START = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)  # the ASX is open


def _request(req_id: int, symbol: str, duration: str, bar_size: str) -> HistoricalRequest:
    what = "MIDPOINT" if "." in symbol else "TRADES"
    return HistoricalRequest(
        req_id=req_id, contract=ContractQuery(local_symbol=symbol), end="", bar_size=bar_size,
        duration=duration, use_rth="." not in symbol, what_to_show=what, format_date=2,
        keep_up_to_date=False,
    )  # fmt: skip


def _inst(gw: SimGateway, symbol: str) -> Instrument:
    found = gw.catalogue.by_local_symbol(symbol)
    assert found is not None
    return found


def _answer(gw: SimGateway, req: HistoricalRequest) -> list[object]:
    fields, _ = gw.replies.historical(_inst(gw, req.contract.local_symbol), req)
    return [str(f) for f in fields]


async def test_history_asked_each_minute_equals_a_fresh_gateways_answer() -> None:
    gw = SimGateway(seed=7, clock=SimClock.pinned(START))
    asks = [("BHP", "5 D", "5 mins"), ("AUD.USD", "4 D", "5 mins"), ("BHP", "1 D", "1 min")]
    move: tuple[Decimal, datetime] | None = None

    def fresh() -> SimGateway:
        new = SimGateway(seed=7, clock=SimClock.pinned(gw.clock.now()))
        if move is not None:
            new.market.move(_inst(new, "BHP"), *move)
        return new

    for minute in range(12):
        if minute == 6:  # a price moved from half an hour ago: bars already sent change
            bhp = _inst(gw, "BHP")
            move = (gw.market.quote(bhp, START).bid, gw.clock.now() - timedelta(minutes=30))
            gw.market.move(bhp, *move)
        for n, (symbol, duration, size) in enumerate(asks):
            req = _request(minute * 10 + n, symbol, duration, size)
            assert _answer(gw, req) == _answer(fresh(), req), (minute, symbol, size)
        gw.clock.advance(60)


def test_the_touch_without_its_sizes_is_the_touchs() -> None:
    model = MarketModel(seed=3)
    gw = SimGateway(seed=3, clock=SimClock.pinned(START))
    rng = random.Random(1)
    for symbol in ("BHP", "CSL", "AUD.USD", "BTCUSD"):
        inst = gw.catalogue.by_local_symbol(symbol)
        if inst is None:
            continue
        for _ in range(200):
            at = START + timedelta(seconds=rng.randrange(0, 7 * 86400))
            touch = model.touch(inst, at)
            assert model.prices_at(inst, at) == (touch.bid, touch.ask, touch.last)
            q = model.quote(inst, at)  # frozen while the market is closed, as the quote is
            assert model.quote_prices(inst, at) == (q.bid, q.ask, q.last)
        model.move(inst, Decimal(str(model.touch(inst, START).bid)), START)
        touch = model.touch(inst, START + timedelta(seconds=5))
        assert model.prices_at(inst, START + timedelta(seconds=5)) == (
            touch.bid, touch.ask, touch.last)
