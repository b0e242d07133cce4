"""Synthetic one-minute ASX bars for benchmarks: XASX session minutes only, prices on the tick.

    python bench/synthetic_bars.py --bars 200000 --seed 17 --out /tmp/BHP.csv

The price is a mean-reverting random walk around ``--price`` (BHP-like, 45 AUD) whose volatility
clusters (log-volatility follows an AR(1) process), with a gap at each session's open, so that
SMA crossovers, stops and targets all happen. Bars are stamped with their start minute (UTC) and
lie inside the sessions of exchange_calendars' XASX calendar (10:00-16:00 Sydney, early closes,
holidays skipped). Prices are whole multiples of the ASX price step that applies at them
(``trader_cli.domain.ticks.ASX_PRICE_STEPS``). Same seed, same bars. The file is written in the
``ts,open,high,low,close,volume`` format ``load_bars_csv`` reads; its stem names the symbol.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from trader_cli.domain.ticks import ASX_PRICE_STEPS

CALENDAR = "XASX"
DEFAULT_START = date(2020, 1, 2)
DEFAULT_SEED = 17
DEFAULT_PRICE = 45.0
MINUTE = timedelta(minutes=1)

# prices are carried as whole thousandths of a dollar (the smallest ASX step)
MILLI = 1000
# (lower bound, step), both in thousandths, ascending: the ASX price-step table
_STEPS = tuple((round(lower * MILLI), round(step * MILLI)) for lower, step in ASX_PRICE_STEPS)

# per-minute volatility of a ~1.5% daily move over 360 minutes, its clustering, the pull back
# towards the starting price (half-life ~ three weeks of minutes), the size of an opening gap
SIGMA_MINUTE = 0.015 / math.sqrt(360)
VOL_PERSISTENCE = 0.995
VOL_OF_VOL = 0.08
MEAN_REVERSION = 1e-4
OPEN_GAP_MINUTES = 30


@dataclass(frozen=True, slots=True)
class Bar:
    """One synthetic minute: start time (aware UTC), prices in thousandths, shares traded."""

    ts: datetime
    open: int
    high: int
    low: int
    close: int
    volume: int

    def csv_line(self) -> str:
        """``ts,open,high,low,close,volume`` as ``trader bars --csv`` writes a row."""
        prices = ",".join(price_text(p) for p in (self.open, self.high, self.low, self.close))
        return f"{self.ts.strftime('%Y-%m-%dT%H:%M:%SZ')},{prices},{self.volume}"


def step_at(millis: int) -> int:
    """The ASX price step (in thousandths) at a price of ``millis`` thousandths."""
    step = _STEPS[0][1]
    for lower, row_step in _STEPS:
        if millis >= lower:
            step = row_step
    return step


def on_tick(price: float, direction: str) -> int:
    """``price`` (dollars) on the ASX step grid, in thousandths: ``up``, ``down`` or ``nearest``;
    re-rounded when the result lands in another band (as ``asx_round``)."""
    raw = price * MILLI
    out = _round(raw, step_at(math.floor(raw)), direction)
    if out % step_at(out):
        out = _round(out, step_at(out), direction)
    return max(out, step_at(0))


def _round(raw: float, step: int, direction: str) -> int:
    if direction == "up":
        return math.ceil(raw / step - 1e-9) * step
    if direction == "down":
        return math.floor(raw / step + 1e-9) * step
    return round(raw / step) * step


def price_text(millis: int) -> str:
    """A price in thousandths as text, with two decimals unless the third is needed."""
    whole, frac = divmod(millis, MILLI)
    return f"{whole}.{frac:03d}" if frac % 10 else f"{whole}.{frac // 10:02d}"


def xasx_sessions(start: date, count: int) -> list[tuple[datetime, datetime]]:
    """The first ``count`` XASX sessions (UTC open, close) on or after ``start``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # exchange_calendars trips pandas deprecation warnings
        import exchange_calendars

        # ~252 sessions a year; a margin for holidays, within the calendar's default range
        end = start + timedelta(days=int(count * 1.5) + 30)
        cal = exchange_calendars.get_calendar(CALENDAR, start=start.isoformat(),
                                              end=end.isoformat())
        schedule = cal.schedule
    opens = [ts.to_pydatetime().astimezone(UTC) for ts in schedule["open"][:count]]
    closes = [ts.to_pydatetime().astimezone(UTC) for ts in schedule["close"][:count]]
    if len(opens) < count:
        raise ValueError(f"the {CALENDAR} calendar has only {len(opens)} sessions from {start}")
    return list(zip(opens, closes, strict=True))


