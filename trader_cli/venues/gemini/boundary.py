"""The Gemini adapter's error boundary: what ccxt raises becomes trader's errors.

Every public coroutine of :class:`~trader_cli.venues.gemini.trader.GeminiTrader` is wrapped by
:func:`venue_call`, which lets trader's own errors through, translates ccxt's exceptions with
``raise ... from e`` and lets everything else (bugs) propagate. Messages never carry the API
key or secret: ccxt's texts are passed through the redaction registry.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

import ccxt.async_support as ccxt

from trader_cli.errors import (
    ConfigError,
    InvalidOrderError,
    OrderRejected,
    RateLimitError,
    RefusedError,
    TemporaryError,
    TraderError,
    VenueError,
)
from trader_cli.redaction import redact

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")

AUTH_HINT = (
    "check GEMINI_API_KEY and GEMINI_API_SECRET (an account-scoped key with the Trader "
    "role; master keys are not supported), and GEMINI_SANDBOX for a sandbox key"
)
LINK_HINT = "Gemini did not answer or the network failed; try again"
ORDER_IN_DOUBT_HINT = (
    "the order may have reached Gemini: it is left in flight, never resent by guess; "
    "`trader resync` settles it by its client order id"
)


class InsufficientFundsRefused(RefusedError):
    """Gemini refused an order for lack of funds (exit 3)."""


def translate(operation: str, exc: BaseException, *, hint: str = LINK_HINT) -> TraderError | None:
    """trader's error for what ccxt raised; None for anything that is not the venue's doing."""
    if isinstance(exc, TraderError):
        return exc
    if not isinstance(exc, ccxt.BaseError):
        if isinstance(exc, TimeoutError | ConnectionError):
            return TemporaryError(f"{operation}: the link to Gemini failed", hint=hint)
        return None
    text = redact(str(exc)) or type(exc).__name__
    if isinstance(exc, ccxt.AuthenticationError | ccxt.PermissionDenied):
        return ConfigError(
            f"Gemini refused the API credentials ({type(exc).__name__})", hint=AUTH_HINT
        )
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return RateLimitError(f"{operation}: Gemini asked to slow down: {text}", hint=hint)
    if isinstance(exc, ccxt.NetworkError):  # RequestTimeout, ExchangeNotAvailable, OnMaintenance
        return TemporaryError(f"{operation}: {text}", hint=hint)
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFundsRefused(
            f"Gemini refused the order: insufficient funds ({text})",
            hint="check the balances with `trader baseline --venue gemini` (cash and holdings) "
            "and the order's size",
        )
    if isinstance(exc, ccxt.OrderNotFound):
        return VenueError(f"{operation}: {text}", code="OrderNotFound")
    if isinstance(exc, ccxt.InvalidOrder):
        return OrderRejected(f"Gemini rejected the order: {text}", code=type(exc).__name__)
    if isinstance(exc, ccxt.BadSymbol):
        return InvalidOrderError(f"{operation}: {text}")
    return VenueError(f"{operation}: {text}", code=type(exc).__name__)


def venue_call(
    *, hint: str = LINK_HINT
) -> Callable[
    [Callable[Concatenate[S, P], Awaitable[R]]],
    Callable[Concatenate[S, P], Coroutine[Any, Any, R]],
]:
    """Wrap an adapter coroutine method in the boundary (see the module docstring)."""

    def wrap(
        method: Callable[Concatenate[S, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
        operation = method.__name__

        async def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await method(self, *args, **kwargs)
            except TraderError:
                raise
            except Exception as e:
                error = translate(operation, e, hint=hint)
                if error is None:
                    raise
                if type(error) is TemporaryError:  # the link failed (not a 429): reconnect
                    lost = getattr(self, "link_lost", None)
                    if callable(lost):
                        lost()
                raise error from e

        functools.update_wrapper(call, method)
        return call

    return wrap
