"""Open the configured venue on its backend: its API, the in-process sim, or a recording."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from trader_cli.config import Settings
from trader_cli.domain.scope import Backend
from trader_cli.domain.venues import Venue
from trader_cli.errors import ConfigError, SafetyRefused
from trader_cli.venues.base import BaseTrader

if TYPE_CHECKING:
    from trader_cli.venues.gemini.replay import GeminiReplayConnection
    from trader_cli.venues.gemini.trader import GeminiTrader
    from trader_cli.venues.ib.replay import ReplayConnection


def check_backend_available(settings: Settings) -> None:
    """Raise ``ConfigError`` (exit 2) for a venue and backend this version cannot open."""
    venue, backend = settings.venue, settings.backend
    if backend is Backend.REPLAY:
        from trader_cli.replay.wirelog import open_recording

        if settings.replay_dir is None:
            raise ConfigError("--replay needs a recording directory", hint="--replay DIR")
        # a directory without a recording, or another venue's: exit 2
        open_recording(settings.replay_dir, venue.value)
    if venue not in (Venue.IB, Venue.GEMINI):
        raise ConfigError(
            f"the {venue.value} venue is not available in this version",
            hint="use --venue ib, --venue gemini or --venue sim",
        )


REPLAY_TAKES_NO_ORDERS_HINT = (
    "use --dry-run to preview it against the recording, or --sim to trade on the simulator"
)


def refuse_orders_on_replay(settings: Settings, what: str) -> None:
    """Raise ``SafetyRefused`` (exit 3, nothing recorded or sent) when ``what`` would send
    orders to a ``--replay`` backend: a recording plays back what was asked then, it takes no
    new order (one sent would stay pending in the replay scope forever)."""
    if settings.backend is Backend.REPLAY:
        raise SafetyRefused(
            f"{what}: a REPLAY backend takes no orders: it plays a recording back",
            hint=REPLAY_TAKES_NO_ORDERS_HINT,
        )


def checked_sim_bars(settings: Settings) -> Path | None:
    """``SIM_BARS``, every line checked before the sim starts (``ConfigError`` naming the first
    bad one: exit 2, nothing started)."""
    path = settings.sim.bars
    if path is None:
        return None
    from trader_cli.sim.engine.market import BarsCsvError, load_bars_csv

    try:
        found = load_bars_csv(path)
    except BarsCsvError as e:
        raise ConfigError(f"SIM_BARS {str(path)!r}, line {e.line}: {e.problem}",
                          hint="fix the file, or unset SIM_BARS for the seeded model") from None
    from trader_cli.sim.engine.catalogue import Catalogue
    from trader_cli.sim.engine.market import bar_names

    known = {name for inst in Catalogue.load().instruments for name in bar_names(inst)}
    unknown = sorted(set(found) - known)
    if unknown:
        raise ConfigError(
            f"SIM_BARS {str(path)!r} has bars for {', '.join(unknown)}, which the sim does not "
            "list: its prices would not drive anything",
            hint="name the file or its symbol column BHP, BHP_AUD or AUD.USD (the sim's "
            "instruments: trader resolve-symbol SYMBOL --sim)",
        )
    return path


@contextlib.asynccontextmanager
async def open_venue(settings: Settings, *, live: bool = False) -> AsyncIterator[BaseTrader]:
    """Connected adapter for ``settings.venue`` on ``settings.backend``; closed on exit.

    On the sim the world's state is saved on exit.
    """
    check_backend_available(settings)
    if settings.backend is Backend.REPLAY and settings.replay_dir is not None:
        async with open_replay(settings, settings.replay_dir) as replayed:
            yield replayed.trader
        return
    if settings.backend is Backend.SIM and settings.venue is Venue.GEMINI:
        from trader_cli.sim.engine.clock import sim_clock
        from trader_cli.venues.gemini.sim import gemini_sim_trader

        clock = sim_clock(settings.sim.clock, settings.sim.speed)
        async with gemini_sim_trader(
            settings, clock=clock, state_path=settings.gemini_sim_world_path
        ) as gemini:
            yield gemini
        return
    if settings.backend is Backend.SIM:
        from trader_cli.sim.engine.clock import sim_clock
        from trader_cli.venues.sim.venue import sim_trader

        clock = sim_clock(settings.sim.clock, settings.sim.speed)
        async with sim_trader(
            settings, seed=settings.sim.seed, clock=clock, state_path=settings.sim_state_path,
            bars_csv=checked_sim_bars(settings),
        ) as trader:
            yield trader
        return
    if settings.venue is Venue.GEMINI:
        async with open_gemini_api(settings) as gemini:
            yield gemini
        return
    from trader_cli.venues.ib.trader import IBTrader

    ib = IBTrader(settings, live_confirmed=live)
    await ib.connect()
    try:
        yield ib
    finally:
        await ib.close()


@contextlib.asynccontextmanager
async def open_gemini_api(settings: Settings) -> AsyncIterator[GeminiTrader]:
    """Gemini's REST API; with ``GEMINI_FX_FROM_IB`` IB is opened too, for the base rate."""
    from trader_cli.venues.gemini.fx import FxSource, VenueFx
    from trader_cli.venues.gemini.trader import GeminiTrader

    async with contextlib.AsyncExitStack() as stack:
        fx: FxSource | None = None
        if settings.gemini.fx_from_ib and settings.base_currency != "USD":
            from trader_cli.venues.ib.trader import IBTrader

            ib = IBTrader(settings)
            await ib.connect()
            stack.push_async_callback(ib.close)
            fx = VenueFx(ib)
        gemini = GeminiTrader(settings, fx=fx)
        stack.push_async_callback(gemini.close)
        await gemini.connect()
        yield gemini


@contextlib.asynccontextmanager
async def open_replay(
    settings: Settings, directory: Path
) -> AsyncIterator[ReplayConnection | GeminiReplayConnection]:
    """The adapter of the recording's venue connected to the recording in ``directory`` (and
    the server serving it)."""
    from trader_cli.replay.wirelog import open_recording

    if open_recording(directory, None).get("venue") == Venue.GEMINI.value:
        from trader_cli.venues.gemini.replay import gemini_replay_connection

        async with gemini_replay_connection(settings, directory) as gemini:
            yield gemini
        return
    from trader_cli.venues.ib.replay import replay_connection

    async with replay_connection(settings, directory) as replayed:
        yield replayed


@contextlib.asynccontextmanager
async def open_ib_at(settings: Settings, host: str, port: int) -> AsyncIterator[BaseTrader]:
    """The IB adapter connected to the Gateway at ``host:port`` (a proxy); closed on exit."""
    from trader_cli.venues.ib.trader import IBTrader

    ib = IBTrader(settings, host=host, port=port)
    await ib.connect()
    try:
        yield ib
    finally:
        await ib.close()
