"""`trader run --venue sim` on a pinned clock: symbol-bars per second, and memory over a long run.

Run: python bench/runner.py [--before REF] [--cycles 100] [--repeat 3] [--memory-cycles 2000]
     [--sql]

Speed: ``trader run --venue sim --interval 1m --json`` (the rules strategy, the default
ALLOWED_SYMBOLS) in a fresh app dir with ``SIM_CLOCK`` pinned, once with a few cycles and once
with ``--cycles`` more, interleaved ``--repeat`` times; the difference of the medians leaves
start-up out. A symbol-bar is one cycle over one symbol. With ``--before REF`` the same runs
are made on that commit's tree (``git archive``) and the ratio printed: the before/after.

Memory: the same loop in-process (``BotService``, what ``trader run`` runs) for
``--memory-cycles`` cycles, RSS and the Python heap (tracemalloc) every ``--report-every``
cycles, measured from the first report (the start: caches warm) to the last; flat means
within ``RSS_FLAT_MB``. The allocation sites that grew most in between are listed.
``--memory-from N`` measures from the first report at or after cycle N instead: from the
default clock the sim's world holds its full day of finished orders from cycle 1,440 on, so
``--memory-cycles 4000 --memory-from 2000`` measures 2,000 cycles at a run's steady size
(docs/sim.md says what a run keeps, and how much).

SQL (``--sql``): the same loop in-process for ``--cycles`` cycles after the first few, counting
the statements peewee runs: statements per cycle, and the most frequent of them.

A report, never a timed assertion: it prints each goal and whether it holds here.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLOCK = "2024-07-03T00:05:00Z"  # inside the ASX session (00:00-06:00 UTC)
FLOOR = 200.0  # symbol-bars per second: the goal
RSS_FLAT_MB = 2.0
WARM_CYCLES = 5


class AlwaysHold:
    """A strategy that never trades (``--strategy bench.runner:AlwaysHold``): the loop alone."""

    name = "hold"

    async def decide(self, ctx: Any) -> list[Any]:
        from trader_cli.strategies.base import Hold

        return [Hold(s, "benchmark", self.name) for s in ctx.universe]


def rss_mb() -> float:
    """Resident set size now, in MB (Linux /proc; falls back to the peak)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


# ----- speed -----------------------------------------------------------------------------------
def tree_of(ref: str, into: Path) -> Path:
    """The files of commit ``ref`` of this repository, extracted under ``into``."""
    out = into / ref.replace("/", "_")
    out.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    tar_path = into / "tree.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(out, filter="data")
    return out


def timed_run(tree: Path, cycles: int, strategy: str) -> tuple[float, int]:
    """Wall seconds of one ``trader run`` of ``cycles`` cycles on ``tree``, and its symbols."""
    home = tempfile.mkdtemp(prefix="bench-runner-")
    env = dict(os.environ, TRADER_HOME=home, SIM_CLOCK=CLOCK, PYTHONPATH=str(tree))
    env.pop("ALLOWED_SYMBOLS", None)
    cmd = [sys.executable, "-m", "trader_cli", "run", "--venue", "sim", "--interval", "1m",
           "--cycles", str(cycles), "--strategy", strategy, "--json"]  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=home)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"trader run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    first = next(line for line in done.stdout.splitlines() if '"event":"cycle"' in line)
    return took, len(json.loads(first)["marketOpen"])


def rate(trees: dict[str, Path], cycles: int, repeat: int, strategy: str) -> dict[str, float]:
    """Symbol-bars per second of each tree (interleaved runs, medians)."""
    short: dict[str, list[float]] = {name: [] for name in trees}
    long: dict[str, list[float]] = {name: [] for name in trees}
    symbols = 0
    for _ in range(repeat):
        for name, tree in trees.items():
            short[name].append(timed_run(tree, WARM_CYCLES, strategy)[0])
            took, symbols = timed_run(tree, WARM_CYCLES + cycles, strategy)
            long[name].append(took)
    out = {}
    for name in trees:
        extra = statistics.median(long[name]) - statistics.median(short[name])
        out[name] = cycles * symbols / max(extra, 1e-9)
        print(f"  {name:<8} {WARM_CYCLES} cycles {statistics.median(short[name]):6.2f} s, "
              f"{WARM_CYCLES + cycles} cycles {statistics.median(long[name]):6.2f} s: "
              f"{out[name]:8.1f} symbol-bars/s ({symbols} symbols, {cycles} cycles)")
    return out


