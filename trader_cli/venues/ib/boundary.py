"""The IB adapter's error boundary: ib_async and transport failures become trader's errors.

Every public method of :class:`~trader_cli.venues.ib.trader.IBTrader` is wrapped by
:func:`venue_call`, which

* lets trader's own errors (``TraderError``) through untouched: they were raised on purpose,
  often from an IB code the adapter already mapped (200 -> ``SymbolError``, pacing ->
  ``RateLimitError``...), and are never wrapped twice;
* translates what ib_async and the socket raise (``ConnectionError("Socket disconnect")``,
  ``TimeoutError``, ``OSError``, unmapped ``RequestError``) with ``raise ... from e``: a dropped
  or stalled link is a retryable :class:`TemporaryError`, an IB error code a ``VenueError``;
* ends a call at once when the link drops while it waits (ib_async fails pending requests on
  a drop but leaves waits on order status or ticks hanging until their own timeouts);
* lets everything else (``TypeError``, ``KeyError``...) propagate: those are bugs to see.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from ib_async import RequestError

from trader_cli.errors import TemporaryError, TraderError, VenueError
from trader_cli.venues.ib import codes

P = ParamSpec("P")
R = TypeVar("R")

LINK_HINT = "the link to TWS/IB Gateway dropped or stalled; trader reconnects on its own: try again"
# IB codes that mean the link (ours to the Gateway, or the Gateway's to IB) is down
LINK_DOWN_CODES = codes.NOT_CONNECTED | codes.CONNECTIVITY_LOST | codes.SOCKET_PORT_RESET


class LinkDropped(ConnectionError):
    """The link went down while a call was waiting on it."""


class Link(Protocol):
    """What the boundary needs of the connection: a signal for the next drop."""

    def next_drop(self) -> asyncio.Future[None]:
        """A future that completes when the link next goes down."""
        ...


class HasLink(Protocol):
    """An adapter with a connection (``IBTrader``)."""

    @property
    def conn(self) -> Link: ...


S = TypeVar("S", bound=HasLink)


def translate(operation: str, exc: BaseException, *, hint: str = LINK_HINT) -> TraderError | None:
    """trader's error for an exception ib_async or the transport raised; None for anything else.

    ``None`` means the exception is not the venue's doing (a bug, a cancellation) and must
    propagate as it is.
    """
    if isinstance(exc, TraderError):
        return exc
    if isinstance(exc, RequestError):
        if exc.code in LINK_DOWN_CODES:
            return TemporaryError(f"{operation}: {exc.message}", code=exc.code, hint=hint)
        return VenueError(exc.message, code=exc.code)
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError is TimeoutError
        return TemporaryError(f"{operation}: TWS/IB Gateway did not answer in time", hint=hint)
    if isinstance(exc, ConnectionError | OSError | EOFError):
        detail = str(exc) or type(exc).__name__
        return TemporaryError(
            f"{operation}: the link to TWS/IB Gateway failed ({detail})", hint=hint
        )
    return None


def venue_call(
    *, watch_link: bool = True, hint: str = LINK_HINT
) -> Callable[
    [Callable[Concatenate[S, P], Awaitable[R]]],
    Callable[Concatenate[S, P], Coroutine[Any, Any, R]],
]:
    """Wrap an adapter coroutine method in the boundary (see the module docstring).

    ``watch_link=False`` is for the lifecycle methods (connect, reconnect) that take the link
    down and up themselves: they get the translation, not the end-on-drop. ``hint`` replaces
    the default advice for a failed link (an order whose fate is unknown needs other advice).
    """

    def wrap(
        method: Callable[Concatenate[S, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
        operation = method.__name__

        async def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                if watch_link:
                    return await _until_dropped(self.conn, method(self, *args, **kwargs))
                return await method(self, *args, **kwargs)
            except TraderError:
                raise
            except Exception as e:
                error = translate(operation, e, hint=hint)
                if error is None:
                    raise
                raise error from e

        functools.update_wrapper(call, method)
        return call

    return wrap


async def _until_dropped(link: Link, work: Awaitable[R]) -> R:
    """``await work``, but raise :class:`LinkDropped` as soon as the link goes down."""
    task = asyncio.ensure_future(work)
    dropped = link.next_drop()
    either: set[asyncio.Future[Any]] = {task, dropped}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        dropped.cancel()
    if not task.done():
        await asyncio.sleep(0)  # let an answer that arrived just before the drop finish
    if task.done():  # an answer that arrived before the drop still counts
        return task.result()
    task.cancel()
    await asyncio.wait({task})  # let it unwind; a cancellation of this call still propagates
    if not task.cancelled():
        task.exception()  # retrieved: it is replaced by the LinkDropped below
    raise LinkDropped("the link dropped while waiting for an answer")
