"""Adapter overhead: our ``fetch_ohlcv`` and ``get_market_data`` vs bare ib_async, same sim.

Run: python bench/ib_adapter.py [--runs N]

Both sides make the same request (the duration the adapter picks for 300 "5 mins" TRADES
bars, RTH, formatDate=2) against the same SIMULATED gateway over loopback. Pacing waits and the
adapter's 15-second identical-request cache are switched off for the measurement (they are
deliberate delays and shortcuts, not overhead), so the ratio is what the mapping to Decimal
candles, validation and bookkeeping cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime

from ib_async import IB, Stock

from trader_cli.config import load_settings
from trader_cli.domain.symbols import parse_symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.sim import SimClock, SimGateway
from trader_cli.venues.ib import mapping
from trader_cli.venues.ib.pacing import PacingRules
from trader_cli.venues.sim.venue import SimTrader

PINNED = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
NO_PACING = PacingRules(max_requests=10**9, identical_gap=0, same_contract_max=10**9, margin=0)


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(samples) * 1000, p95 * 1000


async def main(runs: int) -> None:
    os.environ.setdefault("TRADER_HOME", tempfile.mkdtemp())
    bare_bars: list[float] = []
    ours_bars: list[float] = []
    bare_quote: list[float] = []
    ours_quote: list[float] = []
    async with SimGateway.start(seed=1, clock=SimClock.pinned(PINNED)) as gw:
        bare = IB()
        await bare.connectAsync("127.0.0.1", gw.port, clientId=2, timeout=5)
        (contract,) = await bare.qualifyContractsAsync(
            Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
        )
        ours = SimTrader(load_settings(), gw)
        await ours.connect()
        ours.pacer.rules = NO_PACING
        bhp = parse_symbol("BHP/AUD")
        await ours.resolve(bhp)
        # the request the adapter makes for 300 five-minute bars; bare ib_async makes the same one
        span = min(
            mapping.days_needed(Timeframe.M5, 300, "STK"), mapping.max_span_days(Timeframe.M5)
        )
        duration = mapping.duration_string(span)
        bars = await ours.fetch_ohlcv(bhp, Timeframe.M5, 300)
        for _ in range(runs):
            t0 = time.perf_counter()
            raw = await bare.reqHistoricalDataAsync(
                contract, "", duration, "5 mins", "TRADES", True, formatDate=2
            )
            bare_bars.append(time.perf_counter() - t0)
            ours._bar_cache.clear()
            t0 = time.perf_counter()
            bars = await ours.fetch_ohlcv(bhp, Timeframe.M5, 300)
            ours_bars.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await bare.reqTickersAsync(contract)
            bare_quote.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await ours.get_market_data(bhp)
            ours_quote.append(time.perf_counter() - t0)
        assert len(bars) == 300, len(bars)
        assert len(raw) >= 300, len(raw)
        bare.disconnect()
        await ours.close()
    print(f"{'request':<44} {'runs':>5} {'median ms':>10} {'p95 ms':>10}")
    rows = [
        (f"bare reqHistoricalData ({duration} x 5 mins)", bare_bars),
        ("trader fetch_ohlcv(BHP/AUD, 5m, 300)", ours_bars),
        ("bare reqTickers snapshot", bare_quote),
        ("trader get_market_data (streaming reuse)", ours_quote),
    ]
    for name, samples in rows:
        median, p95 = _stats(samples)
        print(f"{name:<44} {len(samples):>5} {median:>10.2f} {p95:>10.2f}")
    ratio = statistics.median(ours_bars) / statistics.median(bare_bars)
    print(f"\nfetch_ohlcv / bare reqHistoricalData (median): {ratio:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    asyncio.run(main(parser.parse_args().runs))
