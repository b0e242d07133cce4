"""IBTrader: contract resolution, top of book, OHLCV and pacing, against the sim over loopback."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader_cli.domain.symbols import parse_symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import InputError, SymbolError, TimeframeError

BHP = parse_symbol("BHP/AUD")
AUDUSD = parse_symbol("AUD/USD")


async def test_resolve_qualifies_once_and_keeps_canonical_symbols(trader, gw) -> None:
    inst = await trader.resolve(BHP)
    assert inst.symbol == BHP
    assert inst.venue_id == str(inst.details["conId"])
    assert inst.min_tick == Decimal("0.01")
    assert inst.details["primaryExchange"] == "ASX"
    assert inst.time_zone
    assert inst.trading_hours
    assert inst.market_orders_allowed
    assert "BHP" not in inst.to_dict()["symbol"].replace("BHP/AUD", "")
    again = await trader.resolve(BHP)
    assert again is inst  # qualified once, then served from the cache


async def test_fx_resolves_to_idealpro(trader) -> None:
    inst = await trader.resolve(AUDUSD)
    assert inst.details["secType"] == "CASH"
    assert inst.currency == "USD"
    assert inst.min_tick == Decimal("0.00005")


async def test_unknown_contract_is_a_symbol_error(trader) -> None:
    with pytest.raises(SymbolError, match="IB knows no contract for ZZZ/AUD"):
        await trader.resolve(parse_symbol("ZZZ/AUD"))


async def test_allowed_instruments_are_honoured_before_asking_ib(trader) -> None:
    with pytest.raises(SymbolError, match="IB_ALLOWED_INSTRUMENTS"):
        await trader.resolve(parse_symbol("AAPL/USD"))
    with pytest.raises(SymbolError, match="--venue gemini"):
        await trader.resolve(parse_symbol("BTC/USD"))


async def test_quote_has_every_field_and_reuses_one_streaming_line(trader, gw) -> None:
    q = await trader.get_market_data(BHP)
    assert q.symbol == "BHP/AUD"
    assert q.bid is not None and q.ask is not None and q.bid < q.ask
    assert q.bid_size is not None and q.bid_size == q.bid_size.to_integral_value()
    assert q.volume is not None and q.volume > 0
    assert q.spread_pct is not None and q.spread_pct > 0
    assert q.ob_imbalance is not None and -1 <= q.ob_imbalance <= 1
    assert q.timestamp <= gw.clock.now()
    assert not q.delayed
    await trader.get_market_data(BHP)
    await trader.get_market_data(BHP)
    (session,) = gw.all_sessions()
    assert len(session.tickers) == 1


async def test_delayed_market_data_is_surfaced(trader, gw) -> None:
    gw.withhold_live_data()
    q = await trader.get_market_data(AUDUSD)
    assert q.delayed
    assert any(e["code"] == 10167 for e in trader.link_events())


async def test_snapshot_fallback_when_no_streaming_line_is_left(clock, settings) -> None:
    from trader_cli.sim import SimGateway
    from trader_cli.venues.sim.venue import SimTrader

    async with SimGateway.start(seed=7, clock=clock, market_data_lines=1) as gw:
        t = SimTrader(settings, gw)
        t.market_data_timeout = 0.3
        await t.connect()
        try:
            await t.get_market_data(BHP)
            q = await t.get_market_data(parse_symbol("CBA/AUD"))  # streaming refused with 101
            assert q.symbol == "CBA/AUD"
            assert q.bid is not None
            assert any(e["code"] == 101 for e in t.link_events())
        finally:
            await t.close()


@pytest.mark.parametrize(
    ("timeframe", "limit", "seconds"),
    [
        (Timeframe.M1, 30, 60),
        (Timeframe.M5, 50, 300),
        (Timeframe.H1, 40, 3600),
        (Timeframe.D1, 30, 86400),
    ],
)
async def test_ohlcv_is_oldest_first_and_exactly_limit(trader, timeframe, limit, seconds) -> None:
    bars = await trader.fetch_ohlcv(BHP, timeframe, limit)
    assert len(bars) == limit
    stamps = [b.ts for b in bars]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == limit
    assert all(b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close) for b in bars)
    assert all((b.ts - stamps[0]).total_seconds() % seconds == 0 for b in bars) or seconds == 86400


async def test_many_one_minute_bars_span_several_requests(trader) -> None:
    bars = await trader.fetch_ohlcv(BHP, Timeframe.M1, 900)  # > one session of 1-minute bars
    assert len(bars) == 900
    assert [b.ts for b in bars] == sorted({b.ts for b in bars})


async def test_fx_bars_use_midpoint_round_the_clock(trader) -> None:
    bars = await trader.fetch_ohlcv(AUDUSD, Timeframe.H1, 30)
    assert len(bars) == 30
    assert all(Decimal("0.3") < b.close < Decimal("1.2") for b in bars)


async def test_unsupported_timeframe_and_bad_limit_are_refused(trader) -> None:
    with pytest.raises(TimeframeError, match="IB has no 6h bars"):
        await trader.fetch_ohlcv(BHP, Timeframe.H6, 10)
    with pytest.raises(InputError, match="limit"):
        await trader.fetch_ohlcv(BHP, Timeframe.M5, 0)


async def test_pacing_storm_completes_without_a_single_162(trader, gw) -> None:
    gw.pacing.pace_all = True  # pace every bar size, stricter than IB
    codes: list[int] = []
    trader.ib.errorEvent += lambda _r, code, _m, _c: codes.append(code)
    symbols = [parse_symbol(s) for s in ("BHP/AUD", "CBA/AUD", "CSL/AUD", "NAB/AUD", "WBC/AUD")]
    timeframes = [Timeframe.M5, Timeframe.M15, Timeframe.H1, Timeframe.D1]
    start = gw.clock.now()
    done = 0
    for i in range(100):
        sym = symbols[i % len(symbols)]
        tf = timeframes[(i // len(symbols)) % len(timeframes)]
        bars = await trader.fetch_ohlcv(sym, tf, 10 + i)
        assert bars
        done += 1
    assert done == 100
    assert 162 not in codes
    assert trader.pacer.waited > 0  # the pacer queued requests instead of letting IB refuse them
    assert (gw.clock.now() - start).total_seconds() >= 600  # > 60 requests need a second window


async def test_a_pacing_reply_is_retried_transparently(trader, gw) -> None:
    codes: list[int] = []
    trader.ib.errorEvent += lambda _r, code, _m, _c: codes.append(code)
    gw.force_pacing_violation()
    bars = await trader.fetch_ohlcv(BHP, Timeframe.M5, 20)
    assert len(bars) == 20
    assert codes.count(162) == 1
