"""Market hours for the sim: the ASX calendar (exchange_calendars XASX) and IDEALPRO FX 24/5."""

from __future__ import annotations

import bisect
import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SYDNEY = ZoneInfo("Australia/Sydney")
NEW_YORK = ZoneInfo("America/New_York")
# the closing single price auction runs after the 16:00 close; bars outside RTH include it
ASX_AUCTION_MINUTES = 12
FX_ROLL = time(17, 0)  # IDEALPRO week: Sunday 17:00 to Friday 17:00 New York time

Session = tuple[datetime, datetime]


@functools.cache
def _asx_schedule() -> tuple[list[date], list[datetime], list[datetime]]:
    import warnings

    with warnings.catch_warnings():
        # exchange_calendars trips pandas deprecation warnings that are not ours to fix
        warnings.simplefilter("ignore")
        import exchange_calendars  # heavy: imported on first use only

        cal = exchange_calendars.get_calendar("XASX")
        schedule = cal.schedule
    days = [ts.date() for ts in schedule.index]
    opens = [ts.to_pydatetime().astimezone(UTC) for ts in schedule["open"]]
    closes = [ts.to_pydatetime().astimezone(UTC) for ts in schedule["close"]]
    return days, opens, closes


def asx_sessions(start: datetime, end: datetime, *, use_rth: bool = True) -> list[Session]:
    """ASX sessions (UTC open, close) overlapping ``[start, end)``."""
    days, opens, closes = _asx_schedule()
    extra = timedelta(0) if use_rth else timedelta(minutes=ASX_AUCTION_MINUTES)
    first = max(bisect.bisect_left(closes, start - extra) - 1, 0)
    out: list[Session] = []
    for i in range(first, len(days)):
        if opens[i] >= end:
            break
        close = closes[i] + extra
        if close > start:
            out.append((opens[i], close))
    return out


def fx_sessions(start: datetime, end: datetime) -> list[Session]:
    """IDEALPRO weekly sessions (UTC) overlapping ``[start, end)``: Sun 17:00 - Fri 17:00 NY."""
    local = start.astimezone(NEW_YORK)
    sunday = local.date() - timedelta(days=(local.weekday() + 1) % 7)
    out: list[Session] = []
    day = sunday - timedelta(days=7)
    while True:
        opens = datetime.combine(day, FX_ROLL, NEW_YORK).astimezone(UTC)
        closes = datetime.combine(day + timedelta(days=5), FX_ROLL, NEW_YORK).astimezone(UTC)
        if opens >= end:
            return out
        if closes > start:
            out.append((opens, closes))
        day += timedelta(days=7)


def sessions(kind: str, start: datetime, end: datetime, *, use_rth: bool = True) -> list[Session]:
    """Sessions for a market ``kind`` ('ASX' or 'FX') overlapping ``[start, end)``."""
    if kind == "FX":
        return fx_sessions(start, end)
    return asx_sessions(start, end, use_rth=use_rth)


def is_open(kind: str, when: datetime, *, use_rth: bool = True) -> bool:
    """True when the market ``kind`` is open (continuous trading) at ``when``."""
    return any(
        o <= when < c for o, c in sessions(kind, when, when + timedelta(seconds=1), use_rth=use_rth)
    )


def last_close(kind: str, when: datetime) -> datetime:
    """The most recent session close at or before ``when`` (or ``when`` if the market is open)."""
    found = sessions(kind, when - timedelta(days=14), when + timedelta(seconds=1))
    for o, c in reversed(found):
        if o <= when < c:
            return when
        if c <= when:
            return c
    return when


def most_recent_session_instant(now: datetime) -> datetime:
    """``now`` if the ASX is open, else two hours into the most recent ASX session."""
    found = asx_sessions(now - timedelta(days=14), now + timedelta(seconds=1))
    for o, c in reversed(found):
        if o <= now < c:
            return now
        if c <= now:
            return o + timedelta(hours=2)
    return now


def trading_hours_string(kind: str, now: datetime, tz: ZoneInfo, *, use_rth: bool) -> str:
    """IB's ``tradingHours``/``liquidHours`` text for the week from ``now``'s date.

    Format (TWS 970+): ``20240102:1000-20240102:1612;20240106:CLOSED;...`` in the contract's zone.
    """
    start_day = now.astimezone(tz).date()
    start = datetime.combine(start_day, time(0), tz).astimezone(UTC)
    end = start + timedelta(days=7)
    found = sessions(kind, start - timedelta(days=7), end, use_rth=use_rth)
    parts: list[str] = []
    covered: set[date] = set()
    for o, c in found:
        lo, lc = o.astimezone(tz), c.astimezone(tz)
        if lc.date() < start_day:
            continue
        parts.append(f"{lo:%Y%m%d:%H%M}-{lc:%Y%m%d:%H%M}")
        day = lo.date()
        while day <= lc.date():
            covered.add(day)
            day += timedelta(days=1)
    for offset in range(7):
        day = start_day + timedelta(days=offset)
        if day not in covered:
            parts.append(f"{day:%Y%m%d}:CLOSED")
    parts.sort()
    return ";".join(parts)
