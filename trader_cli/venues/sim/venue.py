"""Start the sim gateway in-process and hand back an :class:`IBTrader` connected to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from trader_cli.config import Settings
from trader_cli.domain.venues import Venue
from trader_cli.sim import SimClock, SimGateway
from trader_cli.venues.ib.trader import IBTrader


class SimTime:
    """The adapter's clock on the sim: sim time; waiting on a pinned clock advances the sim."""

    def __init__(self, gateway: SimGateway) -> None:
        self.gateway = gateway

    def now(self) -> datetime:
        """Current sim time."""
        return self.gateway.clock.now()

    async def sleep(self, seconds: float) -> None:
        """Real sleep scaled by the sim speed, or an instant advance of a pinned clock."""
        clock = self.gateway.clock
        if seconds <= 0:
            await asyncio.sleep(0)
        elif clock.running:
            await asyncio.sleep(seconds / (clock.speed or 1.0))
        else:
            # at most ~60 market steps per wait: long waits (a 5-minute cycle) stay cheap
            await self.gateway.advance(seconds, step=max(1.0, seconds / 60))


class SimTrader(IBTrader):
    """The IB adapter, unmodified, pointed at an in-process SIMULATED gateway."""

    venue = Venue.SIM

    def __init__(self, settings: Settings, gateway: SimGateway) -> None:
        super().__init__(settings, host=gateway.host, port=gateway.port, clock=SimTime(gateway))
        self.gateway = gateway


def sim_clock(start: datetime | None, speed: float | None) -> SimClock:
    """A pinned clock at ``start`` (``speed`` None), a running one, or the default (live ASX)."""
    if start is None:
        return SimClock.default(speed=speed or 1.0)
    return SimClock(start, speed=speed) if speed else SimClock.pinned(start)


def sim_account(settings: Settings) -> str:
    """The paper account the sim reports: ``IB_ACCOUNT_ID`` when set, else ``DU1234567``."""
    from trader_cli.sim.state import DEFAULT_ACCOUNT

    return settings.ib.account_id or DEFAULT_ACCOUNT


@contextlib.asynccontextmanager
async def sim_trader(
    settings: Settings,
    *,
    seed: int = 0,
    clock: SimClock | None = None,
    state_path: Path | None = None,
    bars_csv: Path | None = None,
) -> AsyncIterator[SimTrader]:
    """A SIMULATED gateway on a free loopback port and an IB adapter connected to it."""
    async with SimGateway.start(
        seed=seed,
        clock=clock or SimClock.default(),
        state_path=state_path,
        bars_csv=bars_csv,
        account=sim_account(settings),
    ) as gateway:
        trader = SimTrader(settings, gateway)
        await trader.connect()
        try:
            yield trader
        finally:
            await trader.close()
