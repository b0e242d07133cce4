"""Work a stop request (Ctrl-C, SIGTERM) may cut short, instead of waiting it out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def unless_stopped(work: Awaitable[T], stopped: asyncio.Event | None) -> T | None:
    """``work``'s result, or None when ``stopped`` is set first: ``work`` is cancelled then
    (an LLM request is aborted at once, not waited out to its timeout).

    ``stopped`` None: nothing can stop it, ``work`` is simply awaited. Exceptions of ``work``
    propagate; if the caller itself is cancelled, ``work`` is cancelled too.
    """
    if stopped is None:
        return await work
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stopped.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
    if task.cancelled() or not task.done():
        # let the cancelled work unwind (close its connection) before going on
        await asyncio.gather(task, return_exceptions=True)
        return None
    return task.result()
