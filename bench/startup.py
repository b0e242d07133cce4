#!/usr/bin/env python3
"""Start-up time of ``trader --help`` and ``trader resolve-symbol --offline`` next to bare Python.

    python bench/startup.py [--runs 20]

Prints min / median / p90 wall time per command, and each command's overhead over
``python -c pass`` (the target for ``trader --help`` is within 150 ms of it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "trader --help": [sys.executable, "-m", "trader_cli", "--help"],
    "trader resolve-symbol BHP/AUD --offline": [
        sys.executable,
        "-m",
        "trader_cli",
        "resolve-symbol",
        "BHP/AUD",
        "--offline",
        "--json",
    ],
}


def measure(cmd: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Wall time of ``runs`` runs of ``cmd`` (after one warm-up run), in milliseconds."""
    subprocess.run(cmd, env=env, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TRADER_HOME": home}
        # measure what a user gets: bytecode cached after the warm-up run
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        results = {name: measure(cmd, args.runs, env) for name, cmd in COMMANDS.items()}
    base = statistics.median(results["python -c pass"])
    print(f"{'command':42} {'min':>8} {'median':>8} {'p90':>8} {'over python':>12}")
    for name, times in results.items():
        p90 = statistics.quantiles(times, n=10)[-1]
        med = statistics.median(times)
        print(f"{name:42} {min(times):7.1f}ms {med:7.1f}ms {p90:7.1f}ms {med - base:+10.1f}ms")


if __name__ == "__main__":
    main()
