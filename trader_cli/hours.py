"""Market hours: the ASX (and NYSE) from exchange_calendars, IDEALPRO FX 24/5, crypto 24/7.

The ASX answers come from a table generated from exchange_calendars (``scripts/gen_sessions.py``,
checked against it by a test), so ``trader hours`` needs no pandas; outside the table's span, and
for the NYSE, ``exchange_calendars`` is imported on first use. All times are aware UTC in and
out; local times are only for display.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from trader_cli.domain.models import Model, utc
from trader_cli.domain.symbols import InstrumentClass
from trader_cli.errors import InputError


class Market(StrEnum):
    """Where an instrument class trades, as far as hours go."""

    ASX = "XASX"
    NYSE = "XNYS"
    IDEALPRO = "IDEALPRO"
    CRYPTO = "CRYPTO"


MARKET_TIME_ZONES = {
    Market.ASX: "Australia/Sydney",
    Market.NYSE: "America/New_York",
    Market.IDEALPRO: "America/New_York",
    Market.CRYPTO: "UTC",
}
MARKETS = {
    InstrumentClass.ASX_EQUITY: Market.ASX,
    InstrumentClass.ASX_ETF: Market.ASX,
    InstrumentClass.US_EQUITY: Market.NYSE,
    InstrumentClass.FX: Market.IDEALPRO,
    InstrumentClass.CRYPTO: Market.CRYPTO,
}
NEW_YORK = ZoneInfo("America/New_York")
# IDEALPRO: the week runs Sunday 17:15 to Friday 17:00 New York time, with a daily break
# 17:00-17:15 New York time on the days between.
FX_DAILY_CLOSE = time(17, 0)
FX_DAILY_OPEN = time(17, 15)
FX_SESSION_START_DAYS = (6, 0, 1, 2, 3)  # a session opens on Sun..Thu (date.weekday numbers)

Session = tuple[datetime, datetime]

# The span trader answers market-hours questions for: exchange_calendars builds the ASX and NYSE
# calendars from rules over any span, but pandas and ``datetime`` stop near the ends of their
# ranges, and holiday rules are only meaningful for modern markets.
CALENDAR_FIRST = datetime(1990, 1, 1, tzinfo=UTC)
CALENDAR_LAST = datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
CALENDAR_RANGE = "1990-01-01 to 2099-12-31 (UTC)"


def check_calendar_range(at: datetime, *, what: str = "time") -> None:
    """Raise :class:`InputError` (exit 2) when ``at`` (aware) is outside :data:`CALENDAR_RANGE`."""
    if not CALENDAR_FIRST <= at <= CALENDAR_LAST:
        raise InputError(
            f"{what} {at.isoformat()} is outside the market calendar, which covers "
            f"{CALENDAR_RANGE}",
            hint="give a time in that range, e.g. 2024-12-24T03:00:00Z",
        )


def market_for(instrument_class: InstrumentClass) -> Market:
    """The market whose hours apply to ``instrument_class``."""
    return MARKETS[instrument_class]


@dataclass(frozen=True, slots=True)
class ExchangeCalendar:
    """An exchange's sessions (UTC, in order), its early-close dates and holiday names.

    ``holidays`` names the weekdays without a session that are regular holidays.
    """

    opens: list[datetime]
    closes: list[datetime]
    early: frozenset[date]
    holidays: dict[date, str]


@functools.cache
def _calendar(code: str, year: int) -> ExchangeCalendar:
    """Sessions of exchange ``code`` from the year before ``year`` to the end of the next.

    From the generated table where it covers them (no pandas), else from exchange_calendars.
    """
    first, last = date(year - 1, 1, 1), date(year + 1, 12, 31)
    found = calendar_from_table(code, first, last)
    return found if found is not None else calendar_from_library(code, first, last)


def calendar_from_table(code: str, first: date, last: date) -> ExchangeCalendar | None:
    """Sessions of ``code`` dated ``first`` to ``last`` from the table that
    ``scripts/gen_sessions.py`` generates (``trader_cli/data/xasx_sessions.py``); None when the
    table does not cover the whole span (or the exchange)."""
    if code != Market.ASX.value:
        return None
    from trader_cli.data import xasx_sessions as table

    if first < date.fromisoformat(table.FIRST) or last > date.fromisoformat(table.LAST):
        return None
    tz = ZoneInfo(table.TIME_ZONE)
    regular = (table.OPEN, table.CLOSE)
    opens: list[datetime] = []
    closes: list[datetime] = []
    holidays: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        closed = {month_day: table.NAMES[name] for month_day, name in table.CLOSED[year]}
        day = max(first, date(year, 1, 1))
        end = min(last, date(year, 12, 31))
        while day <= end:
            month_day = day.month * 100 + day.day
            if day.weekday() >= 5:
                pass
            elif month_day in closed:
                if closed[month_day]:
                    holidays[day] = closed[month_day]
            else:
                local_open, local_close = table.SPECIAL_HOURS.get(
                    year * 10_000 + month_day, regular
                )
                opens.append(_at(day, local_open, tz))
                closes.append(_at(day, local_close, tz))
            day += timedelta(days=1)
    early = frozenset(
        d
        for d in (date(n // 10_000, n // 100 % 100, n % 100) for n in table.EARLY_CLOSES)
        if first <= d <= last
    )
    return ExchangeCalendar(opens, closes, early, holidays)


def holiday_names(found: Iterable[tuple[date, str]]) -> dict[date, str]:
    """Holiday names by date; two holidays on one day (Anzac Day on Easter Monday) read
    ``"Anzac Day and Easter Monday"``, whatever order the library lists them in."""
    by_day: dict[date, set[str]] = {}
    for day, name in found:
        by_day.setdefault(day, set()).add(name)
    return {day: " and ".join(sorted(names)) for day, names in by_day.items()}


def _at(day: date, hh_mm: str, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.fromisoformat(hh_mm), tz).astimezone(UTC)


def calendar_from_library(code: str, first: date, last: date) -> ExchangeCalendar:
    """Sessions of ``code`` dated ``first`` to ``last`` from exchange_calendars (imports
    pandas: about a second)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # exchange_calendars trips pandas deprecation warnings
        import exchange_calendars

        start, end = first.isoformat(), last.isoformat()
        cal = exchange_calendars.get_calendar(code, start=start, end=end)
        schedule = cal.schedule
        names: dict[date, str] = {}
        regular = cal.regular_holidays
        if regular is not None:
            found = regular.holidays(start, end, return_name=True)
            names = holiday_names((ts.date(), str(name)) for ts, name in found.items())
        early = frozenset(ts.date() for ts in cal.early_closes)
        session_days = {ts.date() for ts in schedule.index}
    opens = [ts.to_pydatetime().astimezone(UTC) for ts in schedule["open"]]
    closes = [ts.to_pydatetime().astimezone(UTC) for ts in schedule["close"]]
    holidays = {
        day: name
        for day, name in names.items()
        if day.weekday() < 5 and day not in session_days and first <= day <= last
    }
    return ExchangeCalendar(opens, closes, early, holidays)


