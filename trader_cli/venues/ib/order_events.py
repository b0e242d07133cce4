"""Waiting on an order's events from TWS instead of sleeping between polls."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from ib_async import Trade as IBTrade

from trader_cli.clock import Clock
from trader_cli.domain.models import Order


def differs(now: Order, seen: Order) -> bool:
    """Whether ``now`` tells more than ``seen``: another status or another filled amount."""
    return (now.status, now.filled) != (seen.status, seen.filled)


def fills_complete(trade: IBTrade) -> bool:
    """Whether a finished order's executions and their commission reports are all in.

    TWS sends the final ``orderStatus``, the ``execDetails`` and the ``commissionReport`` of a
    fill as separate messages; recording the order between them would store a fill without its
    commission. A working order has nothing more to wait for.
    """
    if not trade.isDone():
        return True
    shares = sum(f.execution.shares for f in trade.fills)
    if shares < trade.orderStatus.filled:
        return False
    return all(f.commissionReport and f.commissionReport.currency for f in trade.fills)


async def next_packet(ib: Any) -> None:
    """Until ib_async has handled the next message batch from TWS (or was disconnected)."""
    woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def wake(*_: object) -> None:
        if not woken.done():
            woken.set_result(None)

    ib.updateEvent += wake
    ib.disconnectedEvent += wake
    try:
        await woken
    finally:
        ib.updateEvent -= wake
        ib.disconnectedEvent -= wake


async def until_news(
    ib: Any,
    trade: IBTrade,
    seen: Order,
    current: Callable[[IBTrade], Order],
    clock: Clock,
    at_most: float,
) -> None:
    """Return once ``trade`` (as ``current`` maps it) differs from ``seen`` with its fills
    complete, or after ``at_most`` seconds of ``clock``.

    The clock's sleep runs beside the wait, so a pinned sim clock still advances (and its market
    moves) while nothing has arrived; it is cancelled as soon as the news does. A dropped link
    is the caller's to notice (the adapter's boundary ends the call with ``TemporaryError``).
    """

    def ready() -> bool:
        return differs(current(trade), seen) and fills_complete(trade)

    async def watch() -> None:
        while not ready():
            await next_packet(ib)

    if ready():
        return
    watcher = asyncio.ensure_future(watch())
    sleeper = asyncio.ensure_future(clock.sleep(at_most))
    try:
        await asyncio.wait({watcher, sleeper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (watcher, sleeper):
            task.cancel()
        for task in (watcher, sleeper):
            with contextlib.suppress(asyncio.CancelledError):
                await task
