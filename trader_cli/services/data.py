"""DataFetchCoordinator: the one place strategies and tools get market data, in ccxt shapes.

Within one cycle every answer is cached (a strategy and an LLM tool asking for the same bars cost
one venue request); timeframes are clamped to what the venue serves (its declared capabilities:
IB has no 6-hour bars, so 4-hour bars stand in); the number of distinct
quote lines per cycle is capped so IB's market-data-line limit is never hit by a strategy.

The order book is the venue's depth and the trades are the venue's public tape where the venue
serves them (its declared capabilities) and the account has the subscription; otherwise the
book is the top of book and the tape the quote's last price, and :attr:`notes` says so.
"""

from __future__ import annotations

import logging
from typing import Any

from trader_cli.domain.book import OrderBook, PublicTrade, TapeKind
from trader_cli.domain.models import Candle, Fill, Quote
from trader_cli.domain.symbols import Symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import DataUnavailableError, InputError, TemporaryError
from trader_cli.venues.base import BaseTrader

log = logging.getLogger("trader.data")

MAX_LIMIT = 1000
MAX_DEPTH = 50  # levels a side
MAX_TRADES = 500  # public prints per request


class DataFetchCoordinator:
    """Cached, guarded market data for one venue; call :meth:`new_cycle` at each cycle start."""

    def __init__(self, venue: BaseTrader, *, max_quote_lines: int = 50) -> None:
        self.venue = venue
        self.max_quote_lines = max_quote_lines
        self._candles: dict[tuple[Symbol, Timeframe, int], list[Candle]] = {}
        self._quotes: dict[Symbol, Quote] = {}
        self._books: dict[tuple[Symbol, int], OrderBook] = {}
        self._tapes: dict[tuple[Symbol, int], list[PublicTrade]] = {}
        # symbols the venue refused depth or tape for (no subscription): not asked again
        self._no_depth: dict[Symbol, str] = {}
        self._no_tape: dict[Symbol, str] = {}
        self.requests = 0
        self.notes: list[str] = []

    def new_cycle(self) -> None:
        """Forget this cycle's answers."""
        if self._candles:
            self._candles.clear()
        if self._quotes:
            self._quotes.clear()
        if self._books:
            self._books.clear()
        if self._tapes:
            self._tapes.clear()
        if self.notes:
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

    async def book(self, symbol: Symbol, depth: int = 10) -> OrderBook:
        """Up to ``depth`` levels a side, once per cycle: the venue's depth, or the top of book
        (``source`` says which, ``note`` and :attr:`notes` why)."""
        n = max(1, min(depth, MAX_DEPTH))
        key = (symbol, n)
        if key in self._books:
            return self._books[key]
        caps = self.venue.capabilities
        book: OrderBook | None = None
        reason = self._no_depth.get(symbol) or f"{caps.name} serves no depth"
        if caps.market_depth and symbol not in self._no_depth:
            self.requests += 1
            try:
                book = await self.venue.fetch_order_book(symbol, n)
            except DataUnavailableError as e:
                reason = self._no_depth[symbol] = e.message
            except TemporaryError as e:  # e.g. no depth arrived in time: this cycle only
                reason = e.message
        if book is None:
            book = OrderBook.from_quote(await self.quote(symbol), f"top of book only: {reason}")
            self.notes.append(f"{symbol}: no depth ({reason}); the book is the top of book only")
        self._books[key] = book
        return book

    async def order_book(self, symbol: Symbol, depth: int = 10) -> dict[str, Any]:
        """ccxt-shaped book ``{"bids": [[price, size]...], "asks": [...], "timestamp": ms,
        "source": "depth"|"top_of_book", "note": ...}``, best levels first (see :meth:`book`)."""
        return (await self.book(symbol, depth)).to_ccxt()

    async def tape(self, symbol: Symbol, limit: int = 50) -> list[PublicTrade]:
        """The venue's most recent public prints, oldest first, once per cycle.

        Where the venue has no tape for the account, the quote's last price stands in as one
        print of kind ``last`` (none without a last price) and :attr:`notes` says so.
        """
        n = max(1, min(limit, MAX_TRADES))
        key = (symbol, n)
        if key in self._tapes:
            return self._tapes[key]
        caps = self.venue.capabilities
        prints: list[PublicTrade] | None = None
        reason = self._no_tape.get(symbol) or f"{caps.name} serves no public trades"
        if caps.public_tape and symbol not in self._no_tape:
            self.requests += 1
            try:
                prints = await self.venue.fetch_public_trades(symbol, n)
            except DataUnavailableError as e:
                reason = self._no_tape[symbol] = e.message
        if prints is None:
            q = await self.quote(symbol)
            prints = (
                [PublicTrade(str(symbol), q.last, None, q.timestamp, kind=TapeKind.LAST)]
                if q.last is not None
                else []
            )
            self.notes.append(f"{symbol}: no public trades ({reason}); the last price stands in")
        self._tapes[key] = prints
        return prints

    async def trades(self, symbol: Symbol, limit: int = 50) -> list[dict[str, Any]]:
        """The venue's public tape as ccxt trades (``id, timestamp, side, price, amount``, plus
        ``kind``: trade, midpoint or last), oldest first (see :meth:`tape`)."""
        return [t.to_ccxt() for t in await self.tape(symbol, limit)]

    async def my_fills(self, symbol: Symbol) -> list[Fill]:
        """Our own recent fills in ``symbol`` (not the market's tape)."""
        self.requests += 1
        return await self.venue.get_my_trades(symbol)
