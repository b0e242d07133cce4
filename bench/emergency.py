#!/usr/bin/env python3
"""The emergency path: `trader place`, `flatten` and `resync` beside the plain ib_async floor.

    python bench/emergency.py [--runs 10] [--fill-latency-ms 20] [--trader-path DIR]

Serves two SIMULATED gateways in this process (one for ``trader``, one for the floor scripts, so
neither sees the other's positions), then times interleaved runs of each command as a subprocess,
start to exit, against a plain ib_async script doing the least the same job needs:

- ``place AUD/USD buy 25000 --market --venue ib`` vs connect + qualify + MarketOrder + Filled;
- ``flatten AUD/USD --venue ib`` vs connect + positions + a closing market order filled;
- ``resync --venue ib`` vs connect + reqExecutions + positions.

Fills come ``--fill-latency-ms`` after the acknowledgement, in a later read, as on a real Gateway
(0: in the same burst). ``--trader-path`` runs ``trader`` from another checkout (a before/after
comparison); the gateways always come from this one. A report, never a timed test: it prints
min / median per path and the ratio trader / floor of the medians (goals: place and flatten at
most 1.25x, resync at most 1.5x).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from trader_cli.sim import SimClock, SimGateway

# Wednesday 3 July 2024, 11:00 in Sydney: IDEALPRO is open; the clock runs from there.
START = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
GOALS = {"place": 1.25, "flatten": 1.25, "resync": 1.5}
FLOOR_CLIENT_ID = 7

_FLOOR_PRELUDE = """
import sys
from ib_async import IB, Forex, MarketOrder
ib = IB()
ib.connect("127.0.0.1", int(sys.argv[1]), clientId=int(sys.argv[2]), timeout=5)
"""

FLOOR_PLACE = _FLOOR_PRELUDE + """
(contract,) = ib.qualifyContracts(Forex("AUDUSD"))
trade = ib.placeOrder(contract, MarketOrder("BUY", 25000))
while trade.orderStatus.status != "Filled":
    ib.waitOnUpdate(timeout=5)
ib.disconnect()
"""

FLOOR_FLATTEN = _FLOOR_PRELUDE + """
(pos,) = [p for p in ib.reqPositions() if p.contract.symbol == "AUD" and p.position]
contract = pos.contract
contract.exchange = "IDEALPRO"
side = "SELL" if pos.position > 0 else "BUY"
trade = ib.placeOrder(contract, MarketOrder(side, abs(pos.position)))
while trade.orderStatus.status != "Filled":
    ib.waitOnUpdate(timeout=5)
ib.disconnect()
"""

FLOOR_RESYNC = _FLOOR_PRELUDE + """
from ib_async import ExecutionFilter
ib.reqExecutions(ExecutionFilter())
ib.reqPositions()
ib.disconnect()
"""


async def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall time of one subprocess, start to exit, in seconds; raises if it fails."""
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *cmd, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[:6])} exited {proc.returncode}:\n{out.decode()}\n{err.decode()}"
        )
    return elapsed


async def main(runs: int, fill_latency: float, trader_path: Path) -> None:
    """Start the gateways, warm up, measure, print."""
    py = sys.executable
    with tempfile.TemporaryDirectory() as home:
        clock_a = SimClock(START, speed=1.0)
        clock_b = SimClock(START, speed=1.0)
        async with (
            SimGateway.start(seed=1, clock=clock_a) as gw_trader,
            SimGateway.start(seed=1, clock=clock_b) as gw_floor,
        ):
            for gw in (gw_trader, gw_floor):
                gw.delay_fills(fill_latency)
            env = {
                **os.environ,
                "PYTHONPATH": str(trader_path),
                "TRADER_HOME": home,
                "IB_HOST": "127.0.0.1",
                "IB_PORT": str(gw_trader.port),
                "IB_PAPER": "true",
                "MAX_ORDER_VALUE": "1000000",
                "MAX_TOTAL_EXPOSURE": "100000000",
                "NOTIFY_URLS": "",
            }
            env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as a user runs it
            trader = [py, "-m", "trader_cli"]
            paths = {
                "place": (
                    [*trader, "place", "AUD/USD", "buy", "25000", "--market", "--venue", "ib"],
                    [py, "-c", FLOOR_PLACE, str(gw_floor.port), str(FLOOR_CLIENT_ID)],
                ),
                "flatten": (
                    [*trader, "flatten", "AUD/USD", "--venue", "ib"],
                    [py, "-c", FLOOR_FLATTEN, str(gw_floor.port), str(FLOOR_CLIENT_ID)],
                ),
                "resync": (
                    [*trader, "resync", "--venue", "ib"],
                    [py, "-c", FLOOR_RESYNC, str(gw_floor.port), str(FLOOR_CLIENT_ID)],
                ),
            }
            samples: dict[str, tuple[list[float], list[float]]] = {
                name: ([], []) for name in paths
            }
            for n in range(runs + 1):  # the first round warms caches and is not counted
                for name, (ours, floor) in paths.items():
                    pair = [(0, ours), (1, floor)]
                    if n % 2:
                        pair.reverse()  # interleaved: neither side always goes first
                    for side, cmd in pair:
                        # run from the checkout: `python -m` puts the working directory first
                        elapsed = await timed(cmd, env, trader_path)
                        if n:
                            samples[name][side].append(elapsed)
    print(
        f"SIMULATED gateway, fills {fill_latency * 1000:.0f} ms after the acknowledgement, "
        f"{runs} interleaved runs; trader from {trader_path}"
    )
    print(f"{'path':<9} {'trader min':>11} {'median':>8} {'floor min':>10} {'median':>8} "
          f"{'ratio':>7} {'goal':>6}")
    for name, (ours_s, floor_s) in samples.items():
        ours_med, floor_med = statistics.median(ours_s), statistics.median(floor_s)
        ratio = ours_med / floor_med
        print(
            f"{name:<9} {min(ours_s) * 1000:9.0f}ms {ours_med * 1000:6.0f}ms "
            f"{min(floor_s) * 1000:8.0f}ms {floor_med * 1000:6.0f}ms {ratio:6.2f}x "
            f"{GOALS[name]:5.2f}x{'' if ratio <= GOALS[name] else '  (over)'}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--fill-latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--trader-path", type=Path, default=Path(__file__).resolve().parent.parent,
        help="the checkout whose trader_cli the commands run (default: this one)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.fill_latency_ms / 1000, args.trader_path))
