#!/usr/bin/env python3
"""`trader backtest` against backtrader: the same SMA(10/30) crossover on the same synthetic bars.

    python bench/backtest.py                 # 200,000 one-minute BHP/AUD bars, 3 runs each
    python bench/backtest.py --bars 5000 --runs 1       # a smoke run
    python bench/backtest.py --memory        # ours at 10k, 100k and 1M bars: peak RSS of each
    python bench/backtest.py --bars 5000 --trade-diff   # pair the engines' entries

Writes the bars with ``bench/synthetic_bars.py`` (XASX session minutes, ASX price steps, seeded),
then runs, interleaved ``--runs`` times, each engine as its own process on the same CSV:

* backtrader (installed on first use into a scratch venv, ``--bt-venv``; not a dependency of
  trader) running ``bench/bt_sma.py``, the strategy and plan monitor mirrored;
* ours: ``python -m trader_cli backtest --bars FILE --strategy sma_1m:SmaCrossover1m --cash C
  --json`` with ``bench/`` on ``PYTHONPATH`` (``--repo DIR`` puts another checkout first).

bars/s is the bars an engine reports over the wall time of its whole process, start-up and the
CSV read included, medians over the runs; peak RSS is that process's ``ru_maxrss``. The bench is
a report: it exits 0 whatever the ratio (1 only when an engine could not run).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
DEFAULT_BT_VENV = Path.home() / ".cache" / "trader-bench" / "backtrader-venv"
STRATEGY = "sma_1m:SmaCrossover1m"
GOAL, AIM = 1.0, 10.0
MEMORY_SIZES = (10_000, 100_000, 1_000_000)
PAIR_WINDOW = timedelta(minutes=5)
# keys under which a backtest's JSON may carry its own run time, in seconds
OWN_TIME_KEYS = ("seconds", "elapsed_s", "elapsed_seconds", "elapsed", "wall_s", "duration_s")

FOOTER = """\
bars/s = bars / wall time of the whole process (interpreter start-up, imports and the CSV read
included); medians over {runs} interleaved run(s). Peak RSS: ru_maxrss of that process.
Same strategy, costs and exits on both sides: entry on the bar the SMA(10) crosses the SMA(30),
stop 2 ATR(14, Wilder) and target 3 ATR away on the ASX step, size = AUD 100 / stop distance
capped by MAX_ORDER_VALUE {max_order_value} x 0.95, marketable-limit entry ({slippage} bps) with
stop + target as an OCA bracket (not sent when the target or stop is not beyond the entry's
limit, or the stop is already through the touch), flat 10 min before each session's close and
no entry then, commission {rate_pct}% of value with a minimum of AUD {minimum} per order.
Where the fill rules differ (so the trade counts may):
 - backtrader fills the entry at the next bar's open (or at its limit if the bar reaches it), the
   stop at its trigger or the open when a bar gaps through it, the target at its limit or better;
   the stop and target are live only from the bar after the entry fills, and on a bar that
   touches both the stop wins (it is checked first); the pre-close exit is a market order filled
   at the next bar's open; every order fills whole (no volume limit); a bar's quote is its close,
   one step either side.
 - trader backtest fills through the simulator's matching engine: marketable limits against the
   book it builds from each bar, partial fills against simulated depth, the same pre-trade risk
   checks as `trader run` (MAX_ORDER_VALUE, exposure, daily loss, spread and price band), which
   may refuse an entry backtrader takes; see docs/backtest.md for its bar-to-quote rules.
`--trade-diff` pairs the two engines' entries minute by minute on a short run.
"""


@dataclass
class Run:
    """One process: its wall time, peak RSS and the JSON it printed."""

    wall: float
    rss_mib: float
    report: dict[str, Any]

    @property
    def bars(self) -> int:
        return int(self.report.get("bars", 0))

    @property
    def own_seconds(self) -> float | None:
        for key in OWN_TIME_KEYS:
            value = self.report.get(key)
            if isinstance(value, int | float):
                return float(value)
        return None


@dataclass
class Engine:
    """An engine under test: the command that runs it on a CSV, and what its runs gave."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    runs: list[Run] = field(default_factory=list)

    def median(self, what: str) -> float:
        values = {
            "wall": [r.wall for r in self.runs],
            "rss": [r.rss_mib for r in self.runs],
            "rate": [r.bars / r.wall for r in self.runs],
            "own": [s for r in self.runs if (s := r.own_seconds) is not None],
        }[what]
        return statistics.median(values) if values else float("nan")


class EngineFailed(RuntimeError):
    """An engine exited non-zero or printed no JSON report."""


