"""IB's historical bars for :class:`~trader_cli.venues.ib.trader.IBTrader`: planned, paced, cached.

A long fetch is split into as few requests as IB's step-size rule allows; every request goes
through the pacer (queued, never refused), a pacing reply that slips through anyway is retried,
and an identical request within IB's 15 s window is served from the trader's cache.

Intraday bars are first asked for over the span that holds them when the market trades
throughout (:func:`~trader_cli.venues.ib.mapping.days_open`: 2 D for 120 5-minute FX bars),
and over the span with room for a weekend only when that falls short: a runner asks for the
same bars every cycle, and what it keeps (its cache, the sim's bars) is the span it asks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from ib_async import RequestError

from trader_cli.clock import Clock
from trader_cli.domain.models import Candle
from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import InputError, RateLimitError, VenueError
from trader_cli.venues.base import HistoryPlan, HistoryProgress
from trader_cli.venues.ib import codes, mapping
from trader_cli.venues.ib.connection import IBConnection
from trader_cli.venues.ib.pacing import HistoricalPacer

log = logging.getLogger("trader.ib")

MAX_BARS = 5000
# What one historical-data request typically takes IB to answer, for plans and progress ETAs.
HISTORY_RESPONSE_SECONDS = 0.5
HISTORY_ATTEMPTS = 6  # a request refused for pacing is sent again, up to this many times in all
BAR_CACHE_SIZE = 256  # requests whose answers are kept for IB's identical-request window

#: request -> (when it was answered, the bars)
BarCache = dict[tuple[Any, ...], tuple[datetime, list[Candle]]]
#: request up to now -> {an ib_async bar's fields: its candle}, from the last answer
CandleMemo = dict[tuple[Any, ...], dict[tuple[Any, ...], Candle]]
CANDLE_MEMO_REQUESTS = 64  # requests whose last answer's candles are kept for the next


class HistorySource(Protocol):
    """What fetching history needs of the IB adapter (its link, pacer, clock and cache)."""

    pacer: HistoricalPacer
    bar_cache: BarCache
    candle_memo: CandleMemo
    conn: IBConnection

    @property
    def clock(self) -> Clock:
        """The venue's clock."""
        ...

    @property
    def ib(self) -> Any:
        """The ib_async ``IB`` client."""
        ...