# ----- memory ----------------------------------------------------------------------------------
async def memory(
    cycles: int, every: int, strategy: str, top: int, trace: bool, start: int = 0
) -> tuple[float, float]:
    """Run the bot in-process; print RSS and the Python heap every ``every`` cycles; their
    growth from the first report at or after cycle ``start`` to the last. The heap is
    pymalloc's allocated blocks, or with ``trace`` tracemalloc's traced bytes and the sites
    that grew (tracing slows the loop ~25x)."""
    home = tempfile.mkdtemp(prefix="bench-runner-mem-")
    # the bot's log lines (the client library's notes of cancelled orders) are not the report:
    # without a handler of its own Python would print them all to stderr
    logging.getLogger().addHandler(logging.NullHandler())
    os.environ.update(TRADER_HOME=home, SIM_CLOCK=CLOCK)
    os.environ.pop("ALLOWED_SYMBOLS", None)
    from trader_cli.config import load_settings
    from trader_cli.services.bot import BotOptions, BotService
    from trader_cli.services.runner import CycleReport

    if trace:
        tracemalloc.start(1)
    unit = "heap MB" if trace else "heap kblk"
    marks: list[tuple[int, float, float]] = []
    first: list[tracemalloc.Snapshot] = []
    t0 = time.perf_counter()
    print(f"{'cycles':>7} {'ms/cycle':>9} {'RSS MB':>8} {unit:>10}")

    def heap() -> float:
        if trace:
            return tracemalloc.get_traced_memory()[0] / 1e6
        return sys.getallocatedblocks() / 1e3

    def on_cycle(report: CycleReport) -> None:
        nonlocal t0
        if report.cycle % every:
            return
        took = (time.perf_counter() - t0) / every * 1000
        gc.collect()
        mark = (report.cycle, rss_mb(), heap())
        print(f"{report.cycle:>7} {took:>9.1f} {mark[1]:>8.1f} {mark[2]:>10.1f}", flush=True)
        if report.cycle >= start:
            marks.append(mark)
            if trace and not first:
                first.append(tracemalloc.take_snapshot())
        t0 = time.perf_counter()

    bot = BotService(
        load_settings(), BotOptions(strategy=strategy, cycles=cycles, interval=60.0),
        on_cycle=on_cycle,
    )  # fmt: skip
    await bot.run()
    if first:
        grew = tracemalloc.take_snapshot().compare_to(first[0], "lineno")
        print(f"largest growth between cycle {marks[0][0]} and {marks[-1][0]}:")
        for stat in grew[:top]:
            print(f"  {stat.size_diff / 1e3:+9.1f} KB {stat.count_diff:+7d} blocks  "
                  f"{stat.traceback[0]}")
        tracemalloc.stop()
    if len(marks) < 2:
        return 0.0, 0.0
    return marks[-1][1] - marks[0][1], marks[-1][2] - marks[0][2]


