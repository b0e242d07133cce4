"""``trader backtest``: a strategy over recorded bars, on the simulator's engine, in-process."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trader_cli.cli.app import EnvFileOpt, JsonOpt, LogFileOpt, VenueOpt, VerboseOpt, state

if TYPE_CHECKING:
    from trader_cli.backtest.feed import BarFile
    from trader_cli.cli.app import AppState

MAX_CASH = Decimal("1000000000")
DEFAULT_CASH = "1000000"  # what the simulator's paper account starts with


def parse_time(text: str, option: str, *, end: bool = False) -> datetime:
    """``2024-07-03`` (the day's start, or with ``end`` the next day's: ``--to`` includes the
    day) or an ISO-8601 time with a zone; always UTC."""
    from datetime import UTC, timedelta

    from trader_cli.errors import InputError

    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            when = datetime.combine(day, time(0), UTC)
            return when + timedelta(days=1) if end else when
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date or an ISO-8601 time",
                         hint="e.g. 2024-07-03 or 2024-07-03T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise InputError(f"{option} {text!r} has no time zone", hint="add Z or an offset")
    return parsed.astimezone(UTC)


def parse_cash(text: str) -> Decimal:
    """A positive amount in the base currency (``100000``, ``1e6``, ``250,000``)."""
    from trader_cli.errors import InputError

    try:
        value = Decimal(text.replace(",", "").replace("_", "").strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0 or value > MAX_CASH:
        raise InputError(f"--cash {text!r} is not an amount above 0 (at most 1e9)",
                         hint="e.g. --cash 100000 (in the base currency)")
    return value


def backtest(
    ctx: typer.Context,
    bars: Annotated[
        list[Path] | None,
        typer.Option("--bars", help="A CSV of bars (as `trader bars --csv` writes); repeat for "
                     "more symbols.", metavar="FILE.csv"),
    ] = None,
    symbol: Annotated[
        list[str] | None,
        typer.Option("--symbol", help="The symbol of each --bars file, in the same order "
                     "(default: the file's symbol column or its name, e.g. BHP_AUD.csv)."),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option("--replay", help="Use the bars of a recording (trader record-fixtures).",
                     metavar="DIR"),
    ] = None,
    timeframe: Annotated[
        str | None,
        typer.Option("--timeframe", "-t", help="With --replay: which of its bar sizes "
                     "(default: the shortest)."),
    ] = None,
    strategy: Annotated[
        str,
        typer.Option("--strategy", help="rules, llm, a plug-in package.module:ClassName, or an "
                     "installed trader.strategies entry point (docs/strategies.md)."),
    ] = "rules",
    start: Annotated[
        str | None, typer.Option("--from", help="Trade from this time (2024-07-03: the UTC day's "
                     "start, or ISO-8601 with a zone); the bars before it are the strategy's "
                     "history only.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last UTC day (included) or time (excluded).")
    ] = None,
    cash: Annotated[
        str, typer.Option("--cash", help="Starting cash in the base currency.")
    ] = DEFAULT_CASH,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write the equity curve and drawdown: FILE.png or "
                     "FILE.html.", metavar="FILE"),
    ] = None,
    allow_llm: Annotated[
        bool,
        typer.Option("--allow-llm", help="Let --strategy llm run: one paid model request a "
                     "bar at most."),
    ] = False,
    trades: Annotated[
        int, typer.Option("--trades", help="How many of the last trades to list.", min=0,
                          max=10_000)
    ] = 10,
    venue: VenueOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
    log_file: LogFileOpt = None,
) -> None:
    """Backtest a strategy on recorded bars: the same strategy, risk checks, costs, plan
    monitor and order semantics as `trader run`, on the simulator's matching engine in this
    process (no Gateway), on the bars' own clock. See docs/backtest.md.

    Ctrl-C stops after the current bar and reports what was done.
    """
    import asyncio

    from trader_cli.errors import InputError, TraderError
    from trader_cli.strategies.plugins import check_spec

    st = state(ctx, venue, json_mode, env_file, verbose, log_file=log_file)
    root_replay = (ctx.find_root().obj.replay if ctx.find_root().obj else None)
    replay = replay or root_replay
    check_spec(strategy)
    if not bars and replay is None:
        raise InputError("no bars: give --bars FILE.csv (repeatable) or --replay DIR",
                         hint="write bars with `trader bars BHP/AUD -t 1m -n 5000 --csv > "
                         "BHP_AUD.csv`")
    if bars and replay is not None:
        raise InputError("give --bars or --replay, not both")
    symbols = list(symbol or [])
    if symbols and len(symbols) != len(bars or []):
        raise InputError(f"{len(symbols)} --symbol for {len(bars or [])} --bars",
                         hint="give one --symbol per --bars file, in the same order, or none")
    if plot is not None:
        from trader_cli.backtest.plot import check_plot_target

        check_plot_target(plot)
    first = parse_time(start, "--from") if start else None
    last = parse_time(end, "--to", end=True) if end else None
    if first is not None and last is not None and last <= first:
        raise InputError("--to is not after --from")
    amount = parse_cash(cash)
    settings = st.settings()
    if settings.venue.value != "ib":
        raise InputError("the backtest trades IB's instruments (ASX, IDEALPRO FX) for now",
                         hint="use --venue ib (ACTIVE_EXCHANGE=gemini picks Gemini)")
    import tempfile

    from trader_cli.strategies.factory import make_strategy

    with tempfile.TemporaryDirectory(prefix="trader-backtest-") as tmp:
        files = _files(bars or [], symbols, replay, timeframe, Path(tmp))
        if strategy == "llm" and not allow_llm:
            from trader_cli.backtest.feed import count_bars

            raise InputError(
                f"--strategy llm asks the model at every bar: these {count_bars(files):,} bars "
                "would be up to as many requests to LLM_BASE_URL, each one paid for",
                hint="add --allow-llm to run it anyway (try it on a short --from/--to first), "
                "or backtest a rule-based strategy",
            )
        chosen = make_strategy(strategy, settings)
        try:
            report = asyncio.run(
                _run(st, settings, chosen, files, amount, first, last, plot, trades)
            )
        except asyncio.CancelledError:
            raise TraderError("backtest stopped at once (a second Ctrl-C): no report",
                              hint="press Ctrl-C once to stop after the current bar with "
                              "a report of what was done") from None
    if st.json_mode:
        st.output.json(report)
    else:
        _show(st, report)


def _files(
    bars: list[Path], symbols: list[str], replay: Path | None, timeframe: str | None, tmp: Path
) -> list[BarFile]:
    from trader_cli.backtest.feed import BarFile
    from trader_cli.domain.symbols import parse_symbol
    from trader_cli.errors import InputError

    if replay is not None:
        from trader_cli.backtest.recording import recording_files

        return recording_files(replay, timeframe, tmp)
    if timeframe is not None:
        raise InputError("--timeframe picks a recording's bar size: use it with --replay")
    out = []
    for i, path in enumerate(bars):
        if path.is_dir():
            raise InputError(f"--bars {str(path)!r} is a folder: give the CSV files in it",
                             hint="e.g. --bars DIR/BHP_AUD.csv --bars DIR/CBA_AUD.csv")
        if not path.is_file():
            raise InputError(f"--bars {str(path)!r}: no such file")
        sym = parse_symbol(symbols[i]) if symbols else None
        out.append(BarFile(path, sym))
    return out


async def _run(
    st: AppState,
    settings: Any,
    strategy: Any,
    files: list[BarFile],
    cash: Decimal,
    first: datetime | None,
    last: datetime | None,
    plot: Path | None,
    trades: int,
) -> dict[str, Any]:
    import asyncio
    import signal

    from trader_cli.backtest.engine import Backtest
    from trader_cli.backtest.feed import count_bars
    from trader_cli.backtest.report import build_report

    bt = Backtest(settings, strategy, files, cash=cash, start=first, end=last,
                  seed=settings.sim.seed, trades_kept=trades)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def stop() -> None:
        if bt.stop_requested and task is not None:
            task.cancel()  # a second Ctrl-C: stop at once
        bt.request_stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    bar = _progress(st, count_bars(files))
    try:
        run = await bt.run(progress=bar.update if bar else None)
        if bar is not None:
            bar.done(run.bars)
        report = build_report(run, settings.base_currency)
        if plot is not None:
            from trader_cli.backtest.plot import write_plot

            write_plot(plot, report)
            report["plot"] = str(plot)
        return report
    finally:
        if bar is not None:
            bar.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


class _Bar:
    """A rich progress bar on stderr: bars replayed, bars/s and the time left."""

    def __init__(self, st: AppState, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("backtest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} bars/s"),
            TextColumn("{task.fields[at]}"),
            TimeRemainingColumn(),
            console=st.output.err,
            transient=True,
        )
        self.task = self.progress.add_task("bars", total=total or None, rate="-", at="")
        self.progress.start()

    def update(self, done: int, at: datetime) -> None:
        task = self.progress.tasks[0]
        speed = task.speed
        self.progress.update(self.task, completed=done, at=f"{at:%Y-%m-%d %H:%M}",
                             rate=f"{speed:,.0f}" if speed else "-")

    def done(self, bars: int) -> None:
        self.progress.update(self.task, completed=bars)

    def close(self) -> None:
        self.progress.stop()


def _progress(st: AppState, total: int) -> _Bar | None:
    if not st.output.err.is_terminal:
        return None  # a pipe or a file: no bar (the report says how long it took)
    return _Bar(st, total)


def _show(st: AppState, report: dict[str, Any]) -> None:
    from trader_cli.backtest.view import show

    show(st.output, report)


def register(app: typer.Typer) -> None:
    """Add ``backtest`` to ``app``."""
    app.command("backtest")(backtest)

