"""Open the configured venue for one command: IB through TWS/Gateway, or the in-process sim."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from trader_cli.config import Settings
from trader_cli.domain.venues import Venue
from trader_cli.errors import ConfigError
from trader_cli.venues.base import BaseTrader


@contextlib.asynccontextmanager
async def open_venue(settings: Settings, *, live: bool = False) -> AsyncIterator[BaseTrader]:
    """Connected adapter for ``settings.venue``; closed (and sim state saved) on exit."""
    venue = settings.venue
    if venue is Venue.SIM:
        from trader_cli.venues.sim.venue import sim_clock, sim_trader

        clock = sim_clock(settings.sim.clock, settings.sim.speed)
        async with sim_trader(
            settings, seed=settings.sim.seed, clock=clock, state_path=settings.sim_state_path
        ) as trader:
            yield trader
        return
    if venue is Venue.IB:
        from trader_cli.venues.ib.trader import IBTrader

        ib = IBTrader(settings, live_confirmed=live)
        await ib.connect()
        try:
            yield ib
        finally:
            await ib.close()
        return
    raise ConfigError(
        f"the {venue.value} venue is not available in this version",
        hint="use --venue ib or --venue sim",
    )