async def sql_per_cycle(cycles: int, strategy: str, top: int) -> float:
    """Run the bot in-process for ``WARM_CYCLES + cycles`` cycles; print the SQL statements per
    cycle over the last ``cycles`` and the most frequent ones (by their text up to the WHERE)."""
    home = tempfile.mkdtemp(prefix="bench-runner-sql-")
    logging.getLogger().addHandler(logging.NullHandler())
    os.environ.update(TRADER_HOME=home, SIM_CLOCK=CLOCK)
    os.environ.pop("ALLOWED_SYMBOLS", None)
    from trader_cli.config import load_settings
    from trader_cli.services.bot import BotOptions, BotService
    from trader_cli.services.runner import CycleReport

    seen: list[str] = []
    counting = [False]

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if counting[0]:
                msg = record.msg
                seen.append(str(msg[0] if isinstance(msg, tuple) else msg))

    peewee_log = logging.getLogger("peewee")
    peewee_log.addHandler(Count())
    peewee_log.setLevel(logging.DEBUG)
    peewee_log.propagate = False

    def on_cycle(report: CycleReport) -> None:
        counting[0] = WARM_CYCLES <= report.cycle < WARM_CYCLES + cycles

    bot = BotService(
        load_settings(),
        BotOptions(strategy=strategy, cycles=WARM_CYCLES + cycles, interval=60.0),
        on_cycle=on_cycle,
    )
    await bot.run()
    kinds: dict[str, int] = {}
    for sql in seen:
        key = sql.split(" WHERE ")[0].split(" VALUES ")[0]
        key = key if len(key) <= 90 else f"{key[:40]} ... {key[key.find(' FROM '):][:45]}"
        kinds[key] = kinds.get(key, 0) + 1
    for key, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {n / cycles:6.2f}  {key}")
    return len(seen) / cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REF", help="also measure this commit (before)")
    parser.add_argument("--cycles", type=int, default=100, help="cycles timed (speed)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-cycles", type=int, default=2000)
    parser.add_argument("--report-every", type=int, default=200)
    parser.add_argument("--memory-from", type=int, default=0, metavar="N",
                        help="measure memory from the first report at or after cycle N")
    parser.add_argument("--strategy", default="rules",
                        help="rules (trader run's default) or bench.runner:AlwaysHold (the loop)")
    parser.add_argument("--top", type=int, default=8, help="allocation sites listed")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--sql", action="store_true",
                        help="also count SQL statements per cycle (in-process, --cycles cycles)")
    parser.add_argument("--trace", action="store_true",
                        help="heap by tracemalloc, with the sites that grew (slow)")
    args = parser.parse_args()
    verdicts = []
    if not args.skip_speed:
        print(f"speed: trader run --venue sim --strategy {args.strategy}, pinned clock, "
              "--interval 1m")
        trees = {"after": ROOT}
        with tempfile.TemporaryDirectory() as tmp:
            if args.before:
                trees = {"before": tree_of(args.before, Path(tmp)), **trees}
            got = rate(trees, args.cycles, args.repeat, args.strategy)
        after = got["after"]
        line = f"{after:.0f} symbol-bars/s, {after / FLOOR:.2f}x the floor {FLOOR:.0f}"
        if "before" in got:
            line += f"; {after / got['before']:.1f}x before ({got['before']:.0f}/s)"
        verdicts.append(("speed", line, after >= FLOOR))
    if not args.skip_memory:
        print(f"memory: {args.memory_cycles} cycles in-process ({args.strategy})")
        rss, heap = asyncio.run(
            memory(args.memory_cycles, args.report_every, args.strategy, args.top, args.trace,
                   args.memory_from)
        )
        unit = "MB" if args.trace else "thousand blocks"
        line = f"RSS {rss:+.1f} MB, heap {heap:+.1f} {unit} from the first report to the last"
        if args.memory_from:
            line += f" (from cycle {args.memory_from} on)"
        verdicts.append(("memory", line, abs(rss) <= RSS_FLAT_MB))
    if args.sql:
        print(f"SQL: {args.cycles} cycles in-process ({args.strategy}), statements per cycle")
        per = asyncio.run(sql_per_cycle(args.cycles, args.strategy, args.top))
        print(f"  {per:6.2f}  in all")
    print()
    for name, line, ok in verdicts:
        print(f"{name:<7} {'meets' if ok else 'MISSES'} its goal: {line}")


if __name__ == "__main__":
    main()
