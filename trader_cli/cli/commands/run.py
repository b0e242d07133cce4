"""``trader run``: the strategy loop, with a live status view (or JSON events)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trader_cli.cli.app import (
    EnvFileOpt,
    JsonOpt,
    LogFileOpt,
    ReplayOpt,
    SimOpt,
    VenueOpt,
    VerboseOpt,
    state,
)
from trader_cli.cli.params import MAX_CYCLES, MAX_SIM_SPEED, seconds, whole

if TYPE_CHECKING:
    from trader_cli.cli.app import AppState
    from trader_cli.services.bot import BotService, BotStarted
    from trader_cli.services.runner import CycleReport

# On the sim, unless SIM_SPEED or --speed says otherwise, market time runs this many times faster
# than the loop's wall-clock interval, so a short run shows entries and exits.
SIM_RUN_SPEED = 300.0
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|m|min|mins|h|hr|hrs)?\s*$", re.ASCII)
MAX_INTERVAL = 86_400.0  # a day between cycles at most
_UNIT = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
}


def parse_interval(text: str) -> float:
    """``5m`` → 300.0 seconds; ``30s``, ``1h``, plain seconds; from 0.1 s to a day."""
    from trader_cli.errors import InputError

    match = _INTERVAL.match(text.lower())
    hint = "e.g. 5m, 30s, 1h (ASCII digits, from 0.1s to 24h)"
    if not match:
        raise InputError(f"--interval {text!r} is not a duration", hint=hint)
    value = float(match.group(1)) * _UNIT[match.group(2) or "s"]
    if not 0.1 <= value <= MAX_INTERVAL:
        raise InputError(f"--interval {text!r} is out of range (0.1s to 24h)", hint=hint)
    return value


def run(
    ctx: typer.Context,
    cycles: Annotated[
        int | None,
        typer.Option(
            "--cycles",
            parser=whole("--cycles", 1, MAX_CYCLES, example="3"),
            metavar="N",
            help=f"Stop after N cycles, 1-{MAX_CYCLES} (default: run on).",
        ),
    ] = None,
    interval: Annotated[
        str, typer.Option("--interval", help="Time between cycles: 5m, 30s, 1s ...")
    ] = "5m",
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy",
            help="rules (built in), llm (OpenAI-compatible), a plug-in package.module:ClassName, "
            "or an installed trader.strategies entry point (docs/strategies.md).",
        ),
    ] = "rules",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decide and check, but send no order.")
    ] = False,
    speed: Annotated[
        float | None,
        typer.Option(
            "--speed",
            parser=seconds("--speed", 0.01, MAX_SIM_SPEED, example="60"),
            metavar="X",
            help=f"Sim only: market seconds per real second "
            f"(default SIM_SPEED, else {SIM_RUN_SPEED:g}).",
        ),
    ] = None,
    cancel_on_exit: Annotated[
        bool, typer.Option("--cancel-on-exit", help="Cancel working entry orders when stopping.")
    ] = False,
    live: Annotated[bool, typer.Option("--live", help="Allow orders on a live account.")] = False,
    include_baseline: Annotated[
        bool,
        typer.Option(
            "--include-baseline",
            help="Count the baseline (what a paper or sim account held before the bot, see "
            "trader baseline) as the bot's in its positions, equity and exposure.",
        ),
    ] = False,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
    log_file: LogFileOpt = None,
) -> None:
    """Run the trading bot: data → strategy → risk → orders → plan exits → resync, every cycle.

    Ctrl-C (or SIGTERM) finishes the current step, saves state and disconnects; a second Ctrl-C
    stops at once. --json prints one JSON event per cycle instead of the live view.
    """
    import asyncio

    from trader_cli.domain.scope import Backend
    from trader_cli.services.bot import BotOptions, BotService
    from trader_cli.strategies.plugins import check_spec

    st = state(
        ctx, venue, json_mode, env_file, verbose, sim=sim, replay=replay, log_file=log_file
    )
    seconds = parse_interval(interval)
    check_spec(strategy)  # a plug-in is imported with the bot, still before anything connects
    settings = st.settings()
    st.note_default_venue()
    if speed is not None or (
        settings.backend is Backend.SIM
        and settings.sim.speed is None
        and settings.sim.clock is None
    ):
        settings.sim.speed = speed or SIM_RUN_SPEED
    options = BotOptions(
        strategy, cycles, seconds, dry_run, cancel_on_exit, live, include_baseline
    )
    bot = BotService(settings, options)  # bad strategy settings fail before anything connects
    summary = asyncio.run(_run(st, bot))
    if st.json_mode:
        print(_json_line({"event": "summary", **summary}))
    else:
        st.output.fields({_words(k): v for k, v in summary.items()}, title="run summary")


def _words(key: str) -> str:
    """``plansOpen`` → ``plans open``: a JSON key as a table's field name."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).lower()


def _json_line(data: dict[str, Any]) -> str:
    import json

    from trader_cli.cli.console import _default

    return json.dumps(data, default=_default, separators=(",", ":"))


async def _run(st: AppState, bot: BotService) -> dict[str, Any]:
    """Run ``bot`` with signal handlers that ask it to stop, rendering each cycle."""
    import asyncio
    import signal

    from trader_cli.cli.live import render

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    live_view: Any = None
    note = ""

    def stop() -> None:
        if bot.request_stop("signal") and task is not None:
            task.cancel()  # second signal: stop now

    def on_start(started: BotStarted) -> None:
        nonlocal live_view, note
        note = started.clock_note
        if not st.json_mode:
            from rich.live import Live

            live_view = Live(console=st.output.out, auto_refresh=False, transient=False)
            live_view.start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)

    def on_cycle(report: CycleReport) -> None:
        if live_view is not None:
            live_view.update(render(report, clock_note=note), refresh=True)
        else:
            print(_json_line(report.to_dict()), flush=True)

    bot.on_start, bot.on_cycle = on_start, on_cycle
    try:
        return (await bot.run()).to_dict()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if live_view is not None:
            live_view.stop()


def register(app: typer.Typer) -> None:
    """Add ``run`` to ``app``."""
    app.command("run")(run)
