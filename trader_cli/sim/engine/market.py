"""Deterministic SIMULATED prices: a seeded model or bars replayed from CSV; quotes and depth."""

from __future__ import annotations

import csv
import math
import re
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from trader_cli.domain.ticks import Direction, round_to_tick
from trader_cli.sim.engine import hours
from trader_cli.sim.engine.catalogue import Instrument

DEPTH_LEVELS = 5
BOOK_REFRESH_SECONDS = 1  # depth is replenished every sim second
_MASK = (1 << 64) - 1
# (amplitude as a fraction of the base price, period in seconds): a few slow swings plus noise
_WAVES = ((0.04, 29 * 86400.0), (0.015, 3.3 * 86400.0), (0.004, 4.1 * 3600.0), (0.001, 1100.0))
_NOISE = 0.0006  # the span of raw_price's 10-second noise, as a fraction of the base price
# how fast raw_price can move: its waves' steepest slope (a fraction of the base price a second)
_WAVE_SLOPE = sum(2 * math.pi * amplitude / period for amplitude, period in _WAVES)
# finished bars kept per instrument, at least: past bars never change, and a runner asks for
# the same history windows every cycle. Each history request makes room for its own windows
# (``make_room``: a 4-day request of 5-minute FX bars is 1,152), so what a client asks for every
# cycle is kept whole - scanned through a smaller LRU cache each bar would be evicted before its
# reuse - and the cache stays the size of what is asked, never more.
BAR_CACHE_PER_INSTRUMENT = 64
BAR_ROOM_SLACK = 8  # bars kept beyond what the requests asked (the next ones as time moves)
BAR_SHAPES_KEPT = 8  # request shapes remembered per instrument (the most recent)
TOUCHES_KEPT = 512  # bid/ask pairs kept by raw price (see MarketModel.bid_ask)


def _mix(value: int) -> int:
    """splitmix64 finaliser: a fast, well-spread integer hash."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


_SCALE = float(1 << 64)
# (first part, second part) -> the hash of the two: the parts of a book are (an instrument's key,
# which level or print) and then the time bucket, so the first two repeat at every quote
_PREFIXES: dict[tuple[int, int], int] = {}


def _unit(*parts: int) -> float:
    """A deterministic number in [0, 1) from integer parts."""
    if len(parts) == 3:
        first, second, third = parts
        pre = _PREFIXES.get((first, second))
        if pre is None:
            if len(_PREFIXES) > 65536:
                _PREFIXES.clear()
            pre = _PREFIXES[(first, second)] = _mix(_mix(first & _MASK) ^ (second & _MASK))
        return _mix(pre ^ (third & _MASK)) / _SCALE
    acc = 0
    for part in parts:
        acc = _mix(acc ^ (part & _MASK))
    return acc / _SCALE


def _name_key(text: str) -> int:
    acc = 1469598103934665603
    for byte in text.encode():
        acc = ((acc ^ byte) * 1099511628211) & _MASK
    return acc


@dataclass(frozen=True, slots=True)
class Level:
    """One price level of the simulated book."""

    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book, last trade and session volume at one instant."""

    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal
    last: Decimal
    last_size: Decimal
    volume: Decimal
    close: Decimal
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    open_market: bool