def _exchange_sessions(market: Market, at: datetime) -> tuple[list[datetime], list[datetime]]:
    cal = _calendar(market.value, at.year)
    return cal.opens, cal.closes


def _fx_sessions(at: datetime) -> list[Session]:
    """IDEALPRO sessions (UTC) from a week before to two weeks after ``at``."""
    return _fx_sessions_from(at.astimezone(NEW_YORK).date() - timedelta(days=8), 23)


def _fx_sessions_from(first: date, days: int) -> list[Session]:
    """IDEALPRO sessions (UTC) opening on the ``days`` New York dates from ``first``."""
    out: list[Session] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() in FX_SESSION_START_DAYS:
            opens = datetime.combine(day, FX_DAILY_OPEN, NEW_YORK).astimezone(UTC)
            closes = datetime.combine(day + timedelta(days=1), FX_DAILY_CLOSE, NEW_YORK)
            out.append((opens, closes.astimezone(UTC)))
    return out


def sessions(target: InstrumentClass | Market, start: datetime, end: datetime) -> list[Session]:
    """The sessions (UTC open, close) of a market overlapping ``[start, end)``, in order.

    Crypto has none: it never closes. IDEALPRO sessions are the daily ones, 17:15 to 17:00
    New York time, so the daily break and the weekend fall between them.
    """
    market = target if isinstance(target, Market) else market_for(target)
    start, end = utc(start), utc(end)
    if market is Market.CRYPTO or end <= start:
        return []
    found: dict[datetime, datetime] = {}
    if market is Market.IDEALPRO:
        first_day = start.astimezone(NEW_YORK).date() - timedelta(days=1)
        days = (end.astimezone(NEW_YORK).date() - first_day).days + 1
        found.update(_fx_sessions_from(first_day, days))
    else:
        # a calendar for year Y spans Y-1..Y+1; cover start's year to the year after end's
        for year in range(start.year, end.year + 3, 3):
            cal = _calendar(market.value, year)
            first = bisect.bisect_right(cal.closes, start)
            last = bisect.bisect_left(cal.opens, end)
            found.update(zip(cal.opens[first:last], cal.closes[first:last], strict=True))
    return [(o, c) for o, c in sorted(found.items()) if o < end and c > start]


def _sessions(market: Market, at: datetime) -> tuple[list[datetime], list[datetime]]:
    if market is Market.IDEALPRO:
        pairs = _fx_sessions(at)
        return [o for o, _ in pairs], [c for _, c in pairs]
    return _exchange_sessions(market, at)


