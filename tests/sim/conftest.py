"""Fixtures for driving the SIMULATED gateway with plain ib_async over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from ib_async import IB, Stock, Ticker

from trader_cli.sim import SimClock, SimGateway

# Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open, so is IDEALPRO
ASX_OPEN = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
# Saturday 6 July 2024, 11:00 in Sydney: everything is closed
WEEKEND = datetime(2024, 7, 6, 1, 0, tzinfo=UTC)
TIMEOUT = 3.0


async def until(condition: Callable[[], object], limit: float = TIMEOUT) -> None:
    """Wait for messages already sent by the sim to be processed by the client."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met before timeout")
        await asyncio.sleep(0.005)


@pytest.fixture
def wait() -> Callable[..., object]:
    """The :func:`until` helper, for test modules."""
    return until


@pytest.fixture
def clock() -> SimClock:
    return SimClock.pinned(ASX_OPEN)


@pytest.fixture
async def gw(clock: SimClock) -> AsyncIterator[SimGateway]:
    async with SimGateway.start(seed=7, clock=clock) as gateway:
        yield gateway


@pytest.fixture
async def ib(gw: SimGateway) -> AsyncIterator[IB]:
    client = IB()
    client.RequestTimeout = TIMEOUT
    await client.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=TIMEOUT)
    try:
        yield client
    finally:
        client.disconnect()


class ErrorLog:
    """Collects (reqId, code, message) from ib.errorEvent."""

    def __init__(self, ib: IB) -> None:
        self.items: list[tuple[int, int, str]] = []
        ib.errorEvent += self._on_error

    def _on_error(self, req_id: int, code: int, message: str, _contract: object) -> None:
        self.items.append((req_id, code, message))

    def codes(self) -> list[int]:
        return [code for _, code, _ in self.items]


@pytest.fixture
def errors(ib: IB) -> ErrorLog:
    return ErrorLog(ib)


# -- helpers of the order-type tests (stops, OCA groups, brackets, expiry) --------------------
CENT = Decimal("0.01")


def cents(value: float) -> Decimal:
    """An ib_async price (a float) as the exact cents it stands for."""
    return Decimal(str(value)).quantize(CENT)


async def bhp_quoted(ib: IB, wait: Callable[..., Any]) -> tuple[Stock, Ticker]:
    """BHP qualified, and its ticker once both sides of the book have arrived."""
    bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
    await ib.qualifyContractsAsync(bhp)
    ticker = ib.reqMktData(bhp)
    await wait(lambda: ticker.bid > 0 and ticker.ask > 0)
    return bhp, ticker
