"""The simulator's market model over bars fed one at a time, and the clock a backtest moves.

:class:`StreamMarket` is the sim's :class:`~trader_cli.sim.engine.market.MarketModel` in its
CSV mode (the same quotes, depth and intra-bar price path as ``trader sim-gateway --bars``), but
it holds only a window of recent bars per instrument: a backtest feeds bars as it reads them, so
memory does not grow with the length of the file.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import cast, overload

from trader_cli.sim.engine import hours
from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.engine.market import (
    BOOK_REFRESH_SECONDS,
    DEPTH_LEVELS,
    CsvBar,
    Level,
    MarketModel,
    Quote,
    bar_path,
    bar_span,
)
from trader_cli.sim.engine.world import SimOrder

# bars kept per instrument: the path needs the current bar and its neighbours; the rest is room
# so the window is trimmed (a list copy) only once every KEEP bars
KEEP = 64
FLAT_SECONDS = 120  # a flat leg longer than this is a closed market or missing bars


class StreamMarket(MarketModel):
    """Quotes from the bars fed so far (see the module docstring)."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed, bars={})

    def _make_quote(self, inst: Instrument, when: datetime) -> Quote:
        """:meth:`MarketModel.quote` less the previous session's close (``close``: the window
        of bars no longer holds it, and nothing a backtest reads uses it; it is the last)."""
        eff = self.effective_time(inst, when)
        top = self.touch(inst, eff)
        key = self._wave_constants(inst)[0]  # _name_key(local symbol) ^ seed, made once
        bucket = int(eff.timestamp()) // BOOK_REFRESH_SECONDS
        bids = _Depth(self, inst, key, bucket, top.bid, -top.tick, 10)
        asks = _Depth(self, inst, key, bucket, top.ask, top.tick, 20)
        return Quote(
            bid=top.bid, ask=top.ask, bid_size=bids[0].size, ask_size=asks[0].size,
            last=top.last, last_size=top.last_size,
            volume=self._session_volume(inst, key, eff), close=top.last,
            bids=cast(tuple[Level, ...], bids), asks=cast(tuple[Level, ...], asks),
            open_market=hours.is_open(inst.market, when),
        )

    def feed(self, local_symbol: str, bar: CsvBar) -> None:
        """Add the next bar of ``local_symbol`` (bars of one instrument arrive in time order)."""
        # a window, or a quote, kept before this bar came may now hold it
        self.forget_bars(local_symbol)
        bars = self._bars.get(local_symbol)
        if bars is None:
            self._bars[local_symbol] = [bar]
            self._bar_times[local_symbol] = [bar.ts]
            return
        times = self._bar_times[local_symbol]
        bars.append(bar)
        times.append(bar.ts)
        if len(bars) > 2 * KEEP:
            del bars[:-KEEP]
            del times[:-KEEP]

    def mid(self, inst: Instrument, when: datetime) -> Decimal:
        """The mid of the sim's touch at ``when`` (what its quote's bid and ask give), without
        the depth and volume a quote also makes."""
        last = self._last_quote
        if last is not None and last[0] == inst.con_id and last[1] == when:
            q = last[2]
            return (q.bid + q.ask) / 2
        bid, ask, *_ = self.bid_ask(inst, self.effective_time(inst, when))
        return (bid + ask) / 2

    def reach(self, inst: Instrument, start: datetime, end: datetime) -> tuple[float, float] | None:
        """The lowest and highest price of the path over ``[start, end]`` when it is one bar
        that starts at ``start`` followed by the bar that opens at ``end`` (a step's usual
        interval); None otherwise (then :meth:`path_window` tells)."""
        bars = self._bars.get(inst.local_symbol)
        if bars is None or len(bars) < 2:
            return None
        this, after = bars[-2], bars[-1]
        if this.ts != start or after.ts != end:
            return None
        return min(this.low, after.open), max(this.high, after.open)

    def path_window(
        self, inst: Instrument, start: datetime, end: datetime
    ) -> list[tuple[float, float]]:
        """The price path of ``inst`` over ``[start, end]`` as (seconds after ``start``, raw
        price) vertices in time order (a jump, such as the next bar's open, is two vertices at
        one time): where a working order's price can first be touched."""
        bars = self._bars.get(inst.local_symbol)
        if not bars:
            return []
        times = self._bar_times[inst.local_symbol]
        out = [(0.0, self.raw_price(inst, start))]
        i = max(bisect_right(times, start) - 1, 0)
        while i < len(bars) and bars[i].ts <= end:
            bar = bars[i]
            span = bar_span(bars, i)
            for k in range(4):
                at = bar.ts + timedelta(seconds=span * k / 3)
                if start < at <= end:
                    out.append(((at - start).total_seconds(), bar_path(bar, k / 3)))
            i += 1
        out.append(((end - start).total_seconds(), self.raw_price(inst, end)))
        out.sort(key=lambda v: v[0])
        return out


