"""``trader sim-gateway``: the SIMULATED IB Gateway, standalone on a loopback port."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trader_cli.cli.app import EnvFileOpt, VerboseOpt, state
from trader_cli.cli.params import MAX_SEED, MAX_SIM_SPEED, seconds, whole

if TYPE_CHECKING:
    from collections.abc import Coroutine


class SimVenue(StrEnum):
    """The APIs ``trader sim-gateway`` can serve."""

    IB = "ib"
    GEMINI = "gemini"


def sim_gateway(
    ctx: typer.Context,
    venue: Annotated[
        SimVenue,
        typer.Option(
            "--venue",
            help="Which API to serve: ib (the TWS API) or gemini (Gemini's REST API).",
        ),
    ] = SimVenue.IB,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            parser=whole("--port", 0, 65535, example="4002"),
            metavar="PORT",
            help="Port, 0-65535 (0: any free one; default 4002 for ib, 8742 for gemini).",
        ),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback only by default).")
    ] = "127.0.0.1",
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            parser=whole("--seed", 0, MAX_SEED, example="7"),
            metavar="N",
            help="Market model seed, 0 or more (default SIM_SEED).",
        ),
    ] = None,
    bars: Annotated[
        Path | None,
        typer.Option(
            "--bars",
            exists=True,
            dir_okay=False,
            help="Drive prices from a CSV of bars (ts,open,high,low,close,volume).",
        ),
    ] = None,
    clock: Annotated[
        str | None,
        typer.Option(
            "--clock",
            help="Pin the sim clock start, ISO-8601 with timezone "
            "(default SIM_CLOCK, else inside the latest ASX session).",
        ),
    ] = None,
    speed: Annotated[
        float | None,
        typer.Option(
            "--speed",
            parser=seconds("--speed", 0.001, MAX_SIM_SPEED, example="60"),
            metavar="X",
            help=f"Sim seconds per real second, 0.001-{MAX_SIM_SPEED} (default 1).",
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start a new paper world instead of the saved one.")
    ] = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Serve the TWS API (or, with --venue gemini, Gemini's REST API) on loopback from a
    SIMULATED market until interrupted (Ctrl-C)."""

    from trader_cli.errors import ConfigError, InputError
    from trader_cli.sim import run_sim_gateway

    st = state(ctx, None, False, env_file, verbose)
    settings = st.settings()
    start: datetime | None = settings.sim.clock
    if clock is not None:
        try:
            start = datetime.fromisoformat(clock.replace("Z", "+00:00"))
        except ValueError as e:
            raise ConfigError(
                f"--clock {clock!r} is not an ISO-8601 time",
                hint="e.g. --clock 2024-07-03T01:00:00Z",
            ) from e
        if start.tzinfo is None:
            raise ConfigError(f"--clock {clock!r} has no timezone", hint="append Z for UTC")
    if bars is not None:
        from trader_cli.sim.engine.market import BarsCsvError, load_bars_csv

        try:
            load_bars_csv(bars)  # every line checked before the gateway listens
        except BarsCsvError as e:
            raise InputError(
                f"--bars {str(bars)!r}, line {e.line}: {e.problem}",
                hint="give a CSV with the header ts,open,high,low,close,volume and one bar per "
                "line, oldest first (see docs/sim.md)",
            ) from None
    if venue is SimVenue.GEMINI:
        _serve_gemini(st, host, port, seed, bars, start, speed, fresh)
        return
    serve = run_sim_gateway(
        host=host,
        port=4002 if port is None else port,
        seed=settings.sim.seed if seed is None else seed,
        bars_csv=bars,
        clock=start,
        speed=speed or settings.sim.speed or 1.0,
        state_path=settings.sim_state_path,
        fresh=fresh,
        lock_timeout=settings.sim.lock_timeout,
        account=settings.ib.account_id or None,
    )
    _serve_until_signalled(st, serve, host, port, "SIMULATED gateway")


def _serve_gemini(
    st: Any,
    host: str,
    port: int | None,
    seed: int | None,
    bars: Path | None,
    start: datetime | None,
    speed: float | None,
    fresh: bool,
) -> None:
    """Serve the SIMULATED Gemini REST API until signalled (its own paper world)."""
    from decimal import Decimal

    from trader_cli.sim.engine.world import CryptoFees
    from trader_cli.sim.gemini_rest import DEFAULT_PORT, run_gemini_sim

    settings = st.settings()
    gemini = settings.gemini
    key = gemini.api_key.get_secret_value() if gemini.api_key else None
    secret = gemini.api_secret.get_secret_value() if gemini.api_secret else None

    def announce(line: str) -> None:
        print(line, flush=True)  # the secret goes to this terminal only, never to a log

    serve = run_gemini_sim(
        host=host,
        port=DEFAULT_PORT if port is None else port,
        seed=settings.sim.seed if seed is None else seed,
        bars_csv=bars,
        clock=start,
        speed=speed or settings.sim.speed or 1.0,
        state_path=settings.gemini_sim_world_path,
        fresh=fresh,
        lock_timeout=settings.sim.lock_timeout,
        api_key=key,
        api_secret=secret,
        fees=CryptoFees(maker=Decimal(gemini.maker_fee), taker=Decimal(gemini.taker_fee)),
        announce=announce,
    )
    _serve_until_signalled(st, serve, host, port, "SIMULATED Gemini")


def _serve_until_signalled(
    st: Any,
    serve: Coroutine[Any, Any, None],
    host: str,
    port: int | None,
    name: str,
    stopped: str = "paper world saved",
) -> None:
    """Run a simulator's ``serve`` until SIGINT/SIGTERM; a port that cannot be bound is exit 2."""
    import asyncio

    from trader_cli.errors import InputError

    try:
        asyncio.run(_until_signalled(serve))
    except OSError as e:
        raise InputError(
            f"cannot listen on {host}:{port}: {e.strerror or e}",
            hint="pick another --port (0 picks a free one)",
        ) from e
    st.output.info(f"{name} stopped; {stopped}")


async def _until_signalled(coro: Coroutine[Any, Any, None]) -> None:
    """Run ``coro`` until SIGINT/SIGTERM, then cancel it so it can clean up and save state."""
    import asyncio
    import contextlib
    import signal

    task = asyncio.ensure_future(coro)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def register(app: typer.Typer) -> None:
    """Add the simulator commands to ``app``."""
    app.command("sim-gateway")(sim_gateway)
