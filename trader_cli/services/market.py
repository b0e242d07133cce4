"""Market data services behind ``quote``, ``bars`` and online ``resolve-symbol``."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from trader_cli.config import Settings
from trader_cli.domain.book import BookLevel, OrderBook
from trader_cli.domain.models import Candle, Quote
from trader_cli.domain.symbols import InstrumentClass, Symbol, parse_symbols
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import InputError, TraderError
from trader_cli.services.venue import open_venue
from trader_cli.venues.base import BaseTrader, HistoryProgress, Instrument


async def quotes(settings: Settings, texts: list[str]) -> tuple[dict[str, Any], list[Quote]]:
    """Top of book for each symbol, plus a header describing the venue and clock.

    The header's ``ticks`` holds each crypto symbol's price step (what its prices are written
    at); ASX and FX steps follow from the symbol alone.
    """
    symbols = parse_symbols(texts)
    async with open_venue(settings) as venue:
        out = [await venue.get_market_data(s) for s in symbols]
        return {**venue_header(venue), "ticks": await price_ticks(venue, symbols)}, out


async def price_ticks(venue: BaseTrader, symbols: list[Symbol]) -> dict[str, Decimal | None]:
    """The venue's price step of each crypto symbol (the rest are written by their class)."""
    ticks: dict[str, Decimal | None] = {}
    for s in symbols:
        if s.instrument_class is InstrumentClass.CRYPTO:
            try:
                ticks[str(s)] = (await venue.resolve(s)).min_tick
            except TraderError:  # written at the default places: never a reason to fail
                ticks[str(s)] = None
    return ticks


async def quotes_with_books(
    settings: Settings, texts: list[str], depth: int
) -> tuple[dict[str, Any], list[Quote], list[OrderBook]]:
    """Top of book and ``depth`` levels a side for each symbol (prices at the symbol's tick).

    Where the venue serves no depth to the account, the book is the top of book and says why
    in its ``note``.
    """
    from trader_cli.services.data import MAX_DEPTH, DataFetchCoordinator

    if not 1 <= depth <= MAX_DEPTH:
        raise InputError(f"--depth must be between 1 and {MAX_DEPTH}, got {depth}")
    symbols = parse_symbols(texts)
    async with open_venue(settings) as venue:
        data = DataFetchCoordinator(venue)
        out, books = [], []
        for s in symbols:
            out.append(await data.quote(s))
            tick = (await venue.resolve(s)).min_tick
            books.append(_on_tick(await data.book(s, depth), tick))
        header = {**venue_header(venue), "ticks": await price_ticks(venue, symbols)}
        return header, out, books


def _on_tick(book: OrderBook, tick: Decimal | None) -> OrderBook:
    """``book`` with prices written at the tick's precision (49.1 -> 49.10 for a 0.01 tick)."""
    if not tick:
        return book

    def side(levels: tuple[BookLevel, ...]) -> tuple[BookLevel, ...]:
        return tuple(BookLevel(lv.price.quantize(tick), lv.size) for lv in levels)

    return replace(book, bids=side(book.bids), asks=side(book.asks))


# Longest a ``bars`` request may take by the venue's pacing before it is refused as bad input.
MAX_HISTORY_SECONDS = 120.0


async def bars(
    settings: Settings,
    text: str,
    timeframe: Timeframe,
    limit: int,
    *,
    progress: HistoryProgress | None = None,
) -> tuple[dict[str, Any], list[Candle]]:
    """``limit`` OHLCV bars, oldest first (the header's ``ticks`` as for :func:`quotes`).

    Raises ``InputError`` (exit 2) before any history request when the venue's pacing would make
    it take more than :data:`MAX_HISTORY_SECONDS`, naming the largest ``limit`` that fits.
    """
    (symbol,) = parse_symbols([text])
    async with open_venue(settings) as venue:
        check_history_plan(venue, symbol, timeframe, limit)
        candles = await venue.fetch_ohlcv(symbol, timeframe, limit, progress=progress)
        return {**venue_header(venue), "ticks": await price_ticks(venue, [symbol])}, candles


def check_history_plan(venue: BaseTrader, symbol: Symbol, timeframe: Timeframe, limit: int) -> None:
    """Refuse (``InputError``) a history fetch the venue's pacing would stretch into minutes."""
    plan = venue.history_plan(symbol, timeframe, limit)
    if plan.seconds <= MAX_HISTORY_SECONDS:
        return
    lo, hi = 1, limit
    while lo < hi:  # the largest limit whose plan fits
        mid = (lo + hi + 1) // 2
        if venue.history_plan(symbol, timeframe, mid).seconds <= MAX_HISTORY_SECONDS:
            lo = mid
        else:
            hi = mid - 1
    raise InputError(
        f"{limit} {timeframe.value} bars of {symbol} need {plan.note}, which the venue's "
        f"pacing stretches to about {plan.seconds / 60:.0f} minutes",
        hint=f"ask for at most {lo} bars (-n {lo}) or use a longer timeframe",
    )


async def resolve_online(settings: Settings, text: str) -> dict[str, Any]:
    """Qualify a symbol with the venue: conId, minTick, hours, order types."""
    (symbol,) = parse_symbols([text])
    async with open_venue(settings) as venue:
        inst = await venue.resolve(symbol)
        return {
            "symbol": str(symbol),
            "venue": venue.name,
            "instrumentClass": symbol.instrument_class.value,
            "allowed": symbol in settings.allowed_symbols,
            "resolved": "venue",
            "simulated": venue.simulated,
            "contract": {**inst.to_dict(), **_steps(inst)},
        }


def _steps(inst: Instrument) -> dict[str, str]:
    """The instrument's steps in plain decimals (``0.00000001``, never ``1E-8``)."""
    steps = {"minTick": inst.min_tick, "sizeIncrement": inst.size_increment,
             "minAmount": inst.min_amount}
    return {k: f"{v.normalize():f}" for k, v in steps.items() if v is not None}


def venue_header(venue: BaseTrader) -> dict[str, Any]:
    """Venue label, simulated and replay flags and the venue clock (sim time on the sim)."""
    from trader_cli.domain.scope import Backend

    return {
        "venue": venue.name,
        "simulated": venue.simulated,
        "replay": venue.backend is Backend.REPLAY,
        "asOf": venue.clock.now(),
    }
