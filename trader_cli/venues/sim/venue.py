"""Start the sim gateway in-process and hand back an :class:`IBTrader` connected to it."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from trader_cli.config import Settings
from trader_cli.domain.scope import Backend
from trader_cli.sim import SimClock, SimGateway
from trader_cli.sim.owner import Endpoint, claim_world
from trader_cli.venues.ib.trader import IBTrader

log = logging.getLogger("trader.sim")

GUEST_CLIENT_ID_BASE = 10_000


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
            # at most ~60 market steps per wait: long waits (a 5-minute cycle) stay cheap; one
            # when nothing works (this adapter's orders are acknowledged before it waits)
            await self.gateway.advance(
                seconds, step=max(1.0, seconds / 60), jump_when_quiet=True
            )


class SimTrader(IBTrader):
    """The IB adapter, unmodified, pointed at an in-process SIMULATED gateway."""

    backend = Backend.SIM

    def __init__(self, settings: Settings, gateway: SimGateway) -> None:
        super().__init__(settings, host=gateway.host, port=gateway.port, clock=SimTime(gateway))
        self.gateway = gateway
        if not gateway.clock.running:
            # ib_async holds requests to 45 per wall-clock second (a real Gateway's message
            # rate); on a pinned clock no sim time passes while it holds them, so it would
            # only slow the loop down, never space the requests out in the sim's time
            self.ib.client.MaxRequests = 0

    @property
    def clock_speed(self) -> float | None:
        """The sim clock's speed while it runs (None when pinned)."""
        clock = self.gateway.clock
        return clock.speed if clock.running else None


class GuestSimTrader(IBTrader):
    """The IB adapter connected to the gateway of the process that owns the sim world.

    Beside a serving owner (``trader run``, ``trader sim-gateway``) a command does not open the
    world itself: it is one more client of the owner's gateway, with its own client id, and
    follows the gateway's clock as it would a real Gateway's.
    """

    backend = Backend.SIM

    def __init__(self, settings: Settings, owner: Endpoint) -> None:
        super().__init__(settings, host="127.0.0.1", port=owner.port)
        self.owner = owner
        self.conn.config.client_id = guest_client_id(settings.ib.client_id)


def guest_client_id(own: int) -> int:
    """A client id for this process that neither the owner's adapter nor another guest uses."""
    candidate = GUEST_CLIENT_ID_BASE + os.getpid() % 30_000
    return candidate if candidate != own else candidate + 1


_LONG_LIVED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "trader_sim_world_serving", default=False
)


def serve_sim_world() -> None:
    """Make the sim worlds this task (and tasks it starts) opens from now on joinable.

    A long-lived command (``trader run``) calls it first: it then owns the world as a serving
    owner, and short commands beside it go through its gateway instead of waiting for it.
    """
    _LONG_LIVED.set(True)


def serving_by_default() -> bool:
    """Whether this task is inside :func:`serve_sim_world` (its sim worlds are joinable)."""
    return _LONG_LIVED.get()


def sim_account(settings: Settings) -> str:
    """The paper account the sim reports: ``IB_ACCOUNT_ID`` when set, else ``DU1234567``."""
    from trader_cli.sim.engine.world import DEFAULT_ACCOUNT

    return settings.ib.account_id or DEFAULT_ACCOUNT


@contextlib.asynccontextmanager
async def sim_trader(
    settings: Settings,
    *,
    seed: int = 0,
    clock: SimClock | None = None,
    state_path: Path | None = None,
    bars_csv: Path | None = None,
    serving: bool | None = None,
    lock_timeout: float | None = None,
) -> AsyncIterator[IBTrader]:
    """A SIMULATED gateway on a free loopback port and an IB adapter connected to it.

    With a ``state_path`` this process owns that world from load to save (an OS lock) - unless
    a serving owner already has it, in which case the adapter connects to that owner's gateway
    instead (see :mod:`trader_cli.sim.owner`). ``serving`` (default: inside
    :func:`serve_sim_world`) lets other commands join this one.
    """
    if state_path is None:
        async with _own_gateway(settings, seed, clock, None, bars_csv) as trader:
            yield trader
        return
    serving = _LONG_LIVED.get() if serving is None else serving
    timeout = settings.sim.lock_timeout if lock_timeout is None else lock_timeout
    claim = await claim_world(state_path, serving=serving, wait=timeout)
    if isinstance(claim, Endpoint):
        log.info("the sim world is served by %s; going through its gateway", claim.describe())
        guest = GuestSimTrader(settings, claim)
        await guest.connect()
        try:
            yield guest
        finally:
            await guest.close()
        return
    try:
        async with _own_gateway(settings, seed, clock, state_path, bars_csv) as trader:
            claim.publish(trader.gateway.port, serving=serving)
            yield trader
    finally:
        claim.release()  # after the gateway saved the world


@contextlib.asynccontextmanager
async def _own_gateway(
    settings: Settings,
    seed: int,
    clock: SimClock | None,
    state_path: Path | None,
    bars_csv: Path | None,
) -> AsyncIterator[SimTrader]:
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