def plan(pacer: HistoricalPacer, symbol: Symbol, timeframe: Timeframe, limit: int) -> HistoryPlan:
    """Requests IB's step-size rule needs for ``limit`` bars, and the time its pacing adds."""
    if not 1 <= limit <= MAX_BARS:
        raise InputError(f"limit must be between 1 and {MAX_BARS}, got {limit}")
    mapping.bar_size(timeframe)  # a timeframe IB has no bars for is refused here
    sec_type = "CASH" if symbol.instrument_class is InstrumentClass.FX else "STK"
    need_days = mapping.days_needed(timeframe, limit, sec_type)
    span = min(need_days, mapping.max_span_days(timeframe))
    requests = -(-need_days // span)
    seconds = pacer.estimate(requests, response_seconds=HISTORY_RESPONSE_SECONDS)
    return HistoryPlan(
        requests,
        seconds,
        f"{requests} request(s) of {mapping.duration_string(span)} each",
    )


async def fetch(
    trader: HistorySource,
    contract: Any,
    symbol: Symbol,
    timeframe: Timeframe,
    limit: int,
    progress: HistoryProgress | None,
) -> list[Candle]:
    """Up to ``limit`` bars of ``contract`` oldest first; stops as soon as a request brings no
    older bar (the start of the venue's history)."""
    planned = plan(trader.pacer, symbol, timeframe, limit)
    size = mapping.bar_size(timeframe)
    sec_type = contract.secType
    what = mapping.WHAT_TO_SHOW.get(sec_type, "TRADES")
    use_rth = sec_type == "STK"
    need_days = mapping.days_needed(timeframe, limit, sec_type)
    span = min(need_days, mapping.max_span_days(timeframe))
    duration = mapping.duration_string(span)
    candles: dict[datetime, Candle] = {}
    end: datetime | None = None
    covered = 0
    done = 0
    if progress is not None:
        progress(0, planned.requests, planned.seconds)
    short = mapping.days_open(timeframe, limit, sec_type)
    if short < span:  # the span the bars take with no weekend in it, first
        batch = await _bars(
            trader, contract, None, mapping.duration_string(short), size, what, use_rth
        )
        done = 1
        if len({c.ts for c in batch}) >= limit:
            if progress is not None:
                progress(done, done, planned.seconds)
            return _latest(batch, limit)
        if progress is not None:  # the planned requests are still to come
            progress(done, planned.requests + done, planned.seconds)
    while True:
        batch = await _bars(trader, contract, end, duration, size, what, use_rth)
        before = len(candles)
        for c in batch:
            candles.setdefault(c.ts, c)
        covered += span
        done += 1
        if progress is not None:
            progress(done, max(planned.requests, done), planned.seconds)
        if (
            not batch
            or len(candles) == before  # nothing older: the start of the history
            or len(candles) >= limit
            or covered >= need_days * 4
            or (covered >= need_days and len(batch) == 0)
        ):
            break
        if covered >= need_days and len(candles) >= limit:
            break
        end = min(c.ts for c in batch)
        if covered >= need_days and timeframe.seconds >= 86_400:
            break
    return _latest(candles.values(), limit)


def _latest(batch: Iterable[Candle], limit: int) -> list[Candle]:
    """The ``limit`` latest of ``batch`` oldest first, one per time (the first one kept)."""
    candles: dict[datetime, Candle] = {}
    for c in batch:
        candles.setdefault(c.ts, c)
    return [candles[k] for k in sorted(candles)][-limit:]


async def _bars(
    trader: HistorySource,
    contract: Any,
    end: datetime | None,
    duration: str,
    size: str,
    what: str,
    use_rth: bool,
) -> list[Candle]:
    end_text = "" if end is None else end.strftime("%Y%m%d-%H:%M:%S")
    request_key = (contract.conId, end_text, duration, size, what, use_rth)
    cache = trader.bar_cache
    cached = cache.get(request_key)
    now = trader.clock.now()
    if (
        end is None
        and cached
        and ((now - cached[0]).total_seconds() < trader.pacer.rules.identical_gap)
    ):
        return cached[1]
    request = (trader, contract, end_text, duration, size, what, use_rth, request_key)
    try:
        bars = await _historical(*request)
    except RateLimitError:
        # a retrying loop is built only once a request needs one: it holds reference cycles,
        # and a runner's every request leaving them for the full collection grows its heap
        from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

        retrying = AsyncRetrying(
            stop=stop_after_attempt(HISTORY_ATTEMPTS - 1),
            retry=retry_if_exception_type(RateLimitError),
            sleep=trader.clock.sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                bars = await _historical(*request)
    candles = _candles(trader.candle_memo, request_key if end is None else None, bars)
    if end is None:  # only a request up to now is ever answered from the cache (above)
        remember(cache, request_key, trader.clock.now(), candles, trader.pacer.rules.identical_gap)
    return candles


def _candles(memo: CandleMemo, key: tuple[Any, ...] | None, bars: list[Any]) -> list[Candle]:
    """The candles of ``bars``; a bar equal in every field to one of the last answer to the
    same request (``key``; a runner asks for the same history each cycle) is not mapped again."""
    if key is None:
        return [mapping.candle_from_bar(b) for b in bars]
    last = memo.pop(key, {})
    now: dict[tuple[Any, ...], Candle] = {}
    out = []
    for b in bars:
        fields = (b.date, b.open, b.high, b.low, b.close, b.volume)
        candle = last.get(fields)
        if candle is None:
            candle = mapping.candle_from_bar(b)
        now[fields] = candle
        out.append(candle)
    memo[key] = now
    while len(memo) > CANDLE_MEMO_REQUESTS:
        del memo[next(iter(memo))]
    return out


def remember(
    cache: BarCache, key: tuple[Any, ...], now: datetime, candles: list[Candle], keep: float
) -> None:
    """Keep ``candles`` under ``key``, dropping answers older than ``keep`` seconds (they can no
    longer be served) and the oldest beyond ``BAR_CACHE_SIZE``: a long run's cache stays small."""
    cache.pop(key, None)  # re-inserted last: the dict stays in answer order
    cache[key] = (now, candles)
    while cache:
        oldest = next(iter(cache))
        if len(cache) <= BAR_CACHE_SIZE and (now - cache[oldest][0]).total_seconds() < keep:
            break
        del cache[oldest]


async def _historical(
    trader: HistorySource,
    contract: Any,
    end_text: str,
    duration: str,
    size: str,
    what: str,
    use_rth: bool,
    request_key: tuple[Any, ...],
) -> list[Any]:
    pacer = trader.pacer
    await pacer.acquire((contract.conId, contract.exchange, what), request_key)
    trader.conn.require_connected()
    try:
        return list(
            await trader.ib.reqHistoricalDataAsync(
                contract, end_text, duration, size, what, use_rth, formatDate=2, timeout=60
            )
        )
    except RequestError as e:
        if codes.is_pacing(e.code, e.message):
            log.warning("IB pacing violation despite pacing; backing off: %s", e.message)
            pacer.penalise(pacer.rules.identical_gap)
            raise RateLimitError(e.message, code=e.code) from e
        if e.code == codes.HISTORICAL_DATA_ERROR and codes.NO_DATA_TEXT in e.message.lower():
            return []
        raise VenueError(e.message, code=e.code) from e