class _Depth(Sequence[Level]):
    """One side of the sim's book, each level made when it is first read: matching an order
    usually reads one level of the five (the same sizes as the sim's, one at a time)."""

    def __init__(self, market: MarketModel, inst: Instrument, key: int, bucket: int,
                 best: Decimal, step: Decimal, salt: int) -> None:
        self._args = (market, inst, key, bucket, best, step, salt)
        self._levels: list[Level] = []

    def __len__(self) -> int:
        return DEPTH_LEVELS

    @overload
    def __getitem__(self, index: int) -> Level: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Level]: ...

    def __getitem__(self, index: int | slice) -> Level | Sequence[Level]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(DEPTH_LEVELS))]
        if index < 0:
            index += DEPTH_LEVELS
        if not 0 <= index < DEPTH_LEVELS:
            raise IndexError(index)
        market, inst, key, bucket, best, step, salt = self._args
        while len(self._levels) <= index:
            n = len(self._levels)
            self._levels.append(
                Level(best + step * n, market._level_size(inst, key, bucket, salt + n)))
        return self._levels[index]


def seconds_where(
    path: list[tuple[float, float]], below: float | None, above: float | None, limit: float
) -> list[int]:
    """Whole seconds (1 to ``limit``) at which the path is at or below ``below`` or at or above
    ``above`` (either may be None): where an order may elect or fill. The sim matches every
    second; at every other second nothing can happen to the order, so the backtest skips them.
    A long flat leg (no bars: the market closed, or a hole in the data) gives its first and
    last seconds only."""
    out: set[int] = set()
    for (t0, a), (t1, b) in pairwise(path):
        for bound, under in ((below, True), (above, False)):
            if bound is None:
                continue
            ok_a = a <= bound if under else a >= bound
            ok_b = b <= bound if under else b >= bound
            if t1 <= t0:  # a jump: the later price holds from t1 on
                if ok_b:
                    out.add(math.ceil(t1))
                continue
            if ok_a and ok_b:
                first, last = t0, t1
            elif ok_a or ok_b:
                cross = t0 + (t1 - t0) * (bound - a) / (b - a)
                first, last = (t0, cross) if ok_a else (cross, t1)
            else:
                continue
            lo, hi = max(math.ceil(first), 1), min(math.floor(last), int(limit))
            if a == b and hi - lo > FLAT_SECONDS:
                out.update((lo, hi))
            else:
                out.update(range(lo, hi + 1))
    return sorted(s for s in out if 1 <= s <= limit)


def raw_at(path: list[tuple[float, float]], second: float) -> float:
    """The path's price ``second`` seconds in (the later price at a jump)."""
    i = bisect_right(path, (second, math.inf)) - 1
    if i < 0:
        return path[0][1]
    t0, a = path[i]
    if i + 1 >= len(path):
        return a
    t1, b = path[i + 1]
    return a if t1 <= t0 else a + (b - a) * (second - t0) / (t1 - t0)


# Where the book's touch can reach an order. The sim's bid is the price less half a spread of
# one or two ticks, rounded down to the tick, and its ask the bid plus the spread; the last is
# one of them. So a buy limit L can fill (ask <= L) only while the price is below L + tick/2,
# a sell limit (bid >= L) only from L + tick/2 up, a sell stop S elect (bid <= S) only below
# S + 2 ticks, a buy stop (ask >= S) only from S - 1 tick up. A hundredth of a tick of slack
# covers the float the path is computed in.
_SLACK = 0.01


def region(order: SimOrder, inst: Instrument) -> tuple[float | None, float | None]:
    """Where the continuous price must be for ``order`` to elect or fill: (at or below, at or
    above); (None, None) for an order working at the market (any second)."""
    buy = order.action == "BUY"
    if order.is_stop and not order.triggered:
        price = order.aux_price
        assert price is not None
        tick = widest_tick(inst, price)
        if buy:
            return None, float(price) - (1 + _SLACK) * tick
        return float(price) + (2 + _SLACK) * tick, None
    price = order.lmt_price
    if price is None:
        return None, None
    tick = widest_tick(inst, price)
    if buy:
        return float(price) + (0.5 + _SLACK) * tick, None
    return None, float(price) + (0.5 - _SLACK) * tick


def widest_tick(inst: Instrument, price: Decimal) -> float:
    """The larger price step around ``price`` (it changes at the ASX's price bands)."""
    return float(max(inst.tick_at(price), inst.tick_at(price * Decimal("1.01"))))
