"""The Gemini adapter on a recording: the replay server on loopback, the adapter pointed at it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from trader_cli.config import Settings
from trader_cli.domain.scope import Backend
from trader_cli.replay.clock import ReplayClock
from trader_cli.replay.connect import connected_to_recording
from trader_cli.replay.gemini_server import GeminiReplayServer
from trader_cli.replay.wirelog import open_recording
from trader_cli.venues.gemini.fx import FixedRate, FxSource
from trader_cli.venues.gemini.trader import GeminiTrader

#: The key pair the adapter signs with on a replay: the server checks no signature, and the
#: configured keys never leave the process.
REPLAY_API_KEY = "account-replay"
REPLAY_API_SECRET = "replay-secret-checked-by-no-one"  # noqa: S105 - loopback replay only


def replay_exchange(url: str) -> Any:
    """A ccxt Gemini client on the replay server at ``url`` (every URL, rate limiter off)."""
    import ccxt.async_support as ccxt

    exchange = ccxt.gemini({
        "apiKey": REPLAY_API_KEY,
        "secret": REPLAY_API_SECRET,
        "enableRateLimit": False,
        "options": {"fetchCurrencies": {"webApiEnable": False}},
    })
    exchange.urls["api"] = {"public": url, "private": url, "web": url, "webExchange": url}
    return exchange


def recorded_fx(settings: Settings, meta: dict[str, Any]) -> FxSource | None:
    """The rate the recording valued USD at (``fx``), when the base currency is the recorded one.

    Any other base needs ``GEMINI_USD_PER_BASE`` (the adapter's own rule).
    """
    rate = (meta.get("fx") or {}).get(settings.base_currency)
    if rate is None or settings.gemini.usd_per_base is not None:
        return None
    return FixedRate(settings.base_currency, Decimal(str(rate)))


def recorded_clock(meta: dict[str, Any]) -> datetime:
    """The venue time the recording started at (``clock``), else when it was recorded."""
    text = str(meta.get("clock") or meta.get("recordedAt") or "1970-01-01T00:00:00Z")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class GeminiReplayConnection:
    """The adapter connected to a recording, and the server serving it."""

    trader: GeminiTrader
    gateway: GeminiReplayServer


@contextlib.asynccontextmanager
async def gemini_replay_connection(
    settings: Settings, directory: Path
) -> AsyncIterator[GeminiReplayConnection]:
    """The Gemini adapter connected to the cassette in ``directory`` served on loopback.

    A failure while the recording could not answer a request is re-raised as a ``VenueError``
    naming that request.
    """
    meta = open_recording(directory, "gemini")
    async with GeminiReplayServer.start(directory) as server:
        trader = GeminiTrader(
            settings, exchange=replay_exchange(server.base_url), fx=recorded_fx(settings, meta),
            clock=ReplayClock(recorded_clock(meta)), backend=Backend.REPLAY,
        )  # fmt: skip
        async with connected_to_recording(
            trader, server.unmatched, "trader record-fixtures --venue gemini"
        ):
            yield GeminiReplayConnection(trader, server)