def measure(argv: list[str], env: dict[str, str], cwd: Path) -> Run:
    """Run ``argv`` to its end: its wall time, its own peak RSS and the JSON it printed.

    Each run gets an empty app dir (``TRADER_HOME``): no run sees what an earlier one left.
    """
    with tempfile.TemporaryDirectory() as tmp:
        env = {**env, "TRADER_HOME": str(Path(tmp, "home"))}
        Path(tmp, "home").mkdir()
        usage, out, err = Path(tmp, "usage.json"), Path(tmp, "out"), Path(tmp, "err")
        launcher = [sys.executable, "-S", str(BENCH / "peak_rss.py"), str(usage), *argv]
        with out.open("wb") as stdout, err.open("wb") as stderr:
            code = subprocess.run(launcher, env=env, cwd=cwd, stdout=stdout, stderr=stderr,
                                  stdin=subprocess.DEVNULL, check=False).returncode
        text, errors = out.read_text("utf-8", "replace"), err.read_text("utf-8", "replace")
        measured = json.loads(usage.read_text("utf-8")) if usage.exists() else None
    if code != 0 or measured is None:
        tail = "\n".join(errors.strip().splitlines()[-15:])
        raise EngineFailed(f"{shlex.join(argv)}\nexited {code}:\n{tail}")
    try:
        report = json.loads(text)
    except json.JSONDecodeError:
        raise EngineFailed(
            f"{shlex.join(argv)}\nprinted no JSON report on stdout:\n{text[-500:]}"
        ) from None
    if not isinstance(report, dict) or not isinstance(report.get("bars"), int):
        raise EngineFailed(f"{shlex.join(argv)}\nreport has no integer 'bars': {text[:300]}")
    # ru_maxrss is in KiB on Linux
    return Run(float(measured["wall"]), measured["maxrss_kib"] / 1024, report)


