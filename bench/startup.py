#!/usr/bin/env python3
"""Start-up time of trader's one-off commands over bare ``python -c pass``, against their goals.

    python bench/startup.py [--runs 20]

Every round runs each command once, in turn (``python -c pass`` included), so all of them see
the same machine load; the overhead of a command is its median wall time minus the median of
``python -c pass`` in the same run. Goals (issue 18): ``--help`` within 150 ms of bare Python,
``hours`` and ``resolve-symbol --offline`` within 300 ms. A report, never a timed assertion.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

BASELINE = "python -c pass"
TRADER = [sys.executable, "-m", "trader_cli"]
# name -> (command, goal in ms over bare Python; None for the baseline itself)
COMMANDS: dict[str, tuple[list[str], float | None]] = {
    BASELINE: ([sys.executable, "-c", "pass"], None),
    "trader --help": ([*TRADER, "--help"], 150.0),
    "trader hours BHP/AUD": ([*TRADER, "hours", "BHP/AUD"], 300.0),
    "trader resolve-symbol BHP/AUD --offline": (
        [*TRADER, "resolve-symbol", "BHP/AUD", "--offline"],
        300.0,
    ),
}


def run_once(cmd: list[str], env: dict[str, str]) -> float:
    """Wall time of one run of ``cmd``, in milliseconds (it must exit 0)."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, capture_output=True, check=True)
    return (time.perf_counter() - start) * 1000


def measure(runs: int, env: dict[str, str]) -> dict[str, list[float]]:
    """``runs`` interleaved rounds of every command, after one warm-up round."""
    for cmd, _ in COMMANDS.values():
        run_once(cmd, env)  # warm-up: bytecode compiled and cached, files in the page cache
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, (cmd, _) in COMMANDS.items():
            times[name].append(run_once(cmd, env))
    return times


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        # an empty app dir and no .env: the defaults (IB on the sim, its default clock)
        env = {**os.environ, "TRADER_HOME": home}
        env.pop("TRADER_ENV_FILE", None)
        # measure what a user gets: bytecode cached after the warm-up run
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        results = measure(args.runs, env)
    base = statistics.median(results[BASELINE])
    print(f"{args.runs} interleaved runs each; overhead = median - median of `{BASELINE}`")
    header = f"{'command':42} {'min':>8} {'median':>8} {'p90':>8} {'overhead':>9} {'goal':>7}"
    print(header)
    for name, times in results.items():
        goal = COMMANDS[name][1]
        p90 = statistics.quantiles(times, n=10)[-1]
        med = statistics.median(times)
        over = med - base
        verdict = "" if goal is None else f"{goal:5.0f}ms {'met' if over <= goal else 'MISSED'}"
        print(
            f"{name:42} {min(times):7.1f}ms {med:7.1f}ms {p90:7.1f}ms "
            f"{'' if goal is None else f'{over:+8.1f}ms'!s:>9} {verdict}"
        )


if __name__ == "__main__":
    main()
