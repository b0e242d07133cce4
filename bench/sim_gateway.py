"""Connect time and historical-request round trip against the SIMULATED gateway.

Run: python bench/sim_gateway.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime

from ib_async import IB, Stock

from trader_cli.sim import SimClock, SimGateway

PINNED = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


def _row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = statistics.median(samples) * 1000
    return f"{name:<36} {len(samples):>5} {median:>10.2f} {p95 * 1000:>10.2f}"


async def main(runs: int) -> None:
    connect: list[float] = []
    hist_5m: list[float] = []
    hist_1m: list[float] = []
    async with SimGateway.start(seed=1, clock=SimClock.pinned(PINNED)) as gw:
        bhp = Stock("BHP", "SMART", "AUD")
        for n in range(runs):
            ib = IB()
            t0 = time.perf_counter()
            await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=5)
            connect.append(time.perf_counter() - t0)
            if n == 0:
                await ib.qualifyContractsAsync(bhp)
            t0 = time.perf_counter()
            await ib.reqHistoricalDataAsync(bhp, "", "1 D", "5 mins", "TRADES", True, 1)
            hist_5m.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await ib.reqHistoricalDataAsync(bhp, "", "5 D", "1 min", "TRADES", True, 2)
            hist_1m.append(time.perf_counter() - t0)
            ib.disconnect()
            await asyncio.sleep(0)
    print(f"SIMULATED gateway, {runs} runs (times in ms)")
    print(f"{'measure':<36} {'n':>5} {'median':>10} {'p95':>10}")
    print(_row("connectAsync (full start-up sync)", connect))
    print(_row("historical 1 D x 5 mins (72 bars)", hist_5m))
    print(_row("historical 5 D x 1 min (~1800 bars)", hist_1m))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    asyncio.run(main(parser.parse_args().runs))
