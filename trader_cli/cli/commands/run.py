"""``trader run``: the strategy loop, with a live status view (or JSON events)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trader_cli.cli.app import (
    EnvFileOpt,
    JsonOpt,
    ReplayOpt,
    SimOpt,
    VenueOpt,
    VerboseOpt,
    state,
)
from trader_cli.cli.params import MAX_CYCLES, MAX_SIM_SPEED, seconds, whole

if TYPE_CHECKING:
    from trader_cli.cli.app import AppState

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
        str, typer.Option("--strategy", help="rules (built in) or llm (OpenAI-compatible).")
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
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Run the trading bot: data → strategy → risk → orders → plan exits → resync, every cycle.

    Ctrl-C (or SIGTERM) finishes the current step, saves state and disconnects; a second Ctrl-C
    stops at once. --json prints one JSON event per cycle instead of the live view.
    """
    import asyncio

    from trader_cli.domain.scope import Backend
    from trader_cli.errors import InputError

    st = state(ctx, venue, json_mode, env_file, verbose, sim=sim, replay=replay)
    seconds = parse_interval(interval)
    if strategy not in ("rules", "llm"):
        raise InputError(f"unknown strategy {strategy!r}", hint="use --strategy rules or llm")
    settings = st.settings()
    _strategy(strategy, settings, None)  # bad strategy settings fail before anything connects
    if speed is not None or (
        settings.backend is Backend.SIM
        and settings.sim.speed is None
        and settings.sim.clock is None
    ):
        settings.sim.speed = speed or SIM_RUN_SPEED
    summary = asyncio.run(
        _run(st, settings, strategy, cycles, seconds, dry_run, cancel_on_exit, live)
    )
    if st.json_mode:
        print(_json_line({"event": "summary", **summary}))
    else:
        st.output.fields(summary, title="run summary")


def _json_line(data: dict[str, Any]) -> str:
    import json

    from trader_cli.cli.console import _default

    return json.dumps(data, default=_default, separators=(",", ":"))


async def _run(
    st: AppState,
    settings: Any,
    strategy_name: str,
    cycles: int | None,
    interval: float,
    dry_run: bool,
    cancel_on_exit: bool,
    live: bool,
) -> dict[str, Any]:
    from trader_cli.services.context import trading_context
    from trader_cli.services.locks import hold_run_lock, scope_of
    from trader_cli.venues.sim.venue import serve_sim_world

    serve_sim_world()  # on the sim, other commands go through this run's gateway
    async with trading_context(settings, live=live, strategy=strategy_name) as ctx:
        # one bot per scope: the account is known only now that the venue is connected, and
        # nothing has been sent yet; held until the run ends (or dies with the process)
        with hold_run_lock(scope_of(ctx)):
            return await _run_locked(st, settings, ctx, strategy_name, cycles, interval,
                                     dry_run, cancel_on_exit)


async def _run_locked(
    st: AppState,
    settings: Any,
    ctx: Any,
    strategy_name: str,
    cycles: int | None,
    interval: float,
    dry_run: bool,
    cancel_on_exit: bool,
) -> dict[str, Any]:
    import asyncio
    import signal

    from trader_cli.cli.live import render
    from trader_cli.db import store
    from trader_cli.services.health import HealthCircuitManager
    from trader_cli.services.runner import StrategyRunner
    from trader_cli.telemetry import Telemetry

    venue = ctx.venue
    telemetry = ctx.telemetry or Telemetry.from_settings(
        settings,
        session=str(ctx.session.id if ctx.session else ""),
        clock=venue.clock,
        venue=venue.name,
        accounts=[venue.account or ""],
    )
    ctx.orders.telemetry = telemetry  # orders, status changes and fills, with their contract
    health = HealthCircuitManager.from_settings(
        settings, clock=venue.clock, venue=venue, on_change=telemetry.circuit,
        maintenance_windows=venue.capabilities.maintenance_windows,
    )
    strategy = _strategy(strategy_name, settings, venue.clock)
    sim_speed = venue.clock_speed  # the sim's clock speed while it runs
    note = f"sim clock x{sim_speed:g}" if sim_speed else ""
    live_view = None
    if not st.json_mode:
        from rich.live import Live

        live_view = Live(console=st.output.out, auto_refresh=False, transient=False)
        live_view.start()

    def on_cycle(report: Any) -> None:
        if live_view is not None:
            live_view.update(render(report, clock_note=note), refresh=True)
        else:
            print(_json_line(report.to_dict()), flush=True)

    runner = StrategyRunner(
        ctx,
        strategy,
        dry_run=dry_run,
        cancel_on_exit=cancel_on_exit,
        telemetry=telemetry,
        health=health,
        on_cycle=on_cycle,
    )
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def stop() -> None:
        if runner.stop_requested and task is not None:
            task.cancel()  # second signal: stop now
        runner.request_stop()
        telemetry.emit("stop", reason="signal")

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    telemetry.emit(
        "start", strategy=strategy_name, dryRun=dry_run, cycles=cycles, interval=interval
    )
    try:
        # on a running sim clock the loop waits `interval` of wall time
        await runner.run(cycles=cycles, interval=interval * (sim_speed or 1))
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if live_view is not None:
            live_view.stop()
        telemetry.emit("end", cycles=runner.cycles_done)
    counts = store.session_summary(ctx.session) if ctx.session is not None else {}
    return {
        "venue": venue.name,
        "strategy": strategy_name,
        "cycles": runner.cycles_done,
        "stopped": "on request" if runner.stop_requested else "after --cycles",
        "orders": counts.get("orders", 0),
        "fills": counts.get("fills", 0),
        "plans open": counts.get("plans_open", 0),
        "plans closed": counts.get("plans_closed", 0),
        "telemetry": str(telemetry.path),
    }


def _strategy(name: str, settings: Any, clock: Any) -> Any:
    if name == "llm":
        from trader_cli.clock import REAL_CLOCK
        from trader_cli.strategies.llm import LLMStrategy

        return LLMStrategy(settings, clock=clock or REAL_CLOCK)
    from trader_cli.strategies.rules import RulesStrategy

    return RulesStrategy()


def register(app: typer.Typer) -> None:
    """Add ``run`` to ``app``."""
    app.command("run")(run)
