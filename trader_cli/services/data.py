"""DataFetchCoordinator: the one place strategies and tools get market data, in ccxt shapes.

Within one cycle every answer is cached (a strategy and an LLM tool asking for the same bars cost
one venue request); timeframes are clamped to what the venue serves (its declared capabilities:
IB has no 6-hour bars, so 4-hour bars stand in); the number of distinct
quote lines per cycle is capped so IB's market-data-line limit is never hit by a strategy.
"""

from __future__ import annotations

import logging
from typing import Any

from trader_cli.domain.models import Candle, Fill, Quote
from trader_cli.domain.symbols import Symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import InputError
from trader_cli.venues.base import BaseTrader

log = logging.getLogger("trader.data")

MAX_LIMIT = 1000


class DataFetchCoordinator:
    """Cached, guarded market data for one venue; call :meth:`new_cycle` at each cycle start."""

    def __init__(self, venue: BaseTrader, *, max_quote_lines: int = 50) -> None:
        self.venue = venue
        self.max_quote_lines = max_quote_lines
        self._candles: dict[tuple[Symbol, Timeframe, int], list[Candle]] = {}
        self._quotes: dict[Symbol, Quote] = {}
        self.requests = 0
        self.notes: list[str] = []

    def new_cycle(self) -> None:
        """Forget this cycle's answers."""
        self._candles.clear()
        self._quotes.clear()
        self.notes.clear()

    def clamp(self, timeframe: Timeframe) -> Timeframe:
        """The timeframe the venue will actually serve for ``timeframe``.

        One it does not serve becomes the longest it serves that is not longer (and says so).
        """
        caps = self.venue.capabilities
        if caps.supports(timeframe):
            return timeframe
        clamped = caps.nearest_timeframe(timeframe)
        if clamped is None:
            return timeframe  # nothing shorter: let the venue refuse it with its own message
        self.notes.append(
            f"{timeframe.value} bars are not served by {caps.name}: using {clamped.value}"
        )
        return clamped

    async def candles(self, symbol: Symbol, timeframe: Timeframe, limit: int) -> list[Candle]:
        """OHLCV oldest first, at most ``MAX_LIMIT`` bars."""
        tf = self.clamp(timeframe)
        n = max(1, min(limit, MAX_LIMIT))
        key = (symbol, tf, n)
        if key not in self._candles:
            self.requests += 1
            self._candles[key] = await self.venue.fetch_ohlcv(symbol, tf, n)
        return self._candles[key]

    async def quote(self, symbol: Symbol) -> Quote:
        """Top of book, once per cycle per symbol."""
        if symbol not in self._quotes:
            if len(self._quotes) >= self.max_quote_lines:
                raise InputError(
                    f"more than {self.max_quote_lines} symbols quoted in one cycle",
                    hint="IB limits market-data lines; narrow ALLOWED_SYMBOLS",
                )
            self.requests += 1
            self._quotes[symbol] = await self.venue.get_market_data(symbol)
        return self._quotes[symbol]

    async def order_book(self, symbol: Symbol) -> dict[str, Any]:
        """ccxt-shaped book ``{"bids": [[price, size]], "asks": [[price, size]]}`` (top level)."""
        q = await self.quote(symbol)
        return {
            "symbol": str(symbol),
            "bids": [[q.bid, q.bid_size]] if q.bid is not None else [],
            "asks": [[q.ask, q.ask_size]] if q.ask is not None else [],
            "timestamp": q.timestamp,
        }

    async def trades(self, symbol: Symbol) -> list[Fill]:
        """Our own recent fills in ``symbol`` (price, amount, timestamp)."""
        self.requests += 1
        return await self.venue.get_my_trades(symbol)
