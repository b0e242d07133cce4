"""Per-cycle overhead of the strategy loop (strategy excluded) and memory over a long sim run.

Run: python bench/runner.py [--cycles 600] [--report-every 100]

Drives StrategyRunner.cycle() against the SIMULATED gateway on a pinned clock (each cycle then
advances the market one minute) with a strategy that always holds, so what is timed is the loop's
own work: account, positions, quotes for every allowed symbol, plan monitor, decisions, DB writes
(equity snapshot, market data) and the periodic resync. Memory: RSS and Python heap (tracemalloc)
every --report-every cycles; flat numbers mean nothing grows with the number of cycles.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime

from trader_cli.config import load_settings
from trader_cli.db import store, use_database
from trader_cli.db.models import SessionMode
from trader_cli.services.context import TradingContext
from trader_cli.services.orders import OrderService
from trader_cli.services.runner import StrategyRunner
from trader_cli.sim import SimClock
from trader_cli.strategies.base import Hold, StrategyContext
from trader_cli.venues.sim.venue import sim_trader


class AlwaysHold:
    """A strategy that costs nothing: the benchmark times the loop, not a strategy."""

    name = "hold"

    async def decide(self, ctx: StrategyContext) -> list[Hold]:
        return [Hold(s, "benchmark", self.name) for s in ctx.universe]


def rss_mb() -> float:
    """Resident set size now, in MB (Linux /proc; falls back to the peak)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


async def main(cycles: int, every: int) -> None:
    home = tempfile.mkdtemp()
    os.environ["TRADER_HOME"] = home
    settings = load_settings()
    clock = SimClock.pinned(datetime(2024, 7, 3, 0, 5, tzinfo=UTC))  # ASX open 00:00-06:00 UTC
    tracemalloc.start()
    with use_database(f"sqlite:///{home}/bench.sqlite"):
        async with sim_trader(settings, seed=1, clock=clock) as venue:
            session = store.open_session(venue="sim", mode=SessionMode.SIM, base_currency="AUD",
                                         started_at=clock.now())
            ctx = TradingContext(settings, venue, session, OrderService(venue, settings, session))
            runner = StrategyRunner(ctx, AlwaysHold())
            times: list[float] = []
            print(f"{'cycles':>7} {'median ms':>10} {'p95 ms':>8} {'RSS MB':>8} {'heap MB':>8}")
            for n in range(1, cycles + 1):
                t0 = time.perf_counter()
                await runner.cycle()
                times.append(time.perf_counter() - t0)
                await venue.gateway.advance(30, step=30)  # the market moves on between cycles
                if n % every == 0:
                    window = sorted(times[-every:])
                    p95 = window[int(0.95 * (len(window) - 1))]
                    heap = tracemalloc.get_traced_memory()[0] / 1e6
                    print(f"{n:>7} {statistics.median(window) * 1000:>10.2f} {p95 * 1000:>8.2f} "
                          f"{rss_mb():>8.1f} {heap:>8.1f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=600)
    parser.add_argument("--report-every", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.cycles, args.report_every))