def _current(market: Market, at: datetime) -> tuple[Session | None, Session | None]:
    """(the session ``at`` falls in, or None; the next session to open after ``at``)."""
    opens, closes = _sessions(market, at)
    i = bisect.bisect_right(opens, at) - 1  # last session opened at or before ``at``
    current = (opens[i], closes[i]) if i >= 0 and at < closes[i] else None
    j = i + 1
    upcoming = (opens[j], closes[j]) if j < len(opens) else None
    return current, upcoming


@dataclass(frozen=True, slots=True)
class MarketHours(Model):
    """Whether a market is open at an instant, the session it is in, and the next open/close."""

    market: Market
    at: datetime
    is_open: bool
    time_zone: str
    session_open: datetime | None
    session_close: datetime | None
    next_open: datetime | None
    next_close: datetime | None
    note: str

    @property
    def local_time(self) -> datetime:
        """``at`` in the market's own time zone."""
        return self.at.astimezone(ZoneInfo(self.time_zone))


# per market, the session last found open (open, close, the next open, its note): everything
# market_hours answers inside it but ``at`` (a loop asks at every step of a session)
_OPEN_NOW: dict[Market, tuple[datetime, datetime, datetime | None, str]] = {}


def market_hours(target: InstrumentClass | Market, at: datetime) -> MarketHours:
    """Open or closed at ``at`` (aware), with the current session and the next open and close."""
    market = target if isinstance(target, Market) else market_for(target)
    if at.tzinfo is not None:  # a naive time is refused by utc() below
        check_calendar_range(at)
    at = utc(at)
    tz = MARKET_TIME_ZONES[market]
    if market is Market.CRYPTO:
        return MarketHours(market, at, True, tz, None, None, None, None, "open 24/7")
    kept = _OPEN_NOW.get(market)
    if kept is not None and kept[0] <= at < kept[1]:  # inside the session found last time
        return MarketHours(market, at, True, tz, kept[0], kept[1], kept[2], kept[1], kept[3])
    current, upcoming = _current(market, at)
    next_open = upcoming[0] if upcoming else None
    if current is not None:
        note = _open_note(market, current)
        _OPEN_NOW[market] = (current[0], current[1], next_open, note)
        return MarketHours(market, at, True, tz, current[0], current[1], next_open, current[1],
                           note)
    return MarketHours(
        market,
        at,
        False,
        tz,
        None,
        None,
        next_open,
        upcoming[1] if upcoming else None,
        _closed_note(market, at),
    )


def _open_note(market: Market, session: Session) -> str:
    tz = ZoneInfo(MARKET_TIME_ZONES[market])
    close = session[1].astimezone(tz)
    if market is not Market.IDEALPRO:
        cal = _calendar(market.value, session[0].year)
        if session[0].astimezone(tz).date() in cal.early:
            return f"open; early close at {close:%H:%M} {close.tzname()}"
    return f"open until {close:%a %H:%M} {close.tzname()}"


def _closed_note(market: Market, at: datetime) -> str:
    tz = ZoneInfo(MARKET_TIME_ZONES[market])
    local = at.astimezone(tz)
    if market is Market.IDEALPRO:
        if local.weekday() == 5 or (local.weekday() == 4 and local.time() >= FX_DAILY_CLOSE):
            return "closed for the weekend (IDEALPRO: Sunday 17:15 to Friday 17:00 New York)"
        if local.weekday() == 6:
            return "closed until the week opens, Sunday 17:15 New York"
        return "daily break 17:00-17:15 New York"
    if local.weekday() >= 5:
        return "closed: weekend"
    holiday = _calendar(market.value, at.year).holidays.get(local.date())
    opens, closes = _sessions(market, at)
    today = [
        c for o, c in zip(opens, closes, strict=True) if o.astimezone(tz).date() == local.date()
    ]
    if holiday and not today:
        return f"closed: {holiday}"
    if not today:
        return "closed: not a trading day"
    close = today[0].astimezone(tz)
    if at >= today[0] and local.date() in _calendar(market.value, at.year).early:
        return f"closed: early close at {close:%H:%M} {close.tzname()} today"
    return "closed: outside the trading session"


def is_open(target: InstrumentClass | Market, at: datetime) -> bool:
    """True when the market is open at ``at``."""
    return market_hours(target, at).is_open


def next_open(target: InstrumentClass | Market, at: datetime) -> datetime | None:
    """The next session's open strictly after ``at`` (None for crypto: it never closes)."""
    return market_hours(target, at).next_open


def next_close(target: InstrumentClass | Market, at: datetime) -> datetime | None:
    """When the session ``at`` is in closes, else when the next one does (None for crypto)."""
    return market_hours(target, at).next_close
