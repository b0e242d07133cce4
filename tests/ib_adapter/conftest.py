"""The real IB adapter (IBTrader on ib_async) against the SIMULATED gateway over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.sim import SimClock, SimGateway
from trader_cli.venues.sim.venue import SimTrader

# Wednesday 3 July 2024, 11:00 in Sydney: the ASX and IDEALPRO are open.
ASX_OPEN = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
# Saturday 6 July 2024, 11:00 in Sydney: everything is closed.
WEEKEND = datetime(2024, 7, 6, 1, 0, tzinfo=UTC)


async def until(condition: Callable[[], object], timeout: float = 3.0) -> None:
    """Wait for messages the sim already sent to be processed (bounded, for a failing test)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met before timeout")
        await asyncio.sleep(0.005)


@pytest.fixture
def clock() -> SimClock:
    return SimClock.pinned(ASX_OPEN)


@pytest.fixture
def gateway_kwargs() -> dict[str, object]:
    """Override in a test module to configure the gateway."""
    return {}


@pytest.fixture
async def gw(clock: SimClock, gateway_kwargs: dict[str, object]) -> AsyncIterator[SimGateway]:
    async with SimGateway.start(seed=7, clock=clock, **gateway_kwargs) as gateway:
        yield gateway


@pytest.fixture
def settings(clean_env: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IB_CONNECT_TIMEOUT", "2")
    return load_settings()


@pytest.fixture
async def trader(gw: SimGateway, settings) -> AsyncIterator[SimTrader]:
    t = SimTrader(settings, gw)
    t.market_data_timeout = 1.0
    t.order_ack_timeout = 2.0
    await t.connect()
    try:
        yield t
    finally:
        await t.close()
