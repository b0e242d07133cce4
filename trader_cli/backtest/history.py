"""The bars a backtest's strategy reads: each symbol's ended bars, and longer timeframes made
from them, kept to a bounded window (a strategy reads the recent past, never the whole file)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from trader_cli.domain.models import Candle
from trader_cli.domain.symbols import Symbol
from trader_cli.domain.ticks import round_to_tick
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import TimeframeError
from trader_cli.sim.engine.catalogue import Instrument as SimInstrument
from trader_cli.sim.engine.market import CsvBar

HISTORY_KEEP = 1024  # ended bars kept per symbol (and per longer timeframe) for the strategy


class History:
    """Per symbol: when its bars came, how long they are, the ended ones as candles."""

    def __init__(self) -> None:
        self._candles: dict[Symbol, list[Candle]] = {}
        self._bar_seconds: dict[Symbol, int] = {}
        self._last_fed: dict[Symbol, datetime] = {}
        self._resampled: dict[tuple[Symbol, int], _Resampled] = {}

    def fed(self, symbol: Symbol, ts: datetime) -> int | None:
        """A bar of ``symbol`` starting at ``ts`` entered the market; returns how long its bars
        are: the shortest gap between them so far (None until its second bar)."""
        last = self._last_fed
        before = last.get(symbol)
        last[symbol] = ts
        if before is None:
            return self._bar_seconds.get(symbol)
        # bars are as long as the shortest gap between them
        gap = int((ts - before).total_seconds())
        seconds = self._bar_seconds.get(symbol)
        if seconds is None or gap < seconds:
            self._bar_seconds[symbol] = seconds = gap
        return seconds

    def has(self, symbol: Symbol) -> bool:
        """Whether any bar of ``symbol`` has entered the market yet."""
        return symbol in self._last_fed

    def complete(self, symbol: Symbol, bar: CsvBar, inst: SimInstrument) -> None:
        """``bar`` has ended: it joins the history (and every longer timeframe asked for)."""
        candles = self._candles.setdefault(symbol, [])
        candle = _candle(bar, inst)
        candles.append(candle)
        if len(candles) > 2 * HISTORY_KEEP:
            del candles[:-HISTORY_KEEP]
        if self._resampled:
            for (sym, _), resampled in self._resampled.items():
                if sym == symbol:
                    resampled.add(candle)

    def candles(
        self, symbol: Symbol, timeframe: Timeframe, limit: int, tz_of: Callable[[Symbol], Any]
    ) -> list[Candle]:
        """The last ``limit`` ended bars of ``symbol`` in ``timeframe``: the file's own, or
        whole multiples of it aggregated as the sim aggregates them (``TimeframeError`` for a
        timeframe that cannot be made from them)."""
        history = self._candles.get(symbol)
        if history is None:
            return []  # no bar has ended yet
        own = self._bar_seconds.get(symbol, timeframe.seconds)
        if timeframe.seconds == own:
            return history[-limit:]
        if timeframe.seconds < own or timeframe.seconds % own:
            raise TimeframeError(
                f"the backtest's {symbol} bars are {own}s long: {timeframe.value} bars "
                "cannot be made from them",
                hint="give bars as short as the strategy's timeframe, or shorter",
            )
        key = (symbol, timeframe.seconds)
        resampled = self._resampled.get(key)
        if resampled is None:
            resampled = self._resampled[key] = _Resampled(timeframe.seconds, tz_of(symbol))
            for candle in history:
                resampled.add(candle)
        return resampled.bars[-limit:]

    def sizes(self) -> list[int]:
        """How many candles each kept series holds (what memory the history takes)."""
        return [len(c) for c in self._candles.values()] + [
            len(r.bars) for r in self._resampled.values()]


def _candle(bar: CsvBar, inst: SimInstrument) -> Candle:
    """A bar as the sim's history serves it: each price on its price band's step (rounded to
    the nearest), whole volume."""
    steps = _STEPS.get(inst.con_id)
    if steps is None or len(steps) >= _STEPS_MAX:
        steps = _STEPS[inst.con_id] = {}
    o = steps.get(bar.open) or _on_step(steps, bar.open, inst)
    h = steps.get(bar.high) or _on_step(steps, bar.high, inst)
    lo = steps.get(bar.low) or _on_step(steps, bar.low, inst)
    c = steps.get(bar.close) or _on_step(steps, bar.close, inst)
    volume = Decimal(repr(bar.volume)) if inst.market == "CRYPTO" else Decimal(int(bar.volume))
    return Candle(bar.ts, o, max(o, h, lo, c), min(o, h, lo, c), c, volume)


# per instrument (con id), the file's price -> that price on the instrument's step: prices repeat
# bar after bar (a few thousand steps cover a year of an ASX stock), and converting them is most
# of a candle's cost; an instrument's map starts again when it reaches _STEPS_MAX
_STEPS: dict[int, dict[float, Decimal]] = {}
_STEPS_MAX = 1 << 16


def _on_step(steps: dict[float, Decimal], price: float, inst: SimInstrument) -> Decimal:
    exact = Decimal(repr(price))
    tick = inst.tick_at(exact)
    found = steps[price] = exact if not exact % tick else round_to_tick(exact, tick)
    return found


class _Resampled:
    """One symbol's bars in a longer timeframe, kept up to date as bars complete: each label is
    the bar's start, aligned to the exchange's local midnight as the sim aligns its bars; the
    last may be in progress, as it is from a live venue."""

    def __init__(self, seconds: int, tz: Any) -> None:
        self.seconds = seconds
        self.tz = tz
        self.bars: list[Candle] = []
        self._day: Any = None
        self._midnight: datetime | None = None

    def add(self, c: Candle) -> None:
        """One more completed bar of the shorter timeframe."""
        local = c.ts.astimezone(self.tz)
        if self._day != local.date() or self._midnight is None:
            self._day = local.date()
            self._midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        offset = int((local - self._midnight).total_seconds()) // self.seconds * self.seconds
        label = (self._midnight + timedelta(seconds=offset)).astimezone(c.ts.tzinfo)
        bars = self.bars
        if bars and bars[-1].ts == label:
            last = bars[-1]
            bars[-1] = Candle(label, last.open, max(last.high, c.high), min(last.low, c.low),
                              c.close, last.volume + c.volume)
        else:
            bars.append(Candle(label, c.open, c.high, c.low, c.close, c.volume))
            if len(bars) > 2 * HISTORY_KEEP:
                del bars[:-HISTORY_KEEP]
