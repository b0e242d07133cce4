"""Market hours for the sim: a thin adapter over :mod:`trader_cli.hours`, the product's own.

The sim names markets by kind ('ASX' or 'FX'); the sessions themselves (the XASX calendar with
its holidays and early closes, IDEALPRO's Sunday-Friday week with its daily 17:00-17:15 New York
break) come from :func:`trader_cli.hours.sessions`, so the sim fills exactly when ``trader
hours`` says the market is open. What is the sim's own: the closing auction it adds to ASX
sessions outside regular trading hours, and IB's ``tradingHours`` text.
"""

from __future__ import annotations

import bisect
import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from trader_cli import hours as market_hours
from trader_cli.hours import NEW_YORK, Market

__all__ = [
    "ASX_AUCTION_MINUTES",
    "NEW_YORK",
    "SYDNEY",
    "asx_sessions",
    "fx_sessions",
    "is_open",
    "last_close",
    "last_session",
    "most_recent_session_instant",
    "next_close",
    "open_between",
    "open_throughout",
    "sessions",
    "trading_hours_string",
]

SYDNEY = ZoneInfo("Australia/Sydney")
# the closing single price auction runs after the 16:00 close; bars outside RTH include it
ASX_AUCTION_MINUTES = 12

Session = tuple[datetime, datetime]


def asx_sessions(start: datetime, end: datetime, *, use_rth: bool = True) -> list[Session]:
    """ASX sessions (UTC open, close) overlapping ``[start, end)``; closes include the closing
    auction when ``use_rth`` is False."""
    if use_rth:
        return market_hours.sessions(Market.ASX, start, end)
    extra = timedelta(minutes=ASX_AUCTION_MINUTES)
    found = market_hours.sessions(Market.ASX, start - extra, end)
    return [(o, c + extra) for o, c in found if c + extra > start]


def fx_sessions(start: datetime, end: datetime) -> list[Session]:
    """IDEALPRO daily sessions (UTC) overlapping ``[start, end)``: 17:15 to 17:00 New York."""
    return market_hours.sessions(Market.IDEALPRO, start, end)


def sessions(kind: str, start: datetime, end: datetime, *, use_rth: bool = True) -> list[Session]:
    """Sessions for a market ``kind`` ('ASX', 'FX' or 'CRYPTO') overlapping ``[start, end)``.

    Crypto never closes: its one "session" is the whole window.
    """
    if kind == "CRYPTO":
        return [(start, end)] if start < end else []
    if kind == "FX":
        return fx_sessions(start, end)
    return asx_sessions(start, end, use_rth=use_rth)


# sessions are looked up in windows of WINDOW_DAYS around a week, cached: the engine asks
# whether a market is open for every order it matches, and the market model for every quote
WINDOW_DAYS = 21


@functools.lru_cache(maxsize=128)
def _week(kind: str, use_rth: bool, week: int) -> tuple[Session, ...]:
    """The sessions overlapping the week numbered ``week`` (days since 0001-01-01 over 7) and
    the WINDOW_DAYS before it."""
    start = datetime.combine(date.fromordinal(max(week * 7, 1)), time(0), UTC)
    return tuple(sessions(kind, start - timedelta(days=WINDOW_DAYS), start + timedelta(days=8),
                          use_rth=use_rth))


def _around(kind: str, when: datetime, use_rth: bool) -> tuple[Session, ...]:
    return _week(kind, use_rth, when.astimezone(UTC).toordinal() // 7)


def is_open(kind: str, when: datetime, *, use_rth: bool = True) -> bool:
    """True when the market ``kind`` is open (continuous trading) at ``when``."""
    if kind == "CRYPTO":
        return True
    found = _around(kind, when, use_rth)
    i = bisect.bisect_right(found, (when, _FAR)) - 1
    return i >= 0 and found[i][0] <= when < found[i][1]


def next_close(kind: str, when: datetime, *, use_rth: bool = True) -> datetime | None:
    """The close of the session ``when`` is in, else of the next one to open, when the cached
    window around ``when`` holds it (None: look further with :func:`sessions`)."""
    found = _around(kind, when, use_rth)
    i = bisect.bisect_right(found, (when, _FAR))
    for _open, close in found[max(i - 1, 0):]:
        if close > when:
            return close
    return None


def open_between(kind: str, start: datetime, end: datetime, *, use_rth: bool = True) -> bool:
    """True when the market ``kind`` is open at any instant of ``[start, end]``."""
    if kind == "CRYPTO" or end - start > timedelta(days=WINDOW_DAYS // 2):
        return True  # (a span that long is never asked: taken as open, never skipped)
    found = _around(kind, end, use_rth)
    # the last session opening at or before ``end``: the only one that can reach back to start
    i = bisect.bisect_right(found, (end, _FAR)) - 1
    return i >= 0 and found[i][1] > start


def open_throughout(kind: str, start: datetime, end: datetime, *, use_rth: bool = True) -> bool:
    """True when the market ``kind`` is open at every instant of ``[start, end]``."""
    if kind == "CRYPTO":
        return True
    found = _around(kind, start, use_rth)
    i = bisect.bisect_right(found, (start, _FAR)) - 1
    return i >= 0 and found[i][0] <= start and end < found[i][1]


def last_close(kind: str, when: datetime) -> datetime:
    """The most recent session close at or before ``when`` (or ``when`` if the market is open)."""
    if kind == "CRYPTO":
        return when
    found = _around(kind, when, True)
    i = bisect.bisect_right(found, (when, _FAR)) - 1
    while i >= 0:
        o, c = found[i]
        if o <= when < c:
            return when
        if c <= when:
            return c
        i -= 1
    return when


def last_session(kind: str, when: datetime) -> Session | None:
    """The session ``when`` is in, else the last one before it (within WINDOW_DAYS)."""
    found = _around(kind, when, True)
    i = bisect.bisect_right(found, (when, _FAR)) - 1
    return found[i] if i >= 0 else None


_FAR = datetime.max.replace(tzinfo=UTC)


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