@dataclass(frozen=True, slots=True)
class Touch:
    """The best bid and ask with their sizes, and the last print (its size and aggressor)."""

    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal
    last: Decimal
    last_size: Decimal
    buyer_initiated: bool
    tick: Decimal


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar."""

    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    wap: Decimal
    count: int


class CsvBar(NamedTuple):
    """One bar read from a CSV file (a named tuple: a file's bars are many, made at C speed)."""

    ts: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float


class BarsCsvError(ValueError):
    """A bars CSV that cannot drive the sim; names the file, the line and what is wrong."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}, line {line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


BARS_CSV_COLUMNS = ("ts", "open", "high", "low", "close", "volume")
_OPTIONAL_COLUMNS = frozenset({"volume", "symbol"})
# what other writers call the time column (``trader bars --csv`` writes ``timestamp``)
_HEADER_ALIASES = {"timestamp": "ts", "time": "ts", "date": "ts"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_EPOCH = re.compile(r"\d{1,12}", re.ASCII)


def _csv_number(path: Path, line: int, column: str, text: str) -> float:
    try:  # float() takes what _NUMBER takes, and more: the more is refused below
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not text.isascii() or "_" in text:
        raw = text.strip()
        if not _NUMBER.fullmatch(raw):
            raise BarsCsvError(path, line, f"{column} {text!r} is not a number")
        raise BarsCsvError(path, line, f"{column} {text!r} is not a finite number")
    return value


def _csv_time(path: Path, line: int, text: str) -> datetime:
    raw = text.strip()
    if raw.isdigit() and _EPOCH.fullmatch(raw):
        return datetime.fromtimestamp(int(raw), UTC)
    try:
        ts = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BarsCsvError(
            path, line, f"ts {text!r} is not an ISO-8601 time or epoch seconds"
        ) from None
    if ts.tzinfo is None:
        raise BarsCsvError(path, line, f"ts {text!r} has no time zone (add Z or an offset)")
    try:
        return ts.astimezone(UTC)
    except OverflowError:
        raise BarsCsvError(path, line, f"ts {text!r} is out of range") from None


def load_bars_csv(path: Path) -> dict[str, list[CsvBar]]:
    """Read and check ``ts,open,high,low,close[,volume][,symbol]`` bars.

    ``ts`` is ISO-8601 with a zone, or epoch seconds. Without a ``symbol`` column the file's stem
    names the instrument (``BHP.csv`` or ``AUD.USD.csv``). Every line is checked: the header,
    numbers (finite, prices above zero, volume not negative), ``low <= open, close <= high``, and
    timestamps strictly increasing per symbol. Raises :class:`BarsCsvError` naming the first bad
    line. Returns bars per symbol, in time order.
    """
    out: dict[str, list[CsvBar]] = {}
    for symbol, bar in iter_bars_csv(path):
        out.setdefault(symbol, []).append(bar)
    return out


def iter_bars_csv(path: Path) -> Iterator[tuple[str, CsvBar]]:
    """The bars of ``path`` one line at a time, checked as :func:`load_bars_csv` checks them
    (the first bad line raises :class:`BarsCsvError`): (symbol, bar) in file order, never the
    whole file in memory."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as e:
        raise BarsCsvError(path, 0, f"cannot read the file: {e.strerror or e}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            first = next(reader, None)
        except UnicodeDecodeError:
            raise BarsCsvError(path, 1, "not UTF-8 text: is this a bars CSV?") from None
        except csv.Error as e:
            raise BarsCsvError(path, 1, f"not a CSV file: {e}") from None
        if first is None:
            expected = ",".join(BARS_CSV_COLUMNS)
            raise BarsCsvError(path, 1, f"the file is empty; expected the header {expected}")
        col = _bars_header(path, first)
        stem = path.stem
        symbol_at = col.get("symbol", -1)
        stem_symbol = stem.strip().upper() if symbol_at < 0 else ""
        last: dict[str, datetime] = {}
        line = 1
        while True:
            try:
                row = next(reader, None)
            except UnicodeDecodeError:
                raise BarsCsvError(path, line + 1, "not UTF-8 text: is this a bars CSV?") from None
            except csv.Error as e:
                raise BarsCsvError(path, line + 1, f"not a CSV file: {e}") from None
            if row is None:
                break
            line = reader.line_num
            joined = "".join(row)
            if not joined.strip():
                continue  # a blank line
            bar = _plain_row(row, col, joined)
            if bar is not None:
                symbol = stem_symbol if symbol_at < 0 else row[symbol_at].strip().upper()
                if not symbol:
                    raise BarsCsvError(path, line, "symbol is empty")
            else:  # not the usual form: each field checked and, if bad, named
                symbol, bar = _bars_row(path, line, row, col, stem)
            before = last.get(symbol)
            if before is not None and bar.ts <= before:
                raise BarsCsvError(
                    path,
                    line,
                    f"ts {row[col['ts']].strip()} is not after the previous {symbol} bar "
                    f"({before.isoformat()}): bars must be in time order, one per time",
                )
            last[symbol] = bar.ts
            yield symbol, bar
        if not last:
            raise BarsCsvError(path, 2, "no bars: the file has a header but no rows")


def _bars_header(path: Path, first: list[str]) -> dict[str, int]:
    header = [h.strip().lower().lstrip("\ufeff") for h in first]
    header = [_HEADER_ALIASES.get(h, h) for h in header]
    missing = [c for c in BARS_CSV_COLUMNS if c not in header and c not in _OPTIONAL_COLUMNS]
    unknown = [h for h in header if h not in BARS_CSV_COLUMNS and h not in _OPTIONAL_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        found = ",".join(first)[:80]
        raise BarsCsvError(
            path,
            1,
            f"header {found!r} is not a bars header: expected "
            f"{','.join(BARS_CSV_COLUMNS)}[,symbol]",
        )
    return {name: i for i, name in enumerate(header)}


def _bars_row(
    path: Path, line: int, row: list[str], col: dict[str, int], stem: str
) -> tuple[str, CsvBar]:
    if len(row) != len(col):
        raise BarsCsvError(path, line, f"{len(row)} fields where the header has {len(col)}")
    ts = _csv_time(path, line, row[col["ts"]])
    o = _csv_number(path, line, "open", row[col["open"]])
    h = _csv_number(path, line, "high", row[col["high"]])
    lo = _csv_number(path, line, "low", row[col["low"]])
    c = _csv_number(path, line, "close", row[col["close"]])
    v = col.get("volume")
    volume = _csv_number(path, line, "volume", row[v]) if v is not None and row[v].strip() else 0.0
    if not (o > 0 and h > 0 and lo > 0 and c > 0 and volume >= 0 and lo <= o <= h
            and lo <= c <= h):
        _bad_prices(path, line, o, h, lo, c, volume)
    s = col.get("symbol")
    symbol = (row[s] if s is not None else stem).strip().upper()
    if not symbol:
        raise BarsCsvError(path, line, "symbol is empty")
    return symbol, CsvBar(ts, o, h, lo, c, volume)


def _plain_row(row: list[str], col: dict[str, int], joined: str) -> CsvBar | None:
    """The bar of a row in the usual form (as many fields as the header, ASCII, a UTC time
    ending ``Z`` or ``+00:00``, finite prices with ``0 < low <= open, close <= high``, a volume
    not negative), read in one go; None for anything else, which the careful path reads (and
    refuses, naming the field). ``joined``: the row's fields joined."""
    if len(row) != len(col) or not joined.isascii() or "_" in joined:
        return None
    try:
        ts = datetime.fromisoformat(row[col["ts"]])
        o, h = float(row[col["open"]]), float(row[col["high"]])
        lo, c = float(row[col["low"]]), float(row[col["close"]])
        v = col.get("volume")
        volume = float(row[v]) if v is not None and row[v].strip() else 0.0
    except ValueError:
        return None
    if (ts.tzinfo is UTC and 0 < lo <= o <= h < math.inf and lo <= c <= h
            and 0 <= volume < math.inf):
        return CsvBar(ts, o, h, lo, c, volume)
    return None


def _bad_prices(
    path: Path, line: int, o: float, h: float, lo: float, c: float, volume: float
) -> None:
    for name, value in (("open", o), ("high", h), ("low", lo), ("close", c)):
        if value <= 0:
            raise BarsCsvError(path, line, f"{name} {value:g} is not above zero")
    if volume < 0:
        raise BarsCsvError(path, line, f"volume {volume:g} is negative")
    raise BarsCsvError(
        path,
        line,
        f"prices are inconsistent: need low <= open, close <= high, got "
        f"open {o:g} high {h:g} low {lo:g} close {c:g}",
    )


def bar_names(inst: Instrument) -> tuple[str, ...]:
    """The names a bars file may give ``inst`` (in its ``symbol`` column or its file name)."""
    return (inst.local_symbol, inst.symbol, f"{inst.symbol}_{inst.currency}",
            f"{inst.symbol}/{inst.currency}")


def bar_span(bars: list[CsvBar], i: int) -> float:
    """Seconds bar ``i`` of ``bars`` lasts: the gap to its neighbours (the shorter, so the last
    bar of a session is not stretched over the night); 60 for a lone bar."""
    ts = bars[i].ts
    if i + 1 < len(bars):
        gap = (bars[i + 1].ts - ts).total_seconds()
        if i > 0:
            gap = min(gap, (ts - bars[i - 1].ts).total_seconds())
        return max(gap, 1.0)
    if i > 0:
        return max((ts - bars[i - 1].ts).total_seconds(), 1.0)
    return 60.0


def bar_path(bar: CsvBar, frac: float) -> float:
    """The price ``frac`` (0 to 1) of the way through ``bar``: open, then the extreme nearer
    the open's side first (the low for a bar that closes up, the high for one that closes
    down), then the other extreme, then the close, each leg a third of the bar. A stop or a
    limit the bar's range reaches is reached inside the bar, as it would be in the market."""
    if bar.close >= bar.open:
        points = (bar.open, bar.low, bar.high, bar.close)
    else:
        points = (bar.open, bar.high, bar.low, bar.close)
    x = min(max(frac, 0.0), 1.0) * 3
    leg = min(int(x), 2)
    a, b = points[leg], points[leg + 1]
    return a + (b - a) * (x - leg)


class MarketModel:
    """Prices for every instrument as a pure function of (seed, instrument, time)."""

    def __init__(self, seed: int = 0, bars: dict[str, list[CsvBar]] | None = None) -> None:
        self.seed = seed
        self._bars = bars or {}
        self._bar_times = {k: [b.ts for b in v] for k, v in self._bars.items()}
        # local symbol -> (from when, price): prices a test has put in place of the model's
        self._moves: dict[str, tuple[datetime, Decimal]] = {}
        # (local symbol, seed) -> (key, wave phases): what raw_price derives from a name
        self._waves: dict[tuple[str, int], tuple[int, tuple[float, ...]]] = {}
        # local symbol -> {(start, end): bar}, least recently used first (see bar())
        self._bar_cache: dict[str, OrderedDict[tuple[datetime, datetime], Bar]] = {}
        # local symbol -> {request shape: its number of windows} (see make_room())
        self._bar_room: dict[str, OrderedDict[Hashable, int]] = {}
        # con id -> (time, quote): the last quote made of each instrument; a tick asks for it
        # once per subscriber and per working order, all at one instant
        self._quotes: dict[int, tuple[datetime, Quote]] = {}
        # the last quote made of any instrument (con id, time, quote)
        self._last_quote: tuple[int, datetime, Quote] | None = None
        # local symbol -> the name its bars go by (once found, bars under it stay)
        self._csv_keys: dict[str, str] = {}
        # (con id, raw price, spread in ticks) -> (bid, ask, tick): a pure function of the
        # three, and a price on the tick (a bar's open, a moved price) comes again and again
        self._touches: dict[tuple[int, float, int], tuple[Decimal, Decimal, Decimal]] = {}
        # (con id, close) -> the reference price at that close: a quote's close price
        self._closes: dict[tuple[int, datetime], Decimal] = {}

    def move(self, inst: Instrument, price: Decimal | None, since: datetime) -> None:
        """Make ``inst`` trade at ``price`` from ``since`` on (a test hook; None undoes it).

        The reference price becomes ``price`` (which must be on the tick): the last print is
        ``price``, the bid is one tick below it and the ask at it or one tick above, with the
        usual depth behind them. Like every price, it holds while the market is open; a closed
        market keeps showing its last price until it reopens.
        """
        if price is None:
            self._moves.pop(inst.local_symbol, None)
        else:
            self._moves[inst.local_symbol] = (since, price)
        self.forget_bars(inst.local_symbol)

    def forget_bars(self, local_symbol: str | None = None) -> None:
        """Drop the bars and quote kept for ``local_symbol`` (every instrument when None):
        for whoever changes what the model answers (a moved price, bars fed later)."""
        if local_symbol is None:
            self._bar_cache.clear()
        else:
            self._bar_cache.pop(local_symbol, None)
        self._quotes.clear()
        self._closes.clear()
        self._last_quote = None

    def _moved(self, inst: Instrument, when: datetime) -> Decimal | None:
        move = self._moves.get(inst.local_symbol)
        return move[1] if move is not None and when >= move[0] else None

    def _csv_key(self, inst: Instrument) -> str | None:
        """The name ``inst``'s bars go by: its local symbol (``BHP``, ``AUD.USD``), its symbol,
        or ours (``BHP_AUD``, ``BHP/AUD``); None when none of its names has bars."""
        found = self._csv_keys.get(inst.local_symbol)
        if found is not None:
            return found
        for key in bar_names(inst):
            if key in self._bars:
                self._csv_keys[inst.local_symbol] = key
                return key
        return None

    def _csv_for(self, inst: Instrument) -> list[CsvBar] | None:
        if not self._bars:
            return None
        key = self._csv_key(inst)
        return None if key is None else self._bars[key]

    def _wave_constants(self, inst: Instrument) -> tuple[int, tuple[float, ...]]:
        """The instrument's hash key and the phases of its waves (computed once per name)."""
        found = self._waves.get((inst.local_symbol, self.seed))
        if found is None:
            key = _name_key(inst.local_symbol) ^ self.seed
            phases = tuple(2 * math.pi * _unit(key, n) for n in range(len(_WAVES)))
            found = self._waves[(inst.local_symbol, self.seed)] = (key, phases)
        return found

    def raw_price(self, inst: Instrument, when: datetime) -> float:
        """Continuous (unrounded) price of ``inst`` at ``when``."""
        moved = self._moved(inst, when)
        if moved is not None:
            return float(moved)
        csv_bars = self._csv_for(inst)
        if csv_bars:
            return self._csv_price(inst, csv_bars, when)
        key, phases = self._wave_constants(inst)
        t = when.timestamp()
        level = 1.0
        for (amplitude, period), phase in zip(_WAVES, phases, strict=True):
            level += amplitude * math.sin(2 * math.pi * t / period + phase)
        # per-10-second noise, small enough to stay near the swings
        level += _NOISE * (_unit(key, 99, int(t // 10)) - 0.5)
        return float(inst.base_price) * level

    def raw_reach(
        self, inst: Instrument, start: datetime, seconds: float
    ) -> tuple[float, float] | None:
        """Bounds of :meth:`raw_price` over ``[start, start + seconds]`` (trading time): the
        seeded price moves no faster than its waves' steepest slope, plus its noise's span.
        None where prices come from bars or a moved price (no bound is known)."""
        if inst.local_symbol in self._moves or self._csv_for(inst):
            return None
        here = self.raw_price(inst, start)
        span = float(inst.base_price) * (_WAVE_SLOPE * seconds + _NOISE) * (1 + 1e-6)
        return here - span, here + span

    def _csv_price(self, inst: Instrument, bars: list[CsvBar], when: datetime) -> float:
        key = self._csv_key(inst)
        assert key is not None
        times = self._bar_times[key]
        i = bisect_right(times, when) - 1
        if i < 0:
            return bars[0].open
        bar = bars[i]
        if when == bar.ts:  # the bar's first second: its open (what bar_path gives at 0)
            return bar.open
        return bar_path(bar, (when - bar.ts).total_seconds() / bar_span(bars, i))

    def effective_time(self, inst: Instrument, when: datetime) -> datetime:
        """``when`` while the market is open; otherwise the last close (prices freeze)."""
        close = hours.last_close(inst.market, when)
        return close - timedelta(seconds=1) if close < when else when

    def price(self, inst: Instrument, when: datetime) -> Decimal:
        """Tick-rounded reference (mid) price, frozen while the market is closed."""
        raw = Decimal(repr(self.raw_price(inst, self.effective_time(inst, when))))
        return round_to_tick(raw, inst.tick_at(raw))

    def bid_ask(
        self, inst: Instrument, when: datetime
    ) -> tuple[Decimal, Decimal, Decimal, int, int]:
        """The best bid and ask at ``when`` (trading time, as :meth:`touch`), with the tick, the
        instrument's key and the book's bucket they were made with: the touch without its sizes
        and last print. A spread of one or two ticks around the price, the bid on the tick below."""
        price = self.raw_price(inst, when)
        key = self._wave_constants(inst)[0]  # _name_key(local symbol) ^ seed, made once
        bucket = int(when.timestamp()) // BOOK_REFRESH_SECONDS
        spread_ticks = 1 + int(_unit(key, 7, bucket) < 0.35)
        made = self._touches.get((inst.con_id, price, spread_ticks))
        if made is None:
            raw = Decimal(repr(price))
            tick = inst.tick_at(raw)
            bid = round_to_tick(raw - tick * spread_ticks / 2, tick, Direction.DOWN)
            made = (bid, bid + tick * spread_ticks, tick)
            if len(self._touches) >= TOUCHES_KEPT:
                self._touches.clear()
            self._touches[(inst.con_id, price, spread_ticks)] = made
        return made[0], made[1], made[2], key, bucket

    def prices_at(self, inst: Instrument, when: datetime) -> tuple[Decimal, Decimal, Decimal]:
        """The best bid, the best ask and the last print of :meth:`touch` at ``when``, without
        the sizes (what decides whether an order can fill or a stop is elected)."""
        bid, ask, _tick, key, bucket = self.bid_ask(inst, when)
        moved = self._moved(inst, when)
        if moved is not None:
            return bid, ask, moved
        return bid, ask, ask if _unit(key, 8, bucket) >= 0.5 else bid

    def quote_prices(self, inst: Instrument, when: datetime) -> tuple[Decimal, Decimal, Decimal]:
        """The bid, ask and last that :meth:`quote` shows at ``when``, without making the quote
        (frozen while the market is closed, as the quote is)."""
        return self.prices_at(inst, self.effective_time(inst, when))

    def touch(self, inst: Instrument, when: datetime) -> Touch:
        """Best bid and ask with sizes, and the last print, at ``when`` (taken as trading time:
        callers freeze it with :meth:`effective_time` when the market may be closed)."""
        bid, ask, tick, key, bucket = self.bid_ask(inst, when)
        buyer = _unit(key, 8, bucket) >= 0.5  # the print lifted the offer
        last_size = self._level_size(inst, key, bucket, 30) / 4
        step = inst.amount_increment or Decimal(1)
        moved = self._moved(inst, when)
        return Touch(
            bid=bid,
            ask=ask,
            bid_size=self._level_size(inst, key, bucket, 10),
            ask_size=self._level_size(inst, key, bucket, 20),
            last=moved if moved is not None else ask if buyer else bid,
            last_size=last_size.quantize(step) or step,
            buyer_initiated=buyer,
            tick=tick,
        )

    def quote(self, inst: Instrument, when: datetime) -> Quote:
        """Top of book plus ``DEPTH_LEVELS`` levels each side at ``when``."""
        last = self._quotes.get(inst.con_id)
        if last is not None and last[0] == when:
            return last[1]
        q = self._make_quote(inst, when)
        self._quotes[inst.con_id] = (when, q)
        self._last_quote = (inst.con_id, when, q)
        return q

    def _make_quote(self, inst: Instrument, when: datetime) -> Quote:
        open_market = hours.is_open(inst.market, when)
        eff = self.effective_time(inst, when)
        top = self.touch(inst, eff)
        key = self._wave_constants(inst)[0]
        bucket = int(eff.timestamp()) // BOOK_REFRESH_SECONDS
        tick = top.tick
        bids = tuple(
            Level(top.bid - tick * n, self._level_size(inst, key, bucket, 10 + n))
            for n in range(DEPTH_LEVELS)
        )
        asks = tuple(
            Level(top.ask + tick * n, self._level_size(inst, key, bucket, 20 + n))
            for n in range(DEPTH_LEVELS)
        )
        close = self._close_price(inst, hours.last_close(inst.market, when - timedelta(hours=20)))
        return Quote(
            bid=top.bid,
            ask=top.ask,
            bid_size=bids[0].size,
            ask_size=asks[0].size,
            last=top.last,
            last_size=top.last_size,
            volume=self._session_volume(inst, key, eff),
            close=close,
            bids=bids,
            asks=asks,
            open_market=open_market,
        )

    def _close_price(self, inst: Instrument, close: datetime) -> Decimal:
        """:meth:`price` at a session's ``close`` (kept: every quote of a day shows it)."""
        found = self._closes.get((inst.con_id, close))
        if found is None:
            if len(self._closes) > 64:  # a long run passes many closes: keep the recent ones
                self._closes.clear()
            found = self._closes[(inst.con_id, close)] = self.price(inst, close)
        return found

    def _level_size(self, inst: Instrument, key: int, bucket: int, n: int) -> Decimal:
        u = _unit(key, n, bucket)
        if inst.is_crypto:
            # daily_volume is in base units; a level holds about a thousandth of a day
            size = Decimal(repr(inst.daily_volume / 1000 * (0.5 + u)))
            return size.quantize(inst.amount_increment or Decimal("0.00000001"))
        if inst.is_fx:
            return Decimal(int(1 + u * 5)) * 1_000_000
        per_level = max(inst.daily_volume // 6000, 100)
        return Decimal(int(per_level * (0.5 + u)))

    def _session_volume(self, inst: Instrument, key: int, when: datetime) -> Decimal:
        if inst.is_crypto:  # a rolling 24 hours
            day = int(when.timestamp()) // 3600
            return Decimal(int(inst.daily_volume * (0.9 + 0.2 * _unit(key, 40, day))))
        if inst.is_fx:
            return Decimal(0)
        found = hours.last_session("ASX", when)
        if found is None or found[1] <= when - timedelta(hours=20):
            return Decimal(0)
        start, end = found
        frac = min(max((when - start).total_seconds() / (end - start).total_seconds(), 0.0), 1.0)
        return Decimal(
            int(inst.daily_volume * frac * (0.9 + 0.2 * _unit(key, 40, start.toordinal())))
        )

    def make_room(self, inst: Instrument, shape: Hashable, windows: int) -> None:
        """Keep at least ``windows`` bars of ``inst`` for the history requests of ``shape``
        (bar size, duration, hours): asked again as time moves, only the new bars are made."""
        shapes = self._bar_room.setdefault(inst.local_symbol, OrderedDict())
        shapes[shape] = windows
        shapes.move_to_end(shape)
        while len(shapes) > BAR_SHAPES_KEPT:
            shapes.popitem(last=False)

    def _bar_capacity(self, local_symbol: str) -> int:
        room = self._bar_room.get(local_symbol)
        asked = sum(room.values()) + BAR_ROOM_SLACK if room else 0
        return max(BAR_CACHE_PER_INSTRUMENT, asked)

    def bar(self, inst: Instrument, start: datetime, end: datetime, *, keep: bool = True) -> Bar:
        """OHLCV over ``[start, end)`` (from CSV bars when loaded, else sampled from the model).

        A bar is a pure function of its window, so it is kept (the most recently used, as many
        per instrument as its history requests make room for: :meth:`make_room`) and a window
        asked again is not sampled again; ``keep=False`` for a window that will not be asked
        again (one ending now).
        """
        cache = self._bar_cache.get(inst.local_symbol)
        if cache is not None:
            found = cache.get((start, end))
            if found is not None:
                cache.move_to_end((start, end))
                return found
        made = self._make_bar_for(inst, start, end)
        if keep:
            if cache is None:
                cache = self._bar_cache[inst.local_symbol] = OrderedDict()
            cache[(start, end)] = made
            capacity = self._bar_capacity(inst.local_symbol)
            while len(cache) > capacity:
                cache.popitem(last=False)
        return made

    def _make_bar_for(self, inst: Instrument, start: datetime, end: datetime) -> Bar:
        csv_bars = self._csv_for(inst)
        if csv_bars:
            name = self._csv_key(inst)
            assert name is not None
            times = self._bar_times[name]
            inside = csv_bars[bisect_left(times, start) : bisect_left(times, end)]
            if inside:
                return self._aggregate(inst, start, inside)
        seconds = max((end - start).total_seconds(), 1.0)
        samples = max(2, min(12, int(seconds // 5) + 2))
        points = [
            self.raw_price(inst, start + timedelta(seconds=seconds * k / (samples - 1) * 0.999))
            for k in range(samples)
        ]
        key = self._wave_constants(inst)[0]
        if inst.is_fx:
            volume = Decimal(0)
            count = 0
        elif inst.is_crypto:
            per_second = inst.daily_volume / 86400
            raw = per_second * seconds * (0.5 + _unit(key, 50, int(start.timestamp())))
            volume = Decimal(repr(raw)).quantize(inst.amount_increment or Decimal("0.00000001"))
            count = max(1, int(raw * 4))
        else:
            per_second = inst.daily_volume / (6 * 3600)
            volume = Decimal(
                int(per_second * seconds * (0.5 + _unit(key, 50, int(start.timestamp()))))
            )
            count = max(1, int(volume) // 250)
        return self._make_bar(
            inst, start, points[0], max(points), min(points), points[-1], volume, count
        )

    def _aggregate(self, inst: Instrument, start: datetime, inside: list[CsvBar]) -> Bar:
        volume = Decimal(repr(sum(b.volume for b in inside)))
        return self._make_bar(
            inst,
            start,
            inside[0].open,
            max(b.high for b in inside),
            min(b.low for b in inside),
            inside[-1].close,
            volume,
            len(inside),
        )

    def _make_bar(
        self,
        inst: Instrument,
        start: datetime,
        o: float,
        h: float,
        lo: float,
        c: float,
        volume: Decimal,
        count: int,
    ) -> Bar:
        def rounded(value: float) -> Decimal:
            d = Decimal(repr(value))
            return round_to_tick(d, inst.tick_at(d))

        ro, rh, rl, rc = rounded(o), rounded(h), rounded(lo), rounded(c)
        wap = ((ro + rh + rl + rc) / 4).quantize(Decimal("0.00001"))
        return Bar(start, ro, max(ro, rh, rl, rc), min(ro, rh, rl, rc), rc, volume, wap, count)