def sessions_for(bars: int, start: date = DEFAULT_START) -> list[tuple[datetime, datetime]]:
    """As many XASX sessions from ``start`` as ``bars`` one-minute bars fill."""
    found: list[tuple[datetime, datetime]] = []
    count = max(1, bars // 300 + 2)
    while True:
        found = xasx_sessions(start, count)
        minutes = 0
        for n, (opens, closes) in enumerate(found, start=1):
            minutes += int((closes - opens) / MINUTE)
            if minutes >= bars:
                return found[:n]
        count *= 2


def generate(
    bars: int, seed: int = DEFAULT_SEED, *, start: date = DEFAULT_START,
    price: float = DEFAULT_PRICE,
) -> Iterator[Bar]:
    """``bars`` one-minute bars, one per session minute from ``start`` on (streamed)."""
    rng = random.Random(seed)
    log_anchor = math.log(price)
    log_price = log_anchor
    log_vol = 0.0  # log of the volatility multiplier; its mean is 0
    close = on_tick(price, "nearest")
    made = 0
    for opens, closes in sessions_for(bars, start):
        minute = opens
        first = True
        while minute < closes and made < bars:
            log_vol = VOL_PERSISTENCE * log_vol + VOL_OF_VOL * rng.gauss(0.0, 1.0)
            sigma = SIGMA_MINUTE * math.exp(log_vol)
            if first:  # the overnight news arrives at the open
                log_price += sigma * math.sqrt(OPEN_GAP_MINUTES) * rng.gauss(0.0, 1.0)
            open_ = close if not first else on_tick(math.exp(log_price), "nearest")
            log_price += -MEAN_REVERSION * (log_price - log_anchor) + sigma * rng.gauss(0.0, 1.0)
            close = on_tick(math.exp(log_price), "nearest")
            reach = sigma * math.exp(log_price) * abs(rng.gauss(0.0, 0.5))
            high = max(on_tick(max(open_, close) / MILLI + reach, "up"), open_, close)
            reach = sigma * math.exp(log_price) * abs(rng.gauss(0.0, 0.5))
            low = min(on_tick(min(open_, close) / MILLI - reach, "down"), open_, close)
            volume = int(20_000 * math.exp(0.5 * log_vol + 0.6 * rng.gauss(0.0, 1.0)))
            yield Bar(minute, open_, high, low, close, max(volume, 1))
            made += 1
            minute += MINUTE
            first = False


def write_csv(path: Path, bars: int, seed: int = DEFAULT_SEED, *,
              start: date = DEFAULT_START) -> Path:
    """Write ``bars`` bars to ``path`` and their sessions to ``<path>.sessions.json``; returns
    the sessions file (the backtrader mirror reads the session closes from it)."""
    last: datetime | None = None
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("ts,open,high,low,close,volume\n")
        for bar in generate(bars, seed, start=start):
            out.write(bar.csv_line() + "\n")
            last = bar.ts
    closes = [
        [o.strftime("%Y-%m-%dT%H:%M:%SZ"), c.strftime("%Y-%m-%dT%H:%M:%SZ")]
        for o, c in sessions_for(bars, start)
        if last is None or o <= last
    ]
    sessions = path.with_suffix(".sessions.json")
    sessions.write_text(json.dumps({"calendar": CALENDAR, "sessions": closes}), encoding="utf-8")
    return sessions


def main() -> None:
    """Write a file from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START)
    parser.add_argument("--out", type=Path, default=Path("BHP.csv"))
    args = parser.parse_args()
    write_csv(args.out, args.bars, args.seed, start=args.start)
    print(f"wrote {args.bars} bars to {args.out}")


if __name__ == "__main__":
    main()
