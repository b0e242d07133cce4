"""IB's depth of book (reqMktDepth) and its tape (reqHistoricalTicks), as domain models.

Depth is asked for, waited for (bounded) until both sides have their rows, and cancelled: IB
limits depth lines to a handful, so none is left streaming. An account without the exchange's
depth subscription hears one of :data:`codes.DEPTH_UNAVAILABLE`; that becomes a
``DataUnavailableError`` at once, never a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from ib_async import RequestError, Ticker

from trader_cli.domain.book import BookLevel, OrderBook, PublicTrade, TapeKind
from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.errors import DataUnavailableError, RateLimitError, TemporaryError, VenueError
from trader_cli.venues.ib import codes, mapping

MAX_DEPTH_ROWS = 50
MAX_TICKS = 1000  # IB serves at most 1000 historical ticks per request
DEPTH_SETTLE_SECONDS = 0.25  # both sides in, fewer rows than asked: no more for this long
DEPTH_HINT = (
    "IB sells depth (Level II) per exchange: add it under Market Data Subscriptions in Client "
    "Portal, or use the top of book (trader quote without --depth)"
)
TAPE_HINT = (
    "IB serves trade ticks only with the exchange's market data subscription: add it under "
    "Market Data Subscriptions in Client Portal"
)


def tape_kind(symbol: Symbol) -> tuple[str, TapeKind]:
    """What to ask IB for as ``symbol``'s tape: trades, or midpoints where IDEALPRO FX has none."""
    if symbol.instrument_class is InstrumentClass.FX:
        return "MIDPOINT", TapeKind.MIDPOINT
    return "TRADES", TapeKind.TRADE


async def order_book(
    ib: Any, contract: Any, symbol: Symbol, rows: int, *, wait_seconds: float, now: datetime
) -> OrderBook:
    """``rows`` levels a side from one depth request, then the request is cancelled."""
    ticker: Ticker = ib.reqMktDepth(contract, numRows=rows, isSmartDepth=False)
    req_id = ib.wrapper.ticker2ReqId["mktDepth"].get(ticker)
    refused: list[tuple[int, str]] = []
    changed = asyncio.Event()

    def on_error(err_req_id: int, code: int, message: str, _contract: object) -> None:
        if err_req_id == req_id and code not in codes.DELAYED_DATA:
            refused.append((code, message))
            changed.set()

    def on_update(_ticker: Ticker) -> None:
        changed.set()

    ib.errorEvent += on_error
    ticker.updateEvent += on_update
    try:
        # on time-out, what arrived is the book (a closed market may leave a side empty)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_wait_rows(ticker, rows, refused, changed), wait_seconds)
        bids = [BookLevel(p, s) for p, s in _levels(ticker.domBids)]
        asks = [BookLevel(p, s) for p, s in _levels(ticker.domAsks)]
    finally:
        ib.errorEvent -= on_error
        ticker.updateEvent -= on_update
        if ib.isConnected():
            ib.cancelMktDepth(contract, isSmartDepth=False)
    if refused:
        code, message = refused[0]
        if code in codes.DEPTH_UNAVAILABLE:
            raise DataUnavailableError(
                f"IB serves no market depth for {symbol} to this account: {message}",
                code=code,
                hint=DEPTH_HINT,
            )
        raise VenueError(message, code=code)
    if not bids and not asks:
        raise TemporaryError(
            f"IB sent no market depth for {symbol} within {wait_seconds:.1f}s",
            hint="the market may be closed or the data farm down: try again",
        )
    return OrderBook(str(symbol), now, tuple(bids), tuple(asks))


async def _wait_rows(
    ticker: Ticker, rows: int, refused: list[tuple[int, str]], changed: asyncio.Event
) -> None:
    """Until IB refuses, both sides have ``rows`` rows, or both have some and no more come."""
    while not refused:
        if len(ticker.domBids) >= rows and len(ticker.domAsks) >= rows:
            return
        two_sided = bool(ticker.domBids) and bool(ticker.domAsks)
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), DEPTH_SETTLE_SECONDS if two_sided else None)
        except TimeoutError:
            return


def _levels(rows: list[Any]) -> list[tuple[Any, Any]]:
    out = []
    for row in rows:
        price, size = mapping.dec(row.price), mapping.size(row.size)
        if price is not None and price > 0 and size is not None and size > 0:
            out.append((price, size))
    return out


async def public_trades(
    ib: Any, contract: Any, symbol: Symbol, limit: int, *, end: datetime, wait_seconds: float
) -> list[PublicTrade]:
    """The last ``limit`` prints up to ``end`` (FX: midpoints, labelled so), oldest first."""
    what, kind = tape_kind(symbol)
    try:
        ticks = await asyncio.wait_for(
            ib.reqHistoricalTicksAsync(contract, "", end, min(limit, MAX_TICKS), what, False),
            wait_seconds,
        )
    except RequestError as e:
        if e.code in codes.NOT_SUBSCRIBED or (
            e.code == codes.HISTORICAL_DATA_ERROR and codes.NO_PERMISSIONS_TEXT in e.message.lower()
        ):
            raise DataUnavailableError(
                f"IB serves no trade ticks for {symbol} to this account: {e.message}",
                code=e.code,
                hint=TAPE_HINT,
            ) from e
        if codes.is_pacing(e.code, e.message):
            raise RateLimitError(e.message, code=e.code) from e
        if e.code == codes.HISTORICAL_DATA_ERROR and codes.NO_DATA_TEXT in e.message.lower():
            return []
        raise VenueError(e.message, code=e.code) from e
    out = []
    for tick in ticks:
        price = mapping.dec(tick.price)
        if price is None or price <= 0:
            continue
        size = mapping.size(tick.size) if kind is TapeKind.TRADE else None
        out.append(PublicTrade(str(symbol), price, size, tick.time, kind=kind))
    out.sort(key=lambda t: t.timestamp)
    return out[-limit:]