def backtrader_python(venv: Path) -> Path:
    """The scratch venv's python, with backtrader installed on first use."""
    python = venv / "bin" / "python"
    ok = python.exists() and subprocess.run(
        [str(python), "-c", "import backtrader"], capture_output=True, check=False
    ).returncode == 0
    if not ok:
        print(f"installing backtrader into {venv} (once) ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "backtrader"], check=True)
    return python


@dataclass(frozen=True)
class Terms:
    """What both engines must agree on, from trader's effective settings and tables."""

    cash: str
    max_order_value: str
    slippage_bps: str
    rate: str
    minimum: str
    price_steps: str


def trader_terms(cash: str, env: dict[str, str], cwd: Path) -> Terms:
    """The settings ``trader backtest`` will run with (same environment and directory)."""
    from trader_cli.config import load_settings
    from trader_cli.domain.ticks import ASX_PRICE_STEPS

    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        settings = load_settings()
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    steps = ",".join(f"{lower}:{step}" for lower, step in ASX_PRICE_STEPS)
    return Terms(
        cash=cash,
        max_order_value=str(settings.risk.max_order_value),
        slippage_bps=str(settings.risk.marketable_limit_slippage_bps),
        rate=str(settings.ib.commission_asx_rate),
        minimum=str(settings.ib.asx_commission_minimum),
        price_steps=steps,
    )


def ours_env(work: Path, repo: Path | None) -> dict[str, str]:
    """Our process's environment: ``bench/`` (and ``repo``) on the path, an app dir of its own."""
    env = dict(os.environ)
    paths = [str(BENCH)] + ([str(repo)] if repo else [])
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    home = work / "home"
    home.mkdir(exist_ok=True)
    env["TRADER_HOME"] = str(home)
    return env


def engines(csv: Path, terms: Terms, args: argparse.Namespace, work: Path) -> list[Engine]:
    """backtrader (mirror) and ours, ready to run on ``csv``."""
    bt_argv = [
        str(backtrader_python(args.bt_venv)), str(BENCH / "bt_sma.py"),
        "--bars", str(csv), "--sessions", str(csv.with_suffix(".sessions.json")),
        "--cash", terms.cash, "--max-order-value", terms.max_order_value,
        "--slippage-bps", terms.slippage_bps, "--commission-rate", terms.rate,
        "--commission-min", terms.minimum, "--price-steps", terms.price_steps,
    ]
    bt_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return [
        Engine("backtrader", bt_argv, bt_env, work),
        Engine("trader backtest", ours_argv(csv, args), ours_env(work, args.repo), work),
    ]


def ours_argv(csv: Path, args: argparse.Namespace) -> list[str]:
    """``trader backtest`` on ``csv`` (``--command`` replaces ``python -m trader_cli backtest``)."""
    head = shlex.split(args.command) if args.command else [
        sys.executable, "-m", "trader_cli", "backtest"]
    return [*head, "--bars", str(csv), "--strategy", STRATEGY, "--cash", args.cash, "--json"]


def write_bars(work: Path, bars: int, seed: int) -> Path:
    """Generate ``bars`` bars into ``work/<bars>/BHP.csv`` (the stem names the symbol)."""
    from synthetic_bars import write_csv

    folder = work / str(bars)
    folder.mkdir(exist_ok=True)
    csv = folder / "BHP.csv"
    started = time.perf_counter()
    write_csv(csv, bars, seed)
    print(f"wrote {bars:,} bars (seed {seed}) to {csv} in {time.perf_counter() - started:.1f} s",
          file=sys.stderr, flush=True)
    return csv


def compare(args: argparse.Namespace, work: Path) -> int:
    """The speed report: both engines, interleaved, one table."""
    terms = trader_terms(args.cash, ours_env(work, args.repo), work)
    smoke = write_bars(work, min(args.bars, 2_000), args.seed)
    for engine in engines(smoke, terms, args, work):  # fail fast, and warm the caches
        try:
            measure(engine.argv, engine.env, engine.cwd)
        except EngineFailed as e:
            print(f"{engine.name} cannot run:\n{e}", file=sys.stderr)
            return 1
    csv = write_bars(work, args.bars, args.seed)
    both = engines(csv, terms, args, work)
    for n in range(args.runs):
        for engine in both if n % 2 == 0 else both[::-1]:
            print(f"run {n + 1}/{args.runs}: {engine.name} ...", file=sys.stderr, flush=True)
            try:
                engine.runs.append(measure(engine.argv, engine.env, engine.cwd))
            except EngineFailed as e:
                print(f"{engine.name} failed:\n{e}", file=sys.stderr)
                return 1
    print_table(both, args.bars, terms, args.runs)
    return 0


def print_table(both: list[Engine], bars: int, terms: Terms, runs: int) -> None:
    """The table, the ratio, the trade counts and the footer."""
    print(f"\nSMA(10/30) crossover, {bars:,} one-minute BHP/AUD bars, cash AUD {terms.cash}")
    head = f"{'engine':18} {'bars':>9} {'wall s':>8} {'bars/s':>9} {'trades':>7} {'orders':>7}"
    print(f"{head} {'peak RSS MiB':>13} {'own s':>7}")
    for e in both:
        first = e.runs[0]
        trades = {r.report.get("trades") for r in e.runs}
        shown = str(first.report.get("trades", "?")) + ("" if len(trades) == 1 else "*")
        own = e.median("own")
        print(f"{e.name:18} {first.bars:>9,} {e.median('wall'):>8.2f} {e.median('rate'):>9,.0f} "
              f"{shown:>7} {first.report.get('orders', '?')!s:>7} {e.median('rss'):>13.1f} "
              f"{'-' if own != own else f'{own:.2f}':>7}")
    bt, ours = both
    ratio = ours.median("rate") / bt.median("rate")
    verdict = "meets" if ratio >= GOAL else "BELOW"
    print(f"\nratio ours/backtrader bars/s: {ratio:.2f}x ({verdict} the goal {GOAL:.1f}x; "
          f"aim {AIM:.0f}x)")
    bt_trades, our_trades = bt.runs[0].report.get("trades"), ours.runs[0].report.get("trades")
    print(f"trades (round trips closed): backtrader {bt_trades}, ours {our_trades}"
          + (f" ({our_trades - bt_trades:+d})"
             if isinstance(bt_trades, int) and isinstance(our_trades, int) else ""))
    if bt.runs[0].report.get("exits"):
        print(f"backtrader exits: {bt.runs[0].report['exits']}")
    if any(r.bars != bars for e in both for r in e.runs):
        print(f"WARNING: an engine processed a number of bars other than {bars:,}")
    for e in both:
        counts = [r.report.get("trades") for r in e.runs]
        if len(set(counts)) > 1:
            print(f"* {e.name}: the trade count differed between runs ({counts}): the same "
                  "bars and settings should give the same trades")
    rate_pct = f"{float(terms.rate) * 100:g}"
    print("\n" + FOOTER.format(runs=runs, max_order_value=terms.max_order_value,
                               slippage=terms.slippage_bps, rate_pct=rate_pct,
                               minimum=terms.minimum))


def memory(args: argparse.Namespace, work: Path) -> int:
    """Ours at 10k, 100k and 1M bars: peak RSS of each (flat when bars are streamed)."""
    print(f"{'bars':>10} {'wall s':>8} {'bars/s':>9} {'trades':>7} {'peak RSS MiB':>13}")
    env = ours_env(work, args.repo)
    for bars in MEMORY_SIZES:
        csv = write_bars(work, bars, args.seed)
        try:
            run = measure(ours_argv(csv, args), env, work)
        except EngineFailed as e:
            print(f"trader backtest failed:\n{e}", file=sys.stderr)
            return 1
        print(f"{run.bars:>10,} {run.wall:>8.2f} {run.bars / run.wall:>9,.0f} "
              f"{run.report.get('trades', '?')!s:>7} {run.rss_mib:>13.1f}", flush=True)
        csv.unlink()  # a 1M-bar file is ~50 MB
    print("\nFlat peak RSS from 10k to 1M bars means the backtest streams its bars.")
    return 0


def trade_diff(args: argparse.Namespace, work: Path) -> int:
    """Both engines once on ``--bars`` bars with their trade lists: how their entries line up.

    Each of our trades is paired with backtrader's nearest trade on the same side within
    ``PAIR_WINDOW``; the table counts the pairs by how many minutes ours opened after
    backtrader's (0: the same fill minute; -1: a bar earlier). Both decide at a bar's end and
    fill from the next bar, so with equal rules nearly every pair is 0.
    """
    terms = trader_terms(args.cash, ours_env(work, args.repo), work)
    csv = write_bars(work, args.bars, args.seed)
    bt, ours = engines(csv, terms, args, work)
    bt.argv.append("--trade-list")
    ours.argv += ["--trades", "10000"]
    lists = []
    for engine in (bt, ours):
        try:
            report = measure(engine.argv, engine.env, engine.cwd).report
        except EngineFailed as e:
            print(f"{engine.name} failed:\n{e}", file=sys.stderr)
            return 1
        trades = report.get("tradeList")
        if not isinstance(trades, list):
            print(f"{engine.name} lists no trades ('tradeList' in its JSON)", file=sys.stderr)
            return 1
        lists.append(trades)
    theirs, mine = ([(stamp(t["opened"]), t) for t in trades] for trades in lists)
    offsets: dict[str, int] = {}
    unpaired: list[dict[str, Any]] = []
    for at, trade in mine:
        near = [
            (at - other_at) for other_at, other in theirs
            if other["side"] == trade["side"] and abs(at - other_at) <= PAIR_WINDOW
        ]
        if not near:
            unpaired.append(trade)
            continue
        minutes = int(min(near, key=abs).total_seconds() // 60)
        key = f"{minutes:+d} min" if minutes else "same minute"
        offsets[key] = offsets.get(key, 0) + 1
    print(f"\ntrades on {args.bars:,} bars: backtrader {len(theirs)}, ours {len(mine)}")
    print("ours paired with backtrader's nearest same-side entry (ours minus backtrader's):")
    for key, count in sorted(offsets.items(), key=lambda kv: -kv[1]):
        print(f"  {key:>12}: {count}")
    print(f"  {'unpaired':>12}: {len(unpaired)} (no backtrader entry within "
          f"{int(PAIR_WINDOW.total_seconds() // 60)} min)")
    print("\nBoth decide on a bar's close and fill from the next bar: pairs a bar apart mean "
          "one engine decides\n(or fills) a bar off: ours a bar earlier at that bar's open is "
          "look-ahead.")
    return 0


def stamp(text: str) -> datetime:
    """An ISO time with ``Z`` as aware UTC."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def main() -> int:
    """Parse the options and run the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=200_000, help="bars to generate")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per engine")
    parser.add_argument("--cash", default="100000", help="starting cash, base currency")
    parser.add_argument("--memory", action="store_true",
                        help="ours only, at 10k, 100k and 1M bars: peak RSS of each")
    parser.add_argument("--trade-diff", action="store_true",
                        help="run each engine once with its trade list and pair the entries")
    parser.add_argument("--repo", type=Path, help="a trader checkout to run (first on the path)")
    parser.add_argument("--command", help="replaces 'python -m trader_cli backtest'")
    parser.add_argument("--bt-venv", type=Path, default=DEFAULT_BT_VENV,
                        help="scratch venv for backtrader (created on first use)")
    args = parser.parse_args()
    if args.bars < 1 or args.runs < 1:
        parser.error("--bars and --runs must be at least 1")
    sys.path.insert(0, str(BENCH))
    if args.repo:
        args.repo = args.repo.resolve()
        sys.path.insert(0, str(args.repo))
    with tempfile.TemporaryDirectory(prefix="trader-bench-") as tmp:
        work = Path(tmp)
        if args.trade_diff:
            return trade_diff(args, work)
        return memory(args, work) if args.memory else compare(args, work)


if __name__ == "__main__":
    sys.exit(main())
