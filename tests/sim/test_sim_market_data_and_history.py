"""Streaming ticks, snapshots, historical bars and IB's historical-data errors via ib_async."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from ib_async import IB, Forex, Stock

from trader_cli.sim import SimClock, SimGateway

PACING = "Historical Market Data Service error message:Historical data request pacing violation"
SYD = ZoneInfo("Australia/Sydney")


async def _bhp(ib: IB) -> Stock:
    bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
    await ib.qualifyContractsAsync(bhp)
    return bhp


async def test_streaming_ticks_follow_the_sim_clock(gw: SimGateway, ib: IB, wait) -> None:
    bhp = await _bhp(ib)
    ticker = ib.reqMktData(bhp)
    await wait(lambda: ticker.bid > 0 and ticker.ask > 0 and ticker.volume > 0)
    assert 30 < ticker.bid < 60
    assert ticker.ask > ticker.bid
    assert round((ticker.ask - ticker.bid) * 100) in (1, 2)  # one or two ASX price steps
    assert ticker.close > 0
    assert ticker.last in (ticker.bid, ticker.ask)
    seen = {(ticker.bid, ticker.ask, ticker.volume)}
    for _ in range(10):
        await gw.advance(30, step=30)
        await ib.reqCurrentTimeAsync()  # a round trip: earlier ticks are in
        seen.add((ticker.bid, ticker.ask, ticker.volume))
    assert len(seen) > 3
    ib.cancelMktData(bhp)


async def test_snapshot_and_market_data_type(ib: IB, wait) -> None:
    ib.reqMarketDataType(1)
    pair = Forex("AUDUSD")
    await ib.qualifyContractsAsync(pair)
    [ticker] = await asyncio.wait_for(ib.reqTickersAsync(pair), 3)
    assert 0.55 < ticker.bid < 0.75
    assert ticker.marketDataType == 1
    assert round(ticker.bid / 0.00005, 6) == round(ticker.bid / 0.00005)


async def test_market_data_line_limit_is_error_101(clock) -> None:
    async with SimGateway.start(seed=1, clock=clock, market_data_lines=2) as gw:
        ib = IB()
        await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=3)
        codes: list[tuple[int, str]] = []
        ib.errorEvent += lambda _r, code, msg, _c: codes.append((code, msg))
        try:
            contracts = [Stock(s, "SMART", "AUD") for s in ("BHP", "CBA", "CSL")]
            await ib.qualifyContractsAsync(*contracts)
            for c in contracts:
                ib.reqMktData(c)
            await ib.reqCurrentTimeAsync()
            assert codes == [(101, "Max number of tickers has been reached")]
        finally:
            ib.disconnect()


@pytest.mark.parametrize(
    ("bar_size", "duration", "count"),
    [("1 min", "1800 S", 30), ("5 mins", "1 D", 12), ("1 hour", "1 D", 1), ("1 day", "1 M", 22)],
)
async def test_bar_sizes(ib: IB, bar_size: str, duration: str, count: int) -> None:
    bhp = await _bhp(ib)
    bars = await ib.reqHistoricalDataAsync(bhp, "", duration, bar_size, "TRADES", True, 1)
    assert len(bars) == count
    for bar in bars:
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert bar.volume > 0
    if bar_size == "1 day":
        assert all(type(b.date) is date for b in bars)
        assert bars[-1].date == date(2024, 7, 3)
    else:
        assert bars[-1].date.tzinfo is not None


async def test_use_rth_and_format_dates(ib: IB) -> None:
    bhp = await _bhp(ib)
    end = "20240702 18:00:00 Australia/Sydney"
    rth = await ib.reqHistoricalDataAsync(bhp, end, "1 D", "5 mins", "TRADES", True, 1)
    full = await ib.reqHistoricalDataAsync(bhp, end, "1 D", "5 mins", "TRADES", False, 1)
    assert rth[0].date == datetime(2024, 7, 2, 10, 0, tzinfo=SYD)
    assert rth[-1].date == datetime(2024, 7, 2, 15, 55, tzinfo=SYD)
    assert full[-1].date == datetime(2024, 7, 2, 16, 10, tzinfo=SYD)  # closing auction
    assert len(rth) == 72
    assert len(full) == 75
    epoch = await ib.reqHistoricalDataAsync(bhp, end, "1 D", "5 mins", "TRADES", True, 2)
    assert epoch[0].date == datetime(2024, 7, 2, 0, 0, tzinfo=UTC)
    assert [b.close for b in epoch] == [b.close for b in rth]
    fx = await ib.reqHistoricalDataAsync(Forex("AUDUSD"), "", "1 D", "1 hour", "MIDPOINT", True, 1)
    assert len(fx) == 24  # FX trades through the night


async def test_bars_are_deterministic_for_a_seed(gw: SimGateway, ib: IB) -> None:
    bhp = await _bhp(ib)
    first = await ib.reqHistoricalDataAsync(bhp, "", "1 D", "1 hour", "TRADES", True, 1)
    await gw.advance(20, step=20)
    again = await ib.reqHistoricalDataAsync(bhp, "20240703 11:00:00", "1 D", "1 hour", "TRADES",
                                            True, 1)  # fmt: skip
    assert [b.close for b in first] == [b.close for b in again]


async def test_keep_up_to_date_sends_updates(gw: SimGateway, ib: IB, wait) -> None:
    bhp = await _bhp(ib)
    bars = await ib.reqHistoricalDataAsync(bhp, "", "1800 S", "1 min", "TRADES", True, 1, True)
    before = len(bars)
    await gw.advance(120, step=30)
    await wait(lambda: len(bars) >= before + 2)
    assert bars[-1].date == datetime(2024, 7, 3, 11, 1, tzinfo=SYD)
    ib.cancelHistoricalData(bars)


async def test_invalid_bar_size_and_step(ib: IB, errors, wait) -> None:
    bhp = await _bhp(ib)
    ok = await ib.reqHistoricalDataAsync(bhp, "", "60 S", "1 secs", "TRADES", True, 1)
    assert len(ok) == 60
    assert len(await ib.reqHistoricalDataAsync(bhp, "", "1 D", "1 secs", "TRADES", True, 1)) == 0
    assert any(
        c == 162 and m == "Historical Market Data Service error message:invalid step: 1"
        for _, c, m in errors.items
    )
    assert len(await ib.reqHistoricalDataAsync(bhp, "", "400 D", "1 day", "TRADES", True, 1)) == 0
    assert any(m.endswith("Time length exceed max.") for _, c, m in errors.items if c == 162)
    # an illegal bar size string is a validation error (321), which ib_async only logs
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(
            ib.reqHistoricalDataAsync(bhp, "", "1 D", "7 mins", "TRADES", True, 1), 0.3
        )
    await wait(lambda: 321 in errors.codes())
    [text] = [m for _, c, m in errors.items if c == 321]
    assert "Historical data bar size setting is invalid. Legal ones are: 1 secs" in text


async def test_pacing_identical_request_within_15_seconds(gw: SimGateway, ib: IB, errors) -> None:
    bhp = await _bhp(ib)
    args = (bhp, "", "60 S", "5 secs", "TRADES", True, 1)
    assert len(await ib.reqHistoricalDataAsync(*args)) == 12
    assert len(await ib.reqHistoricalDataAsync(*args)) == 0
    assert [m for _, c, m in errors.items if c == 162] == [PACING]
    await gw.advance(15, step=15)
    assert len(await ib.reqHistoricalDataAsync(*args)) == 12


async def test_pacing_six_requests_same_contract_within_2_seconds(ib: IB, errors) -> None:
    bhp = await _bhp(ib)
    results = [
        await ib.reqHistoricalDataAsync(bhp, "", f"{60 + n} S", "1 secs", "TRADES", True, 1)
        for n in range(6)
    ]
    assert [bool(r) for r in results] == [True] * 5 + [False]
    assert [m for _, c, m in errors.items if c == 162] == [PACING]


async def test_pacing_sixty_requests_in_ten_minutes(gw: SimGateway, ib: IB, errors) -> None:
    bhp = await _bhp(ib)
    for n in range(60):
        bars = await ib.reqHistoricalDataAsync(bhp, "", f"{60 + n} S", "1 secs", "TRADES", True, 1)
        assert bars, n
        await gw.advance(3, step=3)
    assert len(await ib.reqHistoricalDataAsync(bhp, "", "30 S", "1 secs", "TRADES", True, 1)) == 0
    assert [m for _, c, m in errors.items if c == 162] == [PACING]
    await gw.advance(600, step=600)
    assert await ib.reqHistoricalDataAsync(bhp, "", "30 S", "1 secs", "TRADES", True, 1)


async def test_forced_pacing_violation(gw: SimGateway, ib: IB, errors) -> None:
    bhp = await _bhp(ib)
    gw.force_pacing_violation()
    assert len(await ib.reqHistoricalDataAsync(bhp, "", "1 D", "1 hour", "TRADES", True, 1)) == 0
    assert [m for _, c, m in errors.items if c == 162] == [PACING]
    assert await ib.reqHistoricalDataAsync(bhp, "", "1 D", "1 hour", "TRADES", True, 1)


async def test_weekend_clock_serves_last_session() -> None:
    clock = SimClock.pinned(datetime(2024, 7, 6, 1, 0, tzinfo=UTC))
    async with SimGateway.start(seed=2, clock=clock) as gw:
        ib = IB()
        await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=3)
        try:
            bhp = await _bhp(ib)
            bars = await ib.reqHistoricalDataAsync(bhp, "", "1 D", "1 hour", "TRADES", True, 1)
            assert bars[0].date == datetime(2024, 7, 5, 10, 0, tzinfo=SYD)
            [ticker] = await asyncio.wait_for(ib.reqTickersAsync(bhp), 3)
            assert ticker.bid > 0
        finally:
            ib.disconnect()


async def test_bars_replayed_from_csv(tmp_path) -> None:
    path = tmp_path / "BHP.csv"
    path.write_text(
        "ts,open,high,low,close,volume\n"
        "2024-07-03T00:00:00+00:00,44.00,44.50,43.90,44.20,1000\n"
        "2024-07-03T00:05:00+00:00,44.20,44.30,44.10,44.25,1500\n"
    )
    clock = SimClock.pinned(datetime(2024, 7, 3, 0, 10, tzinfo=UTC))
    async with SimGateway.start(seed=0, clock=clock, bars_csv=path) as gw:
        ib = IB()
        await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=3)
        try:
            bhp = await _bhp(ib)
            bars = await ib.reqHistoricalDataAsync(bhp, "", "600 S", "5 mins", "TRADES", True, 1)
            assert [(b.open, b.high, b.low, b.close, b.volume) for b in bars] == [
                (44.0, 44.5, 43.9, 44.2, 1000.0),
                (44.2, 44.3, 44.1, 44.25, 1500.0),
            ]
        finally:
            ib.disconnect()
